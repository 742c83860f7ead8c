// SQLiteStore and the tables of schema version 2 (jobs, runs, job_retries, signals, config,
// agents): read once after the upgrade, replaced by log entries in one transaction.
#include <functional>

#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

namespace rota {

using namespace sqlite_util;

Result<StoredState> SQLiteStore::LoadLegacy() {
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3* db = writer_.get();
  // One read transaction, so that the tables agree with each other.
  Result<Unit> begun = Execute(db, "BEGIN", "could not load from");
  if (!begun.ok()) return begun.error();
  StoredState state;
  auto read_all = [&](const char* sql,
                      const std::function<void(sqlite3_stmt*)>& on_row) -> Result<Unit> {
    Result<Statement> query = Prepare(db, sql);
    if (!query.ok()) return query.error();
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(query->get())) == SQLITE_ROW) on_row(query->get());
    if (rc != SQLITE_DONE) return IoError("could not load from", db);
    return Unit{};
  };
  const std::pair<const char*, std::function<void(sqlite3_stmt*)>> queries[] = {
      {"SELECT id, name, queue, priority, spec_text, spec_format, submitted_us, state,"
       " finished_us FROM jobs ORDER BY id",
       [&](sqlite3_stmt* s) {
         state.jobs.push_back(JobRecord{ColumnUint64(s, 0), ColumnText(s, 1), ColumnText(s, 2),
                                        sqlite3_column_int(s, 3), ColumnText(s, 4),
                                        ColumnText(s, 5), ColumnInt64(s, 6), ColumnText(s, 7),
                                        ColumnInt64(s, 8)});
       }},
      {"SELECT id, job_id, task, instance, attempt, epoch, host, state, exit_code, started_us,"
       " ended_us FROM runs ORDER BY id",
       [&](sqlite3_stmt* s) {
         std::optional<int> exit_code;
         if (sqlite3_column_type(s, 8) != SQLITE_NULL) exit_code = sqlite3_column_int(s, 8);
         state.runs.push_back(RunRecord{ColumnUint64(s, 0), ColumnUint64(s, 1), ColumnText(s, 2),
                                        sqlite3_column_int(s, 3), sqlite3_column_int(s, 4),
                                        ColumnUint64(s, 5), ColumnText(s, 6), ColumnText(s, 7),
                                        exit_code, ColumnInt64(s, 9), ColumnInt64(s, 10)});
       }},
      {"SELECT job_id, at_us FROM job_retries ORDER BY rowid",
       [&](sqlite3_stmt* s) { state.job_retries.emplace_back(ColumnUint64(s, 0), ColumnInt64(s, 1)); }},
      {"SELECT key, posted_us FROM signals",
       [&](sqlite3_stmt* s) { state.signals[ColumnText(s, 0)] = ColumnInt64(s, 1); }},
      {"SELECT key, value FROM config",
       [&](sqlite3_stmt* s) { state.config[ColumnText(s, 0)] = ColumnText(s, 1); }},
      {"SELECT id, name, resources_json, registered_us, last_heartbeat_us, state FROM agents"
       " ORDER BY id",
       [&](sqlite3_stmt* s) {
         state.agents.push_back(AgentRecord{ColumnText(s, 0), ColumnText(s, 1), ColumnText(s, 2),
                                            ColumnInt64(s, 3), ColumnInt64(s, 4),
                                            ColumnText(s, 5)});
       }},
      {"SELECT coalesce(max(seq), 0) FROM events",
       [&](sqlite3_stmt* s) { state.last_seq = ColumnUint64(s, 0); }},
  };
  for (const auto& [sql, on_row] : queries) {
    Result<Unit> read = read_all(sql, on_row);
    if (!read.ok()) {
      RollBackIfOpen();
      return read.error();
    }
  }
  RollBackIfOpen();  // ends the read transaction; nothing was written
  return state;
}

Result<uint64_t> SQLiteStore::ImportLegacy(const std::vector<std::string>& entries) {
  std::lock_guard<std::mutex> lock(write_mu_);
  Result<Unit> done = InTransaction([&]() -> Result<Unit> {
    Result<Unit> written = WriteEntries(entries);
    if (!written.ok()) return written;
    return Execute(writer_.get(),
                   "DELETE FROM runs; DELETE FROM job_retries; DELETE FROM jobs;"
                   " DELETE FROM signals; DELETE FROM config; DELETE FROM agents;",
                   "could not empty the version 2 tables of");
  });
  if (!done.ok()) return done.error();
  last_lsn_ += entries.size();
  unsynced_ = true;
  if (Result<Unit> synced = SyncWal(); !synced.ok()) return synced.error();
  return last_lsn_;
}

}  // namespace rota
