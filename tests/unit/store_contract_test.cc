// The Store contract: every implementation must pass this suite unchanged: in memory, SQLite, and
// a real PostgreSQL (a fresh database on the cluster scripts/with-postgres starts). SQLite-only
// behaviour (reopening, migrations, crashes) is in sqlite_store_test.cc, PostgreSQL's own in
// postgres_store_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/postgres.h"
#include "support/scratch_dir.h"
#include "store/memory_store.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace rota {
namespace {

using testing::ScratchDir;

struct MemoryStoreMaker {
  std::unique_ptr<Store> Make() { return std::make_unique<MemoryStore>(); }
};

struct SQLiteStoreMaker {
  std::unique_ptr<Store> Make() {
    Result<std::unique_ptr<SQLiteStore>> opened = SQLiteStore::Open(dir.File("rota.db"));
    if (!opened.ok()) ADD_FAILURE() << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  ScratchDir dir;
};

struct PostgresStoreMaker {
  std::unique_ptr<Store> Make() {
    if (db.url().empty()) {
      ADD_FAILURE() << db.error();
      return nullptr;
    }
    Result<std::unique_ptr<PostgresStore>> opened = PostgresStore::Open(db.url());
    if (!opened.ok()) ADD_FAILURE() << opened.error().message;
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  testing::TestDatabase db;
};

struct MakerNames {
  template <class Maker>
  static std::string GetName(int) {
    if (std::is_same_v<Maker, MemoryStoreMaker>) return "Memory";
    return std::is_same_v<Maker, SQLiteStoreMaker> ? "SQLite" : "Postgres";
  }
};

EventRecord Event(uint64_t seq) {
  return EventRecord{seq, 5000 + static_cast<int64_t>(seq),
                     R"({"seq":)" + std::to_string(seq) + "}"};
}

// Entries are bytes, NULs and all (encoded Changes are binary).
std::string Entry(int n) { return std::string("change\0", 7) + std::to_string(n); }

template <class Maker>
class StoreContractTest : public ::testing::Test {
 protected:
  StoreContractTest() : store_(maker_.Make()) {}
  void SetUp() override { ASSERT_NE(store_, nullptr) << "no store to test"; }

  uint64_t MustAppend(const std::vector<std::string>& entries) {
    Result<uint64_t> lsn = store_->Append(entries);
    EXPECT_TRUE(lsn.ok()) << lsn.error().message;
    return lsn.ok() ? *lsn : 0;
  }
  std::vector<std::pair<uint64_t, std::string>> Log(uint64_t after, size_t limit) {
    Result<std::vector<LogEntry>> page = store_->ReadFrom(after, limit);
    EXPECT_TRUE(page.ok()) << page.error().message;
    std::vector<std::pair<uint64_t, std::string>> out;
    if (page.ok()) {
      for (const LogEntry& e : *page) out.emplace_back(e.lsn, e.bytes);
    }
    return out;
  }
  std::vector<uint64_t> SeqsSince(uint64_t after, size_t limit) {
    Result<std::vector<EventRecord>> page = store_->EventsSince(after, limit);
    EXPECT_TRUE(page.ok()) << page.error().message;
    std::vector<uint64_t> seqs;
    if (page.ok()) {
      for (const EventRecord& e : *page) seqs.push_back(e.seq);
    }
    return seqs;
  }

  Maker maker_;
  std::unique_ptr<Store> store_;
};

using StoreMakers = ::testing::Types<MemoryStoreMaker, SQLiteStoreMaker, PostgresStoreMaker>;
TYPED_TEST_SUITE(StoreContractTest, StoreMakers, MakerNames);

TYPED_TEST(StoreContractTest, AppendedEntriesComeBackInLsnOrderAPageAtATime) {
  EXPECT_EQ(this->MustAppend({Entry(1), Entry(2)}), 2u);
  EXPECT_EQ(this->MustAppend({Entry(3)}), 3u);
  using Log = std::vector<std::pair<uint64_t, std::string>>;
  EXPECT_EQ(this->Log(0, 2), (Log{{1, Entry(1)}, {2, Entry(2)}}));
  EXPECT_EQ(this->Log(2, 10), (Log{{3, Entry(3)}}));
  EXPECT_EQ(this->Log(3, 10), Log{});
}

TYPED_TEST(StoreContractTest, AppendsThatWaitForALaterSyncAreInTheLogAtOnceAndInOrder) {
  Result<uint64_t> later = this->store_->Append({Entry(1)}, Durability::kLater);
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(*later, 1u);
  EXPECT_EQ(this->MustAppend({Entry(2)}), 2u);
  ASSERT_TRUE(this->store_->Append({Entry(3)}, Durability::kLater).ok());
  ASSERT_TRUE(this->store_->Sync().ok());
  ASSERT_TRUE(this->store_->Sync().ok()) << "a Sync with nothing to sync is fine";
  using Log = std::vector<std::pair<uint64_t, std::string>>;
  EXPECT_EQ(this->Log(0, 10), (Log{{1, Entry(1)}, {2, Entry(2)}, {3, Entry(3)}}));
}

TYPED_TEST(StoreContractTest, AnEmptyAppendChangesNothingAndAnswersTheLastLsn) {
  EXPECT_EQ(this->MustAppend({}), 0u);
  this->MustAppend({Entry(1)});
  EXPECT_EQ(this->MustAppend({}), 1u);
  EXPECT_EQ(this->Log(0, 10).size(), 1u);
}

TYPED_TEST(StoreContractTest, ThereIsNoSnapshotAtFirstThenTheNewestOne) {
  Result<std::optional<SnapshotRecord>> none = this->store_->LatestSnapshot();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  this->MustAppend({Entry(1), Entry(2)});
  ASSERT_TRUE(this->store_->WriteSnapshot(1, std::string("one\0", 4)).ok());
  ASSERT_TRUE(this->store_->WriteSnapshot(2, "two").ok());
  Result<std::optional<SnapshotRecord>> latest = this->store_->LatestSnapshot();
  ASSERT_TRUE(latest.ok());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->lsn, 2u);
  EXPECT_EQ((*latest)->bytes, "two");
}

TYPED_TEST(StoreContractTest, ABigSnapshotComesBackWhole) {
  std::string big(3'500'000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  this->MustAppend({Entry(1)});
  ASSERT_TRUE(this->store_->WriteSnapshot(1, big).ok());
  Result<std::optional<SnapshotRecord>> latest = this->store_->LatestSnapshot();
  ASSERT_TRUE(latest.ok()) << latest.error().message;
  ASSERT_TRUE(latest->has_value());
  EXPECT_TRUE((*latest)->bytes == big);
}

TYPED_TEST(StoreContractTest, ASnapshotCompactsTheLogAtAndBelowTheOldestKept) {
  for (int i = 1; i <= 6; ++i) this->MustAppend({Entry(i)});
  ASSERT_TRUE(this->store_->WriteSnapshot(2, "at 2").ok());
  EXPECT_EQ(this->Log(0, 10).front().first, 3u) << "the snapshot at 2 covers entries 1 and 2";
  ASSERT_TRUE(this->store_->WriteSnapshot(4, "at 4").ok());
  ASSERT_TRUE(this->store_->WriteSnapshot(5, "at 5").ok());
  // Kept: the snapshots at 4 and 5; the log from 5 on.
  using Log = std::vector<std::pair<uint64_t, std::string>>;
  EXPECT_EQ(this->Log(0, 10), (Log{{5, Entry(5)}, {6, Entry(6)}}));
  EXPECT_EQ(this->MustAppend({Entry(7)}), 7u) << "lsns go on after compaction";
}

TYPED_TEST(StoreContractTest, EventsComeBackInSeqOrderAPageAtATime) {
  ASSERT_TRUE(this->store_->WriteEvents({Event(1), Event(2), Event(3)}).ok());
  ASSERT_TRUE(this->store_->WriteEvents({Event(4)}).ok());
  EXPECT_EQ(this->SeqsSince(0, 2), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(this->SeqsSince(2, 10), (std::vector<uint64_t>{3, 4}));
  Result<uint64_t> last = this->store_->LastEventSeq();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 4u);
}

TYPED_TEST(StoreContractTest, EventsDerivedAgainByAReplayAreSkipped) {
  ASSERT_TRUE(this->store_->WriteEvents({Event(1), Event(2)}).ok());
  EventRecord again = Event(2);
  again.json = "a replay's copy";
  ASSERT_TRUE(this->store_->WriteEvents({Event(1), again, Event(3)}).ok());
  Result<std::vector<EventRecord>> all = this->store_->EventsSince(0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].json, Event(2).json);
}

// A busy server's events ride along with its next append, in the same transaction.
TYPED_TEST(StoreContractTest, EventsCarriedByAnAppendAreStoredWithIt) {
  const std::vector<EventRecord> events = {Event(1), Event(2)};
  Result<uint64_t> lsn = this->store_->Append({Entry(1)}, Durability::kNow, events);
  ASSERT_TRUE(lsn.ok()) << lsn.error().message;
  EXPECT_EQ(*lsn, 1u);
  EXPECT_EQ(this->SeqsSince(0, 10), (std::vector<uint64_t>{1, 2}));
  const std::vector<EventRecord> again = {Event(2), Event(3)};   // 2 derived again by a replay
  ASSERT_TRUE(this->store_->Append({Entry(2)}, Durability::kNow, again).ok());
  EXPECT_EQ(this->SeqsSince(0, 10), (std::vector<uint64_t>{1, 2, 3}));
  Result<std::vector<EventRecord>> stored = this->store_->EventsSince(1, 1);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)[0].json, Event(2).json);
  EXPECT_EQ((*stored)[0].ts_us, Event(2).ts_us);
  EXPECT_EQ(*this->store_->LastEventSeq(), 3u);
}

TYPED_TEST(StoreContractTest, TheArchiveFindsJobsByIdAndNameAndPagesThrough) {
  auto job = [](uint64_t id, std::string name, std::string state) {
    return ArchivedJob{id, std::move(name), "film", std::move(state), 10, 20, "{\"id\":" + std::to_string(id) + "}"};
  };
  ASSERT_TRUE(this->store_->WriteArchive({job(1, "shot", "failed"), job(3, "shot", "succeeded")}).ok());
  ASSERT_TRUE(this->store_->WriteArchive({job(2, "other", "cancelled"), job(1, "shot", "succeeded")}).ok());
  Result<std::optional<ArchivedJob>> one = this->store_->FindArchived(1);
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->state, "succeeded") << "written again: replaced";
  EXPECT_EQ((*one)->json, "{\"id\":1}");
  Result<std::optional<ArchivedJob>> newest = this->store_->FindArchivedByName("shot");
  ASSERT_TRUE(newest.ok() && newest->has_value());
  EXPECT_EQ((*newest)->id, 3u);
  EXPECT_FALSE(this->store_->FindArchived(9)->has_value());
  Result<std::vector<ArchivedJob>> page = this->store_->ArchivedJobs(1, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, 2u);
  EXPECT_EQ((*page)[0].name, "other");
  EXPECT_EQ((*page)[0].json, "{\"id\":2}");
}

TYPED_TEST(StoreContractTest, ANewStoreHasNothingToImport) {
  Result<StoredState> legacy = this->store_->LoadLegacy();
  ASSERT_TRUE(legacy.ok());
  EXPECT_TRUE(legacy->jobs.empty());
  EXPECT_EQ(legacy->last_seq, 0u);
}

TYPED_TEST(StoreContractTest, EventsCanBeReadWhileTheLoopAppends) {
  constexpr uint64_t kEvents = 60;
  std::thread reader([&] {
    uint64_t after = 0;
    while (after < kEvents) {
      Result<std::vector<EventRecord>> page = this->store_->EventsSince(after, 7);
      ASSERT_TRUE(page.ok()) << page.error().message;
      for (const EventRecord& event : *page) ASSERT_EQ(event.seq, ++after);  // never a gap
    }
  });
  for (uint64_t seq = 1; seq <= kEvents; ++seq) {
    this->MustAppend({Entry(static_cast<int>(seq))});
    ASSERT_TRUE(this->store_->WriteEvents({Event(seq)}).ok());
  }
  reader.join();
}

}  // namespace
}  // namespace rota
