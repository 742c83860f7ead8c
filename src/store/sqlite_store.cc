#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <utility>

namespace rota {

using namespace sqlite_util;

namespace {

// How long a statement waits for another connection's lock before failing with "database is
// locked": long enough to ride out a checkpoint or a second process's migration.
constexpr int kBusyTimeoutMs = 5000;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Error SQLiteStore::IoError(const std::string& operation, sqlite3* db) const {
  // sqlite3_errmsg(nullptr) says "out of memory", which is the only way to get no handle.
  if (db != nullptr && (sqlite3_errcode(db) & 0xff) == SQLITE_BUSY) {
    return MakeError("store_io", operation + " " + path_ + ": another rota server has it open (" +
                                     sqlite3_errmsg(db) + ")");
  }
  return MakeError("store_io", operation + " " + path_ + ": " + sqlite3_errmsg(db));
}

Result<Unit> SQLiteStore::Execute(sqlite3* db, const char* sql, const std::string& operation) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return IoError(operation, db);
  return Unit{};
}

Result<SQLiteStore::Statement> SQLiteStore::Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  // PERSISTENT: these live as long as the store, so SQLite keeps them out of its lookaside memory.
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
      SQLITE_OK) {
    return IoError(std::string("could not prepare \"") + sql + "\" on", db);
  }
  return Statement(statement);
}

Result<std::unique_ptr<SQLiteStore>> SQLiteStore::Open(const std::string& path) {
  std::unique_ptr<SQLiteStore> store(new SQLiteStore(path));
  for (auto step : {&SQLiteStore::OpenWriter, &SQLiteStore::Migrate, &SQLiteStore::PrepareCommitStatements}) {
    Result<Unit> done = (store.get()->*step)();
    if (!done.ok()) return done.error();
  }
  return store;
}

Result<Unit> SQLiteStore::OpenWriter() {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  writer_.reset(db);  // a handle comes back even on failure, and must be closed
  if (rc != SQLITE_OK) return IoError("could not open", db);
  sqlite3_extended_result_codes(db, 1);  // tells a foreign-key failure from other constraints
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // One process per file, holding it from its first read on: no file lock taken and released
  // around every transaction, and the WAL index in this process's memory instead of a shared
  // -shm file (set before the first access in WAL mode, as SQLite requires). A second server on
  // the same file waits kBusyTimeoutMs, then is refused.
  Result<Unit> exclusive = Execute(db, "PRAGMA locking_mode=EXCLUSIVE", "could not open");
  if (!exclusive.ok()) return exclusive;
  // The journal_mode pragma answers with the mode now in effect; a file that cannot do WAL (on a
  // network filesystem, say) answers with another one, and we would rather refuse than guess.
  Result<Statement> wal = Prepare(db, "PRAGMA journal_mode=WAL");
  if (!wal.ok()) return IoError("could not open", db);
  if (sqlite3_step(wal->get()) != SQLITE_ROW) return IoError("could not open", db);
  std::string mode = ColumnText(wal->get(), 0);
  if (mode != "wal") {
    return MakeError("store_io", "could not open " + path_ + ": it cannot use WAL journal mode (" +
                                     "SQLite chose \"" + mode + "\")");
  }
  // NORMAL: in WAL mode it does not sync the log on each commit; SyncWal does, when an append
  // must be durable, so that a loop batch of several commits costs one fsync.
  Result<Unit> relaxed = Execute(db, "PRAGMA synchronous=NORMAL", "could not open");
  if (!relaxed.ok()) return relaxed;
  return Execute(db, "PRAGMA foreign_keys=ON", "could not open");
}

Result<Unit> SQLiteStore::Migrate() {
  sqlite3* db = writer_.get();
  std::span<const char* const> migrations = SQLiteSchemaMigrations();
  const int64_t known_version = static_cast<int64_t>(migrations.size());
  // IMMEDIATE takes the write lock before the version is read, so that two processes opening a new
  // file at the same time do not both run migration 1.
  Result<Unit> begun = Execute(db, "BEGIN IMMEDIATE", "could not open");
  if (!begun.ok()) return begun;
  auto migrate = [&]() -> Result<Unit> {
    Result<Unit> created = Execute(db,
                                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   "version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL)",
                                   "could not open");
    if (!created.ok()) return created;
    Result<Statement> current =
        Prepare(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!current.ok()) return current.error();
    ResetOnExit reset_current(current->get());  // no statement left mid-read at COMMIT
    if (sqlite3_step(current->get()) != SQLITE_ROW) return IoError("could not open", db);
    const int64_t version = ColumnInt64(current->get(), 0);
    if (version > known_version) {
      return MakeError("store_version", path_ + ": the database is at schema version " +
                                            std::to_string(version) + "; this rota knows up to " +
                                            std::to_string(known_version));
    }
    Result<Statement> record =
        Prepare(db, "INSERT INTO schema_migrations (version, applied_us) VALUES (?1, ?2)");
    if (!record.ok()) return record.error();
    for (int64_t next = version + 1; next <= known_version; ++next) {
      const std::string operation =
          "could not migrate to schema version " + std::to_string(next) + ":";
      Result<Unit> migrated = Execute(db, migrations[static_cast<size_t>(next - 1)], operation);
      if (!migrated.ok()) return migrated;
      ResetOnExit reset(record->get());
      if (StepOnce(record->get(), next, NowMicros()) != SQLITE_DONE) return IoError(operation, db);
    }
    return Execute(db, "COMMIT", "could not open");
  };
  Result<Unit> migrated = migrate();
  if (!migrated.ok()) RollBackIfOpen();
  return migrated;
}

Result<Unit> SQLiteStore::PrepareCommitStatements() {
  const std::pair<Statement*, const char*> statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&max_seq_, "SELECT coalesce(max(seq), 0) FROM events"},
      {&insert_event_, "INSERT INTO events (seq, ts_us, json) VALUES (?1, ?2, ?3)"},
      {&append_, "INSERT INTO log (lsn, entry) VALUES (?1, ?2)"},
      {&read_from_, "SELECT lsn, entry FROM log WHERE lsn > ?1 ORDER BY lsn LIMIT ?2"},
      {&insert_part_, "INSERT OR REPLACE INTO snapshot_parts (lsn, part, body) VALUES (?1, ?2, ?3)"},
      {&insert_snapshot_,
       "INSERT OR REPLACE INTO snapshots (lsn, parts, size, written_us) VALUES (?1, ?2, ?3, ?4)"},
      {&latest_snapshot_, "SELECT lsn, parts, size FROM snapshots ORDER BY lsn DESC LIMIT 1"},
      {&read_parts_, "SELECT body FROM snapshot_parts WHERE lsn = ?1 ORDER BY part"},
      {&events_since_, "SELECT seq, ts_us, json FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"},
  };
  for (const auto& [slot, sql] : statements) {
    Result<Statement> prepared = Prepare(writer_.get(), sql);
    if (!prepared.ok()) return prepared.error();
    *slot = std::move(prepared).value();
  }
  Result<Statement> last = Prepare(writer_.get(),
                                   "SELECT max(coalesce((SELECT max(lsn) FROM log), 0),"
                                   " coalesce((SELECT max(lsn) FROM snapshots), 0))");
  if (!last.ok()) return last.error();
  if (sqlite3_step(last->get()) != SQLITE_ROW) return IoError("could not read the log of", writer_.get());
  last_lsn_ = ColumnUint64(last->get(), 0);
  return Unit{};
}

void SQLiteStore::RollBackIfOpen() {
  // Some failures (a full disk during COMMIT, say) already rolled the transaction back.
  if (sqlite3_get_autocommit(writer_.get()) == 0) {
    sqlite3_exec(writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Result<Unit> SQLiteStore::InTransaction(const std::function<Result<Unit>()>& body) {
  {
    ResetOnExit reset(begin_.get());
    if (sqlite3_step(begin_.get()) != SQLITE_DONE) {
      return IoError("could not start a transaction on", writer_.get());
    }
  }
  Result<Unit> written = body();
  if (written.ok()) {
    ResetOnExit reset(commit_.get());
    if (sqlite3_step(commit_.get()) == SQLITE_DONE) return Unit{};
    written = IoError("could not commit to", writer_.get());
  }
  RollBackIfOpen();
  return written;
}

Result<Unit> SQLiteStore::WriteEntries(const std::vector<std::string>& entries) {
  uint64_t lsn = last_lsn_;
  for (const std::string& entry : entries) {
    ResetOnExit reset(append_.get());
    int rc = BindAll(append_.get(), ++lsn);
    if (rc == SQLITE_OK) {
      rc = sqlite3_bind_blob(append_.get(), 2, entry.data(), static_cast<int>(entry.size()),
                             SQLITE_STATIC);
    }
    if (rc != SQLITE_OK || sqlite3_step(append_.get()) != SQLITE_DONE) {
      return IoError("could not append change " + std::to_string(lsn) + " to", writer_.get());
    }
  }
  return Unit{};
}

Result<uint64_t> SQLiteStore::Append(const std::vector<std::string>& entries, Durability durability,
                                     std::span<const EventRecord> events, const Fence*) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (Result<Unit> writable = CheckWritable(); !writable.ok()) return writable.error();
  if (!entries.empty() || !events.empty()) {
    Result<Unit> done = InTransaction([&]() -> Result<Unit> {
      if (Result<Unit> written = WriteEntries(entries); !written.ok()) return written;
      return InsertEvents(events);
    });
    if (!done.ok()) return done.error();
    last_lsn_ += entries.size();
    unsynced_ = unsynced_ || !entries.empty();
  }
  if (durability == Durability::kNow) {
    if (Result<Unit> synced = SyncWal(); !synced.ok()) return synced.error();
  }
  return last_lsn_;
}

Result<Unit> SQLiteStore::Sync() {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (Result<Unit> writable = CheckWritable(); !writable.ok()) return writable;
  return SyncWal();
}

Result<Unit> SQLiteStore::CheckWritable() const {
  if (broken_.empty()) return Unit{};
  return MakeError("store_sync", broken_);
}

Result<Unit> SQLiteStore::SyncWal() {
  if (!unsynced_) return Unit{};
  sqlite3_file* wal = nullptr;
  int rc = sqlite3_file_control(writer_.get(), "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
  if (rc == SQLITE_OK && wal != nullptr && wal->pMethods != nullptr) {
    rc = wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
  } else if (rc == SQLITE_OK) {
    rc = SQLITE_IOERR_FSYNC;   // no WAL file open: nothing we wrote can be trusted to be there
  }
  if (rc != SQLITE_OK) {
    // After a failed fsync the kernel may have dropped the pages it could not write: what this
    // process believes it wrote is no longer what the disk holds (PostgreSQL's "fsyncgate").
    // Refuse every later write; a restart reads back what is really there.
    broken_ = "could not make the log of " + path_ + " durable (" + sqlite3_errstr(rc) +
              "); the store refuses further changes: restart the server";
    return MakeError("store_sync", broken_);
  }
  unsynced_ = false;
  return Unit{};
}

Result<std::vector<LogEntry>> SQLiteStore::ReadFrom(uint64_t after, size_t limit) {
  constexpr uint64_t kMaxStored = std::numeric_limits<int64_t>::max();
  if (after >= kMaxStored || limit == 0) return std::vector<LogEntry>{};
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3_stmt* query = read_from_.get();
  ResetOnExit reset(query);
  std::vector<LogEntry> entries;
  int rc = BindAll(query, after, static_cast<int64_t>(std::min<uint64_t>(limit, kMaxStored)));
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(query)) == SQLITE_ROW) {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(query, 1));
      entries.push_back(LogEntry{ColumnUint64(query, 0),
                                 std::string(data, static_cast<size_t>(sqlite3_column_bytes(query, 1)))});
    }
  }
  if (rc != SQLITE_DONE) return IoError("could not read the log of", writer_.get());
  return entries;
}

// In parts of kSnapshotPart bytes, each its own transaction, then the row that makes it the
// newest; then the compaction, a slice of log entries per transaction. The loop's appends wait for
// one such transaction at most.
Result<Unit> SQLiteStore::WriteSnapshot(uint64_t lsn, std::string_view bytes) {
  constexpr size_t kSnapshotPart = 1 << 20;
  constexpr int kCompactSlice = 20000;
  const size_t parts = std::max<size_t>(1, (bytes.size() + kSnapshotPart - 1) / kSnapshotPart);
  for (size_t part = 0; part < parts; ++part) {
    std::lock_guard<std::mutex> lock(write_mu_);
    const std::string_view body = bytes.substr(std::min(bytes.size(), part * kSnapshotPart), kSnapshotPart);
    Result<Unit> written = InTransaction([&]() -> Result<Unit> {
      ResetOnExit reset(insert_part_.get());
      int rc = BindAll(insert_part_.get(), lsn, static_cast<uint64_t>(part));
      if (rc == SQLITE_OK) {
        rc = sqlite3_bind_blob(insert_part_.get(), 3, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK || sqlite3_step(insert_part_.get()) != SQLITE_DONE) {
        return IoError("could not write the snapshot at " + std::to_string(lsn) + " to", writer_.get());
      }
      return Unit{};
    });
    if (!written.ok()) return written;
  }
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    Result<Unit> done = InTransaction([&]() -> Result<Unit> {
      ResetOnExit reset(insert_snapshot_.get());
      if (StepOnce(insert_snapshot_.get(), lsn, static_cast<uint64_t>(parts), static_cast<uint64_t>(bytes.size()),
                   NowMicros()) != SQLITE_DONE) {
        return IoError("could not write the snapshot at " + std::to_string(lsn) + " to", writer_.get());
      }
      const std::string keep = std::to_string(kKeptSnapshots);
      const std::string drop =
          "DELETE FROM snapshots WHERE lsn NOT IN (SELECT lsn FROM snapshots ORDER BY lsn DESC LIMIT " + keep +
          "); DELETE FROM snapshot_parts WHERE lsn NOT IN (SELECT lsn FROM snapshots);";
      return Execute(writer_.get(), drop.c_str(), "could not drop old snapshots of");
    });
    if (!done.ok()) return done;
  }
  const std::string compact = "DELETE FROM log WHERE lsn IN (SELECT lsn FROM log WHERE lsn <= "
                              "(SELECT min(lsn) FROM snapshots) ORDER BY lsn LIMIT " +
                              std::to_string(kCompactSlice) + ")";
  for (;;) {
    std::lock_guard<std::mutex> lock(write_mu_);
    Result<Unit> sliced = InTransaction([&] { return Execute(writer_.get(), compact.c_str(), "could not compact the log of"); });
    if (!sliced.ok()) return sliced;
    if (sqlite3_changes(writer_.get()) < kCompactSlice) return Unit{};
  }
}

Result<std::optional<SnapshotRecord>> SQLiteStore::LatestSnapshot() {
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3_stmt* query = latest_snapshot_.get();
  ResetOnExit reset(query);
  const int rc = sqlite3_step(query);
  if (rc == SQLITE_DONE) return std::optional<SnapshotRecord>{};
  if (rc != SQLITE_ROW) return IoError("could not read the snapshot of", writer_.get());
  SnapshotRecord snapshot;
  snapshot.lsn = ColumnUint64(query, 0);
  const uint64_t parts = ColumnUint64(query, 1);
  snapshot.bytes.reserve(ColumnUint64(query, 2));
  sqlite3_stmt* read = read_parts_.get();
  ResetOnExit reset_parts(read);
  uint64_t seen = 0;
  int step = BindAll(read, snapshot.lsn);
  if (step == SQLITE_OK) {
    while ((step = sqlite3_step(read)) == SQLITE_ROW) {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(read, 0));
      snapshot.bytes.append(data, static_cast<size_t>(sqlite3_column_bytes(read, 0)));
      ++seen;
    }
  }
  if (step != SQLITE_DONE) return IoError("could not read the snapshot of", writer_.get());
  if (seen != parts) {
    return MakeError("store_corrupt", path_ + ": the snapshot at " + std::to_string(snapshot.lsn) + " has " +
                                          std::to_string(seen) + " of its " + std::to_string(parts) + " parts");
  }
  return std::optional<SnapshotRecord>(std::move(snapshot));
}

Result<uint64_t> SQLiteStore::LastEventSeq() {
  std::lock_guard<std::mutex> lock(write_mu_);
  ResetOnExit reset(max_seq_.get());
  if (sqlite3_step(max_seq_.get()) != SQLITE_ROW) {
    return IoError("could not read the last event seq of", writer_.get());
  }
  return ColumnUint64(max_seq_.get(), 0);
}

Result<Unit> SQLiteStore::WriteEvents(const std::vector<EventRecord>& events) {
  if (events.empty()) return Unit{};
  std::lock_guard<std::mutex> lock(write_mu_);
  if (Result<Unit> writable = CheckWritable(); !writable.ok()) return writable;
  // Derived: the next durable append's fsync takes it along.
  return InTransaction([&] { return InsertEvents(events); });
}

Result<Unit> SQLiteStore::InsertEvents(std::span<const EventRecord> events) {
  if (events.empty()) return Unit{};
  sqlite3* db = writer_.get();
  uint64_t previous_seq = 0;
  {
    // Read inside the IMMEDIATE transaction, so no other writer can slip an event in after it.
    ResetOnExit reset(max_seq_.get());
    if (sqlite3_step(max_seq_.get()) != SQLITE_ROW) return IoError("could not read the last event seq of", db);
    previous_seq = ColumnUint64(max_seq_.get(), 0);
  }
  for (const EventRecord& event : events) {
    if (event.seq <= previous_seq) continue;   // written before; a replay derived it again
    previous_seq = event.seq;
    ResetOnExit reset(insert_event_.get());
    if (StepOnce(insert_event_.get(), event.seq, event.ts_us, event.json) != SQLITE_DONE) {
      return IoError("could not write event " + std::to_string(event.seq) + " to", db);
    }
  }
  return Unit{};
}

Result<std::vector<EventRecord>> SQLiteStore::EventsSince(uint64_t after, size_t limit) {
  constexpr uint64_t kMaxStored = std::numeric_limits<int64_t>::max();
  if (after >= kMaxStored || limit == 0) return std::vector<EventRecord>{};
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3_stmt* since = events_since_.get();
  ResetOnExit reset(since);
  const int64_t row_limit = static_cast<int64_t>(std::min<uint64_t>(limit, kMaxStored));
  std::vector<EventRecord> events;
  int rc = BindAll(since, after, row_limit);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(since)) == SQLITE_ROW) {
      events.push_back(
          EventRecord{ColumnUint64(since, 0), ColumnInt64(since, 1), ColumnText(since, 2)});
    }
  }
  if (rc != SQLITE_DONE) return IoError("could not read events from", writer_.get());
  return events;
}

}  // namespace rota
