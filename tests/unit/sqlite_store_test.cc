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

// One job and its event, the shape of a typical loop batch.
ChangeSet JobSubmitted(uint64_t id) {
  ChangeSet changes;
  changes.jobs.push_back(JobRecord{id, "job-" + std::to_string(id), "film", 50, "tasks: {}", "yaml",
                                   100, "pending", 0});
  changes.events.push_back(EventRecord{id, 100, R"({"type":"job.submitted"})"});
  return changes;
}

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
  ChangeSet changes = JobSubmitted(1);
  changes.runs.push_back(RunRecord{10, 1, "render", 2, 1, 3, "h1", "failed", 137, 5, 6});
  changes.signals_posted.emplace_back("plates-ready", 42);
  changes.config["policy"] = "priority";
  changes.agents.push_back(AgentRecord{"a1", "h1", R"({"cores":4})", 1, 2, "alive"});
  {
    std::unique_ptr<SQLiteStore> store = MustOpen(dir.File("rota.db"));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(changes).ok());
  }
  std::unique_ptr<SQLiteStore> reopened = MustOpen(dir.File("rota.db"));
  ASSERT_NE(reopened, nullptr);
  Result<StoredState> state = reopened->Load();
  ASSERT_TRUE(state.ok()) << state.error().message;
  ASSERT_EQ(state->jobs.size(), 1u);
  EXPECT_EQ(state->jobs[0].name, "job-1");
  ASSERT_EQ(state->runs.size(), 1u);
  EXPECT_EQ(state->runs[0].exit_code, 137);
  EXPECT_EQ(state->runs[0].epoch, 3u);
  EXPECT_EQ(state->signals.at("plates-ready"), 42);
  EXPECT_EQ(state->config.at("policy"), "priority");
  ASSERT_EQ(state->agents.size(), 1u);
  EXPECT_EQ(state->agents[0].resources_json, R"({"cores":4})");
  EXPECT_EQ(state->last_seq, 1u);
  Result<std::vector<EventRecord>> events = reopened->EventsSince(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].json, R"({"type":"job.submitted"})");
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

// The child of the crash test: commits one batch after another and acknowledges each on `ack_fd`
// only once Commit has returned ok, as the engine answers a client. Returns the exit status.
int CommitAndAcknowledge(const std::string& path, int ack_fd) {
  Result<std::unique_ptr<SQLiteStore>> store = SQLiteStore::Open(path);
  if (!store.ok()) return 2;
  for (uint64_t seq = 1; seq <= kCrashCommits; ++seq) {
    if (!(*store)->Commit(JobSubmitted(seq)).ok()) return 3;
    if (write(ack_fd, &seq, sizeof seq) != sizeof seq) return 4;
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
  Result<StoredState> state = reopened->Load();
  ASSERT_TRUE(state.ok()) << state.error().message;
  Result<std::vector<EventRecord>> events = reopened->EventsSince(0, 2 * kCrashCommits);
  ASSERT_TRUE(events.ok()) << events.error().message;
  // Gap-free from 1, at least as far as the last acknowledgement, and each job with its event.
  const size_t stored = events->size();
  EXPECT_GE(stored, acknowledged.size());
  EXPECT_EQ(state->last_seq, stored);
  ASSERT_EQ(state->jobs.size(), stored);
  for (size_t i = 0; i < stored; ++i) {
    EXPECT_EQ((*events)[i].seq, i + 1);
    EXPECT_EQ(state->jobs[i].id, i + 1);
  }
  for (size_t i = 0; i < acknowledged.size(); ++i) EXPECT_EQ(acknowledged[i], i + 1);
}

}  // namespace
}  // namespace rota
