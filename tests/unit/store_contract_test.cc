// The Store contract: every implementation must pass this suite unchanged. SQLite-only behaviour
// (reopening, migrations, crashes) is in sqlite_store_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/scratch_dir.h"
#include "store/memory_store.h"
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

struct MakerNames {
  template <class Maker>
  static std::string GetName(int) {
    return std::is_same_v<Maker, MemoryStoreMaker> ? "Memory" : "SQLite";
  }
};

JobRecord Job(uint64_t id, std::string state = "pending") {
  return JobRecord{id,
                   "shot-" + std::to_string(id),
                   "film",
                   60,
                   "name: x\ntasks: {}\n",
                   "yaml",
                   1000,
                   std::move(state),
                   0};
}
RunRecord Run(uint64_t id, uint64_t job_id, std::optional<int> exit_code = std::nullopt) {
  return RunRecord{id, job_id, "render", 3, 1, 7, "h1", "running", exit_code, 2000, 0};
}
EventRecord Event(uint64_t seq) {
  return EventRecord{seq, 5000 + static_cast<int64_t>(seq),
                     R"({"seq":)" + std::to_string(seq) + "}"};
}
AgentRecord Agent(std::string id, std::string state = "alive") {
  return AgentRecord{id, "name-" + id, R"({"cores":8})", 10, 20, std::move(state)};
}

// Builds a ChangeSet in the order a reader thinks of it: Changes().Jobs({Job(1)}).Events(...).
class Changes {
 public:
  Changes& Jobs(std::vector<JobRecord> jobs) { return Set(&ChangeSet::jobs, std::move(jobs)); }
  Changes& Runs(std::vector<RunRecord> runs) { return Set(&ChangeSet::runs, std::move(runs)); }
  Changes& Events(std::vector<EventRecord> events) {
    return Set(&ChangeSet::events, std::move(events));
  }
  Changes& Signals(std::vector<std::pair<std::string, int64_t>> posted) {
    return Set(&ChangeSet::signals_posted, std::move(posted));
  }
  Changes& Config(std::map<std::string, std::string> config) {
    return Set(&ChangeSet::config, std::move(config));
  }
  Changes& Retries(std::vector<std::pair<uint64_t, int64_t>> retries) {
    return Set(&ChangeSet::job_retries, std::move(retries));
  }
  Changes& Agents(std::vector<AgentRecord> agents) {
    return Set(&ChangeSet::agents, std::move(agents));
  }
  operator const ChangeSet&() const { return changes_; }  // NOLINT(google-explicit-constructor)

 private:
  template <class Field, class Value>
  Changes& Set(Field ChangeSet::*field, Value value) {
    changes_.*field = std::move(value);
    return *this;
  }
  ChangeSet changes_;
};

// Records as one line each, so that a mismatch shows every field side by side.
std::string Describe(const JobRecord& j) {
  std::ostringstream out;
  out << j.id << "|" << j.name << "|" << j.queue << "|" << j.priority << "|" << j.spec_text << "|"
      << j.spec_format << "|" << j.submitted_us << "|" << j.state << "|" << j.finished_us;
  return out.str();
}
std::string Describe(const RunRecord& r) {
  std::ostringstream out;
  out << r.id << "|" << r.job_id << "|" << r.task << "|" << r.instance << "|" << r.attempt << "|"
      << r.epoch << "|" << r.host << "|" << r.state << "|"
      << (r.exit_code ? std::to_string(*r.exit_code) : "none") << "|" << r.started_us << "|"
      << r.ended_us;
  return out.str();
}
std::string Describe(const EventRecord& e) {
  return std::to_string(e.seq) + "|" + std::to_string(e.ts_us) + "|" + e.json;
}
std::string Describe(const AgentRecord& a) {
  return a.id + "|" + a.name + "|" + a.resources_json + "|" + std::to_string(a.registered_us) +
         "|" + std::to_string(a.last_heartbeat_us) + "|" + a.state;
}
template <class Record>
std::vector<std::string> DescribeAll(const std::vector<Record>& records) {
  std::vector<std::string> lines;
  for (const Record& record : records) lines.push_back(Describe(record));
  return lines;
}

std::vector<uint64_t> Seqs(const std::vector<EventRecord>& events) {
  std::vector<uint64_t> seqs;
  for (const EventRecord& event : events) seqs.push_back(event.seq);
  return seqs;
}

template <class Maker>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = maker_.Make();
    ASSERT_NE(store_, nullptr);
  }
  void MustCommit(const ChangeSet& changes) {
    Result<Unit> committed = store_->Commit(changes);
    ASSERT_TRUE(committed.ok()) << committed.error().message;
  }
  StoredState MustLoad() {
    Result<StoredState> loaded = store_->Load();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message;
    return loaded.ok() ? std::move(loaded).value() : StoredState{};
  }
  std::vector<uint64_t> SeqsSince(uint64_t after, size_t limit) {
    Result<std::vector<EventRecord>> events = store_->EventsSince(after, limit);
    EXPECT_TRUE(events.ok()) << events.error().message;
    return events.ok() ? Seqs(*events) : std::vector<uint64_t>{};
  }

  Maker maker_;
  std::unique_ptr<Store> store_;
};

using StoreMakers = ::testing::Types<MemoryStoreMaker, SQLiteStoreMaker>;
TYPED_TEST_SUITE(StoreContractTest, StoreMakers, MakerNames);

TYPED_TEST(StoreContractTest, LoadReturnsWhatWasCommitted) {
  this->MustCommit(Changes()
                       .Jobs({Job(2), Job(1)})
                       .Runs({Run(11, 2, 0), Run(10, 1)})
                       .Events({Event(1), Event(2)})
                       .Signals({{"plates-ready", 300}})
                       .Config({{"policy", "fairshare"}})
                       .Agents({Agent("b"), Agent("a")}));
  StoredState state = this->MustLoad();
  EXPECT_EQ(DescribeAll(state.jobs), DescribeAll(std::vector{Job(1), Job(2)}));
  EXPECT_EQ(DescribeAll(state.runs), DescribeAll(std::vector{Run(10, 1), Run(11, 2, 0)}));
  EXPECT_EQ(state.signals, (std::map<std::string, int64_t>{{"plates-ready", 300}}));
  EXPECT_EQ(state.config, (std::map<std::string, std::string>{{"policy", "fairshare"}}));
  EXPECT_EQ(DescribeAll(state.agents), DescribeAll(std::vector{Agent("a"), Agent("b")}));
  EXPECT_EQ(state.last_seq, 2u);
  Result<std::vector<EventRecord>> events = this->store_->EventsSince(0, 10);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(DescribeAll(*events), DescribeAll(std::vector{Event(1), Event(2)}));
}

TYPED_TEST(StoreContractTest, JobRetriesComeBackInCommitOrder) {
  this->MustCommit(Changes().Jobs({Job(1), Job(2)}).Retries({{2, 500}}));
  this->MustCommit(Changes().Retries({{1, 400}, {2, 600}}));
  using Retries = std::vector<std::pair<uint64_t, int64_t>>;
  EXPECT_EQ(this->MustLoad().job_retries, (Retries{{2, 500}, {1, 400}, {2, 600}}));
}

TYPED_TEST(StoreContractTest, AnUpsertReplacesTheWholeRecord) {
  this->MustCommit(Changes().Jobs({Job(1)}).Runs({Run(10, 1, 3)}).Agents({Agent("a")}));
  JobRecord finished = Job(1, "succeeded");
  finished.finished_us = 9000;
  finished.priority = 10;
  this->MustCommit(
      Changes().Jobs({finished}).Runs({Run(10, 1, std::nullopt)}).Agents({Agent("a", "lost")}));
  StoredState state = this->MustLoad();
  EXPECT_EQ(DescribeAll(state.jobs), DescribeAll(std::vector{finished}));
  EXPECT_EQ(DescribeAll(state.runs), DescribeAll(std::vector{Run(10, 1, std::nullopt)}));
  EXPECT_EQ(DescribeAll(state.agents), DescribeAll(std::vector{Agent("a", "lost")}));
}

TYPED_TEST(StoreContractTest, EventsComeBackInSeqOrderAPageAtATime) {
  this->MustCommit(Changes().Events({Event(1), Event(2), Event(3)}));
  this->MustCommit(Changes().Events({Event(4)}));
  this->MustCommit(Changes().Events({Event(7), Event(9)}));  // seqs need not be dense, only rising
  EXPECT_EQ(this->SeqsSince(0, 100), (std::vector<uint64_t>{1, 2, 3, 4, 7, 9}));
  EXPECT_EQ(this->SeqsSince(0, 2), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(this->SeqsSince(2, 2), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(this->SeqsSince(4, 2), (std::vector<uint64_t>{7, 9}));
  EXPECT_EQ(this->SeqsSince(5, 100), (std::vector<uint64_t>{7, 9}));
  EXPECT_EQ(this->SeqsSince(9, 100), (std::vector<uint64_t>{}));
  EXPECT_EQ(this->SeqsSince(0, 0), (std::vector<uint64_t>{}));
  EXPECT_EQ(this->MustLoad().last_seq, 9u);
}

TYPED_TEST(StoreContractTest, ASeqNotAboveTheLastRollsBackTheWholeChangeSet) {
  this->MustCommit(Changes().Jobs({Job(1)}).Events({Event(5)}));
  for (uint64_t stale_seq : {5, 4}) {
    Result<Unit> refused = this->store_->Commit(Changes()
                                                    .Jobs({Job(1, "failed"), Job(2)})
                                                    .Runs({Run(10, 2)})
                                                    .Events({Event(stale_seq)})
                                                    .Signals({{"k", 1}})
                                                    .Config({{"mode", "async"}})
                                                    .Agents({Agent("a")}));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "store_conflict");
    EXPECT_EQ(refused.error().message,
              "event seq " + std::to_string(stale_seq) +
                  " is not above 5, the seq before it; nothing of this commit was stored");
  }
  StoredState state = this->MustLoad();
  EXPECT_EQ(DescribeAll(state.jobs), DescribeAll(std::vector{Job(1)}));
  EXPECT_TRUE(state.runs.empty());
  EXPECT_TRUE(state.signals.empty());
  EXPECT_TRUE(state.config.empty());
  EXPECT_TRUE(state.agents.empty());
  EXPECT_EQ(state.last_seq, 5u);
  this->MustCommit(Changes().Jobs({Job(2)}).Events({Event(6)}));  // the store still takes commits
  EXPECT_EQ(this->SeqsSince(0, 10), (std::vector<uint64_t>{5, 6}));
}

TYPED_TEST(StoreContractTest, SeqsThatFallWithinAChangeSetConflict) {
  Result<Unit> refused =
      this->store_->Commit(Changes().Jobs({Job(1)}).Events({Event(2), Event(1)}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "store_conflict");
  EXPECT_EQ(refused.error().message,
            "event seq 1 is not above 2, the seq before it; nothing of this commit was stored");
  StoredState state = this->MustLoad();
  EXPECT_TRUE(state.jobs.empty());
  EXPECT_EQ(state.last_seq, 0u);
}

TYPED_TEST(StoreContractTest, ARunOfAJobThatIsNotStoredConflicts) {
  this->MustCommit(Changes().Jobs({Job(1)}));
  Result<Unit> refused =
      this->store_->Commit(Changes().Jobs({Job(2)}).Runs({Run(10, 1), Run(11, 3)}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "store_conflict");
  EXPECT_EQ(refused.error().message,
            "run 11 belongs to job 3, which is not stored; nothing of this commit was stored");
  StoredState state = this->MustLoad();
  EXPECT_EQ(DescribeAll(state.jobs), DescribeAll(std::vector{Job(1)}));
  EXPECT_TRUE(state.runs.empty());
}

TYPED_TEST(StoreContractTest, ConfigValuesAreOverwrittenKeyByKey) {
  this->MustCommit(Changes().Config({{"policy", "fifo"}, {"mode", "sync"}}));
  this->MustCommit(Changes().Config({{"policy", "fairshare"}, {"queues.film.weight", "3"}}));
  EXPECT_EQ(this->MustLoad().config,
            (std::map<std::string, std::string>{
                {"mode", "sync"}, {"policy", "fairshare"}, {"queues.film.weight", "3"}}));
}

TYPED_TEST(StoreContractTest, ASignalKeepsItsLatestPost) {
  this->MustCommit(Changes().Signals({{"plates-ready", 100}, {"grade-done", 150}}));
  this->MustCommit(Changes().Signals({{"plates-ready", 200}, {"plates-ready", 250}}));
  EXPECT_EQ(this->MustLoad().signals,
            (std::map<std::string, int64_t>{{"grade-done", 150}, {"plates-ready", 250}}));
}

TYPED_TEST(StoreContractTest, AnEmptyChangeSetIsFine) {
  this->MustCommit(Changes());
  StoredState state = this->MustLoad();
  EXPECT_TRUE(state.jobs.empty());
  EXPECT_EQ(state.last_seq, 0u);
  EXPECT_EQ(this->SeqsSince(0, 10), (std::vector<uint64_t>{}));
}

TYPED_TEST(StoreContractTest, EventsCanBeReadWhileTheLoopCommits) {
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
    this->MustCommit(Changes().Jobs({Job(seq)}).Events({Event(seq)}));
  }
  reader.join();
}

}  // namespace
}  // namespace rota
