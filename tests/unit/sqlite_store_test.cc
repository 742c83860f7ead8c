// SQLiteStore behaviour beyond the Store contract (store_contract_test.cc): what survives closing
// and reopening the file, schema migrations, files it must refuse, and kill -9 in mid-stream.
#include "support/scratch_dir.h"
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace rota {
namespace {

using testing::ScratchDir;

std::unique_ptr<SQLiteStore> MustOpen(const std::string& path) {
  Result<std::unique_ptr<SQLiteStore>> opened = SQLiteStore::Open(path);
  if (!opened.ok()) ADD_FAILURE() << opened.error().message;
  return opened.ok() ? std::move(opened).value() : nullptr;
}

std::string Entry(uint64_t n) { return "change " + std::to_string(n); }

// Runs SQL on the file behind the store's back, as another tool (or an older rota) would.
void ExecuteDirectly(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

std::vector<std::string> MigrationRows(const std::string& path) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_exec(
      db, "SELECT version, applied_us FROM schema_migrations ORDER BY version",
      [](void* out, int, char** values, char**) {
        static_cast<std::vector<std::string>*>(out)->push_back(std::string(values[0]) + "@" +
                                                               values[1]);
        return 0;
      },
      &rows, nullptr);
  sqlite3_close(db);
  return rows;
}

TEST(SQLiteStoreTest, ReopeningTheFileFindsEverything) {
  ScratchDir dir;
  const std::string path = dir.File("rota.db");
  {
    std::unique_ptr<SQLiteStore> store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append({Entry(1), Entry(2), Entry(3)}).ok());
    ASSERT_TRUE(store->WriteSnapshot(2, "state at 2").ok());
    ASSERT_TRUE(store->WriteEvents({EventRecord{1, 100, "{}"}}).ok());
  }
  std::unique_ptr<SQLiteStore> store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  Result<std::vector<LogEntry>> log = store->ReadFrom(0, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u) << "the snapshot at 2 covers entries 1 and 2";
  EXPECT_EQ((*log)[0].lsn, 3u);
  EXPECT_EQ((*log)[0].bytes, Entry(3));
  Result<std::optional<SnapshotRecord>> snapshot = store->LatestSnapshot();
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->bytes, "state at 2");
  EXPECT_EQ(*store->LastEventSeq(), 1u);
  Result<uint64_t> next = store->Append({Entry(4)});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 4u);
}

// tests/data/v2_store.db was written by rota before the log (schema version 2, commit 13ba174):
// three jobs (one succeeded, one failed after its retry, one running with a task waiting for a
// signal), a config key, a posted signal and one agent, then the server was killed with -9.
TEST(SQLiteStoreTest, AVersion2DatabaseMovesForwardWithItsRecordsReadableOnce) {
  ScratchDir dir;
  const std::string path = dir.File("rota.db");
  std::filesystem::copy_file(std::string(ROTA_SOURCE_DIR) + "/tests/data/v2_store.db", path);
  ASSERT_NE(MustOpen(path), nullptr);
  EXPECT_EQ(MigrationRows(path).size(), SQLiteSchemaMigrations().size());
  std::unique_ptr<SQLiteStore> store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  Result<StoredState> legacy = store->LoadLegacy();
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  ASSERT_EQ(legacy->jobs.size(), 3u);
  EXPECT_EQ(legacy->jobs[1].name, "failed-job");
  EXPECT_EQ(legacy->runs.size(), 8u);
  EXPECT_EQ(legacy->config.at("policy"), "fairshare");
  EXPECT_EQ(legacy->signals.count("other"), 1u);
  EXPECT_EQ(legacy->last_seq, 25u);
  ASSERT_TRUE(store->ImportLegacy({Entry(1), Entry(2)}).ok());
  Result<StoredState> after = store->LoadLegacy();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->jobs.empty() && after->runs.empty() && after->config.empty());
  EXPECT_EQ(after->last_seq, 25u) << "events stay";
  EXPECT_EQ(store->ReadFrom(0, 10)->size(), 2u);
}

TEST(SQLiteStoreTest, MigrationsRunOnceAndNotAgainOnReopen) {
  ScratchDir dir;
  const std::string path = dir.File("rota.db");
  ASSERT_NE(MustOpen(path), nullptr);
  std::vector<std::string> first = MigrationRows(path);
  EXPECT_EQ(first.size(), SQLiteSchemaMigrations().size());
  ASSERT_NE(MustOpen(path), nullptr);
  EXPECT_EQ(MigrationRows(path), first);  // same versions, same applied_us
}

// One server per file: the first holds it, and a second is refused with the reason.
TEST(SQLiteStoreTest, RefusesAFileAnotherStoreHoldsOpen) {
  ScratchDir dir;
  const std::string path = dir.File("rota.db");
  std::unique_ptr<SQLiteStore> first = MustOpen(path);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Append({Entry(1)}).ok());
  Result<std::unique_ptr<SQLiteStore>> second = SQLiteStore::Open(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "store_io");
  EXPECT_EQ(second.error().message, "could not open " + path +
                                        ": another rota server has it open (database is locked)");
  first.reset();
  std::unique_ptr<SQLiteStore> again = MustOpen(path);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->ReadFrom(0, 10)->size(), 1u);
}

TEST(SQLiteStoreTest, RefusesADatabaseFromANewerRota) {
  ScratchDir dir;
  const std::string path = dir.File("rota.db");
  ASSERT_NE(MustOpen(path), nullptr);
  const size_t known = SQLiteSchemaMigrations().size();
  ExecuteDirectly(path,
                  "INSERT INTO schema_migrations VALUES (" + std::to_string(known + 1) + ", 0)");
  Result<std::unique_ptr<SQLiteStore>> opened = SQLiteStore::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "store_version");
  EXPECT_EQ(opened.error().message, path + ": the database is at schema version " +
                                        std::to_string(known + 1) + "; this rota knows up to " +
                                        std::to_string(known));
}

TEST(SQLiteStoreTest, RefusesAFileThatIsNotADatabase) {
  ScratchDir dir;
  const std::string path = dir.File("rota.db");
  {
    std::ofstream file(path);
    for (int i = 0; i < 200; ++i) file << "name: not a database\ntasks: {}\n";
  }
  Result<std::unique_ptr<SQLiteStore>> opened = SQLiteStore::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "store_io");
  EXPECT_EQ(opened.error().message, "could not open " + path + ": file is not a database");
}

TEST(SQLiteStoreTest, SaysWhichFileItCouldNotCreate) {
  ScratchDir dir;
  const std::string path = dir.File("no-such-dir/rota.db");
  Result<std::unique_ptr<SQLiteStore>> opened = SQLiteStore::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "store_io");
  EXPECT_EQ(opened.error().message, "could not open " + path + ": unable to open database file");
}

constexpr uint64_t kCrashCommits = 200;

// The child of the crash test: appends one batch after another as the server does, and
// acknowledges each on `ack_fd` only once it is durable, as the server answers a client: some
// with Durability::kNow, some with kLater made durable by the next kNow append, some by a Sync.
// Returns the exit status.
int CommitAndAcknowledge(const std::string& path, int ack_fd) {
  Result<std::unique_ptr<SQLiteStore>> store = SQLiteStore::Open(path);
  if (!store.ok()) return 2;
  std::vector<uint64_t> unacknowledged;
  for (uint64_t seq = 1; seq <= kCrashCommits; ++seq) {
    const Durability durability = seq % 3 == 0 ? Durability::kNow : Durability::kLater;
    if (!(*store)->Append({Entry(seq)}, durability).ok()) return 3;
    unacknowledged.push_back(seq);
    if (seq % 3 == 2) continue;   // the next append makes it durable
    if (seq % 3 == 1 && !(*store)->Sync().ok()) return 5;
    for (uint64_t acked : unacknowledged) {
      if (write(ack_fd, &acked, sizeof acked) != sizeof acked) return 4;
    }
    unacknowledged.clear();
  }
  return 0;
}

std::optional<uint64_t> ReadAcknowledgement(int fd) {
  uint64_t seq = 0;
  size_t got = 0;
  while (got < sizeof seq) {
    ssize_t n = read(fd, reinterpret_cast<char*>(&seq) + got, sizeof seq - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    got += static_cast<size_t>(n);
  }
  return seq;
}

TEST(SQLiteStoreTest, EveryAcknowledgedCommitSurvivesKill9) {
  ScratchDir dir;
  const std::string path = dir.File("rota.db");
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  const size_t kill_after = std::uniform_int_distribution<size_t>(50, kCrashCommits - 10)(random);

  int ack_pipe[2];
  ASSERT_EQ(pipe(ack_pipe), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ack_pipe[0]);
    _exit(CommitAndAcknowledge(path, ack_pipe[1]));  // _exit: no gtest or atexit teardown here
  }
  close(ack_pipe[1]);
  std::vector<uint64_t> acknowledged;
  while (acknowledged.size() < kill_after) {
    std::optional<uint64_t> seq = ReadAcknowledgement(ack_pipe[0]);
    if (!seq) break;
    acknowledged.push_back(*seq);
  }
  kill(child, SIGKILL);
  // Acknowledgements already in the pipe were sent before the kill: they count too.
  while (std::optional<uint64_t> seq = ReadAcknowledgement(ack_pipe[0]))
    acknowledged.push_back(*seq);
  close(ack_pipe[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
      << "the child failed with status " << status;
  ASSERT_GE(acknowledged.size(), 50u);

  std::unique_ptr<SQLiteStore> reopened = MustOpen(path);
  ASSERT_NE(reopened, nullptr);
  Result<std::vector<LogEntry>> log = reopened->ReadFrom(0, 2 * kCrashCommits);
  ASSERT_TRUE(log.ok()) << log.error().message;
  // Gap-free from 1, at least as far as the last acknowledgement, each entry intact.
  EXPECT_GE(log->size(), acknowledged.size());
  for (size_t i = 0; i < log->size(); ++i) {
    EXPECT_EQ((*log)[i].lsn, i + 1);
    EXPECT_EQ((*log)[i].bytes, Entry(i + 1));
  }
  for (size_t i = 0; i < acknowledged.size(); ++i) EXPECT_EQ(acknowledged[i], i + 1);
}

}  // namespace
}  // namespace rota
