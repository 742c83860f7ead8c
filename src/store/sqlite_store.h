// SQLiteStore: the default Store, one SQLite file in WAL mode (DESIGN sections 7 and 8). Every
// write is one BEGIN IMMEDIATE ... COMMIT transaction over cached prepared statements, committed
// with synchronous=NORMAL (no fsync); a durable Append, or Sync, then fsyncs the WAL, which makes
// every commit before it durable too. The WAL's checksums keep commits in order across a crash, so
// derived events, snapshots and compaction need no fsync of their own (a replay derives any
// events a crash takes). Open() brings the file's schema up to date with the migrations of
// sqlite_schema.cc and refuses a file written by a newer rota. One process per file: it holds the
// file exclusively (locking_mode=EXCLUSIVE), and a second one is refused.
//
// Thread-safety: one connection, under write_mu_: the engine loop, the snapshot writer's thread
// and the API threads that page through old events (EventsSince, rarely: the live stream keeps
// the recent ones) take turns.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
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

  Result<uint64_t> Append(const std::vector<std::string>& entries,
                          Durability durability = Durability::kNow,
                          std::span<const EventRecord> events = {}, const Fence* fence = nullptr) override;
  Result<Unit> Sync() override;
  Result<std::vector<LogEntry>> ReadFrom(uint64_t after, size_t limit) override;
  Result<Unit> WriteSnapshot(uint64_t lsn, std::string_view bytes) override;
  Result<std::optional<SnapshotRecord>> LatestSnapshot() override;
  Result<Unit> WriteEvents(const std::vector<EventRecord>& events) override;
  Result<std::vector<EventRecord>> EventsSince(uint64_t after, size_t limit) override;
  Result<uint64_t> LastEventSeq() override;
  Result<Unit> WriteArchive(const std::vector<ArchivedJob>& jobs) override;
  Result<std::optional<ArchivedJob>> FindArchived(uint64_t id) override;
  Result<std::optional<ArchivedJob>> FindArchivedByName(const std::string& name) override;
  Result<std::vector<ArchivedJob>> ArchivedJobs(uint64_t after, size_t limit) override;
  Result<StoredState> LoadLegacy() override;
  Result<uint64_t> ImportLegacy(const std::vector<std::string>& entries) override;

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
  Result<Unit> PrepareCommitStatements();

  // REQUIRES: write_mu_ held. Runs `body` in one BEGIN IMMEDIATE transaction, committed if it
  // succeeds and rolled back if not.
  Result<Unit> InTransaction(const std::function<Result<Unit>()>& body);
  // REQUIRES: write_mu_ held, inside a transaction. Appends after last_lsn_ (not yet updated).
  Result<Unit> WriteEntries(const std::vector<std::string>& entries);
  // REQUIRES: write_mu_ held, inside a transaction. Skips those at or below the highest stored.
  Result<Unit> InsertEvents(std::span<const EventRecord> events);
  // REQUIRES: write_mu_ held.
  void RollBackIfOpen();
  // REQUIRES: write_mu_ held. fsyncs the WAL if a commit since the last one needs it; on failure
  // the store is broken for good (see Append).
  Result<Unit> SyncWal();
  // REQUIRES: write_mu_ held. The store_sync error once broken_.
  Result<Unit> CheckWritable() const;
  // The one archived job a WHERE clause with its ?1 bound by `bind` selects, if any.
  Result<std::optional<ArchivedJob>> FindArchivedWhere(const char* where,
                                                       const std::function<int(sqlite3_stmt*)>& bind);

  // Builds the store_io error for a failed `operation` on `db` ("could not commit to").
  Error IoError(const std::string& operation, sqlite3* db) const;
  Result<Unit> Execute(sqlite3* db, const char* sql, const std::string& operation);
  Result<Statement> Prepare(sqlite3* db, const char* sql);

  const std::string path_;

  // Declared before the statements, so that the statements are finalized first.
  std::mutex write_mu_;
  Connection writer_;  // GUARDED_BY(write_mu_)
  Statement begin_, commit_;
  Statement max_seq_, insert_event_, append_, read_from_, insert_part_, insert_snapshot_,
      latest_snapshot_, read_parts_, events_since_;
  uint64_t last_lsn_ = 0;   // GUARDED_BY(write_mu_): of the log, compacted entries included
  bool unsynced_ = false;   // GUARDED_BY(write_mu_): committed since the last fsync of the WAL
  std::string broken_;      // GUARDED_BY(write_mu_): why the store refuses writes; "" when fine
};

}  // namespace rota
