// SQLiteStore: the default Store, one SQLite file in WAL mode (DESIGN section 7). Commit is one
// BEGIN IMMEDIATE ... COMMIT transaction over cached prepared statements, made durable with
// synchronous=FULL before it returns. Open() brings the file's schema up to date with the
// migrations of sqlite_schema.cc and refuses a file written by a newer rota.
//
// Thread-safety: Commit and Load share the writing connection under write_mu_ (the engine loop is
// its only caller). EventsSince reads through a second, read-only connection under its own
// read_mu_, so API threads can page through events while the loop commits: WAL lets a reader see
// the last committed state without waiting for the writer.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "store/store.h"

namespace rota {

// The schema migrations, oldest first: entry i brings a database from version i to version i + 1.
// Defined in sqlite_schema.cc.
std::span<const char* const> SQLiteSchemaMigrations();

class SQLiteStore final : public Store {
 public:
  // Creates the file if it does not exist. Errors: "store_io" (cannot open, not a database, disk
  // or locking trouble), "store_version" (the file is newer than this binary).
  static Result<std::unique_ptr<SQLiteStore>> Open(const std::string& path);

  SQLiteStore(const SQLiteStore&) = delete;
  SQLiteStore& operator=(const SQLiteStore&) = delete;
  ~SQLiteStore() override = default;

  Result<Unit> Commit(const ChangeSet& changes) override;
  Result<StoredState> Load() override;
  Result<std::vector<EventRecord>> EventsSince(uint64_t after, size_t limit) override;

 private:
  struct ConnectionCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct StatementFinalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;
  using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

  explicit SQLiteStore(std::string path) : path_(std::move(path)) {}

  Result<Unit> OpenWriter();
  Result<Unit> Migrate();
  Result<Unit> OpenReader();
  Result<Unit> PrepareCommitStatements();

  // REQUIRES: write_mu_ held, inside the commit transaction.
  Result<Unit> WriteChanges(const ChangeSet& changes);
  Result<Unit> WriteEvents(const std::vector<EventRecord>& events);
  // REQUIRES: write_mu_ held.
  void RollBackIfOpen();

  // Builds the store_io error for a failed `operation` on `db` ("could not commit to").
  Error IoError(const std::string& operation, sqlite3* db) const;
  Result<Unit> Execute(sqlite3* db, const char* sql, const std::string& operation);
  Result<Statement> Prepare(sqlite3* db, const char* sql);

  const std::string path_;

  // Declared before the statements, so that the statements are finalized first.
  std::mutex write_mu_;
  Connection writer_;  // GUARDED_BY(write_mu_)
  Statement begin_, commit_, rollback_;
  Statement insert_job_retry_;
  Statement max_seq_, upsert_job_, upsert_run_, insert_event_, upsert_signal_, upsert_config_,
      upsert_agent_;

  std::mutex read_mu_;
  Connection reader_;       // GUARDED_BY(read_mu_)
  Statement events_since_;  // GUARDED_BY(read_mu_)
};

}  // namespace rota
