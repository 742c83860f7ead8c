// SQLiteStore's archive of retired jobs: derived, written like events (without an fsync of its
// own) and read by id, by name or a page at a time.
#include "store/sqlite_store.h"
#include "store/sqlite_util.h"

namespace rota {

using namespace sqlite_util;

namespace {

ArchivedJob ArchivedJobOf(sqlite3_stmt* s) {
  ArchivedJob job;
  job.id = ColumnUint64(s, 0);
  job.name = ColumnText(s, 1);
  job.queue = ColumnText(s, 2);
  job.state = ColumnText(s, 3);
  job.submitted_us = ColumnInt64(s, 4);
  job.finished_us = ColumnInt64(s, 5);
  job.json = ColumnText(s, 6);
  return job;
}

}  // namespace

Result<Unit> SQLiteStore::WriteArchive(const std::vector<ArchivedJob>& jobs) {
  if (jobs.empty()) return Unit{};
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3* db = writer_.get();
  if (Result<Unit> writable = CheckWritable(); !writable.ok()) return writable;
  Result<Unit> done = InTransaction([&]() -> Result<Unit> {
    Result<Statement> upsert = Prepare(db,
                                       "INSERT OR REPLACE INTO archive (id, name, queue, state, submitted_us,"
                                       " finished_us, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!upsert.ok()) return upsert.error();
    for (const ArchivedJob& job : jobs) {
      ResetOnExit reset(upsert->get());
      if (StepOnce(upsert->get(), job.id, job.name, job.queue, job.state, job.submitted_us, job.finished_us,
                   job.json) != SQLITE_DONE) {
        return IoError("could not archive job " + std::to_string(job.id) + " in", db);
      }
    }
    return Unit{};
  });
  return done;   // derived: the next durable append's fsync takes it along
}

Result<std::optional<ArchivedJob>> SQLiteStore::FindArchivedWhere(
    const char* where, const std::function<int(sqlite3_stmt*)>& bind) {
  std::lock_guard<std::mutex> lock(write_mu_);
  const std::string sql =
      std::string("SELECT id, name, queue, state, submitted_us, finished_us, json FROM archive WHERE ") + where;
  Result<Statement> query = Prepare(writer_.get(), sql.c_str());
  if (!query.ok()) return query.error();
  if (bind(query->get()) != SQLITE_OK) return IoError("could not read the archive of", writer_.get());
  const int rc = sqlite3_step(query->get());
  if (rc == SQLITE_DONE) return std::optional<ArchivedJob>{};
  if (rc != SQLITE_ROW) return IoError("could not read the archive of", writer_.get());
  return std::optional<ArchivedJob>(ArchivedJobOf(query->get()));
}

Result<std::optional<ArchivedJob>> SQLiteStore::FindArchived(uint64_t id) {
  return FindArchivedWhere("id = ?1", [&](sqlite3_stmt* s) { return BindAll(s, id); });
}

Result<std::optional<ArchivedJob>> SQLiteStore::FindArchivedByName(const std::string& name) {
  return FindArchivedWhere("name = ?1 ORDER BY id DESC LIMIT 1", [&](sqlite3_stmt* s) { return BindAll(s, name); });
}

Result<std::vector<ArchivedJob>> SQLiteStore::ArchivedJobs(uint64_t after, size_t limit) {
  std::lock_guard<std::mutex> lock(write_mu_);
  Result<Statement> query = Prepare(writer_.get(),
                                    "SELECT id, name, queue, state, submitted_us, finished_us, json FROM archive"
                                    " WHERE id > ?1 ORDER BY id LIMIT ?2");
  if (!query.ok()) return query.error();
  std::vector<ArchivedJob> out;
  int rc = BindAll(query->get(), after, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(query->get())) == SQLITE_ROW) out.push_back(ArchivedJobOf(query->get()));
  }
  if (rc != SQLITE_DONE) return IoError("could not read the archive of", writer_.get());
  return out;
}

}  // namespace rota
