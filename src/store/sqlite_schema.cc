// The SQLite schema, as an ordered list of migrations. Never edit an entry once it has shipped:
// files in the field have already run it and will not run it again. Append a new entry instead.
//
// Ids are INTEGER PRIMARY KEY (the rowid) so lookups by id and `ORDER BY id` need no extra index.
// Unsigned 64-bit ids and seqs are stored as SQLite's signed 64-bit integers.

#include "store/sqlite_store.h"

namespace rota {
namespace {

// Version 1: the tables of store.h.
constexpr const char* kCreateTables = R"sql(
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  queue TEXT NOT NULL,
  priority INTEGER NOT NULL,
  spec_text TEXT NOT NULL,
  spec_format TEXT NOT NULL,
  submitted_us INTEGER NOT NULL,
  state TEXT NOT NULL,
  finished_us INTEGER NOT NULL
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs (id),
  task TEXT NOT NULL,
  instance INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  host TEXT NOT NULL,
  state TEXT NOT NULL,
  exit_code INTEGER,
  started_us INTEGER NOT NULL,
  ended_us INTEGER NOT NULL
);
CREATE INDEX runs_by_job ON runs (job_id);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  ts_us INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE signals (
  key TEXT PRIMARY KEY,
  posted_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  resources_json TEXT NOT NULL,
  registered_us INTEGER NOT NULL,
  last_heartbeat_us INTEGER NOT NULL,
  state TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 2: finished jobs sent round again (POST /v1/jobs/{id}/retry), in commit order.
constexpr const char* kCreateJobRetries = R"sql(
CREATE TABLE job_retries (
  job_id INTEGER NOT NULL REFERENCES jobs (id),
  at_us INTEGER NOT NULL
);
)sql";

// Version 3: the log of changes, snapshots of the engine and the archive of retired jobs (DESIGN
// section 8). The tables of
// versions 1 and 2 other than events are read once more, imported into the log by the server
// (Store::ImportLegacy) and emptied; events stay, derived from the log from then on.
constexpr const char* kCreateLog = R"sql(
CREATE TABLE log (
  lsn INTEGER PRIMARY KEY,
  entry BLOB NOT NULL
);
CREATE TABLE snapshot_parts (
  lsn INTEGER NOT NULL,
  part INTEGER NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (lsn, part)
) WITHOUT ROWID;
CREATE TABLE snapshots (
  lsn INTEGER PRIMARY KEY,
  parts INTEGER NOT NULL,
  size INTEGER NOT NULL,
  written_us INTEGER NOT NULL
);
CREATE TABLE archive (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  queue TEXT NOT NULL,
  state TEXT NOT NULL,
  submitted_us INTEGER NOT NULL,
  finished_us INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX archive_by_name ON archive (name, id);
)sql";

constexpr const char* kMigrations[] = {
    kCreateTables,
    kCreateJobRetries,
    kCreateLog,
};

}  // namespace

std::span<const char* const> SQLiteSchemaMigrations() { return kMigrations; }

}  // namespace rota
