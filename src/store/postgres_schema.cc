// The PostgreSQL schema, as an ordered list of migrations. Never edit an entry once it has
// shipped: databases in the field have already run it and will not run it again. Append a new
// entry instead. lsns, seqs and ids are BIGINT (unsigned 64-bit values stored as signed).
#include "store/postgres_store.h"

namespace rota {
namespace {

// Version 1: the log (with its one-row head, which orders concurrent appends), snapshots, the
// derived events and the archive of retired jobs (DESIGN section 8).
constexpr const char* kCreateLog = R"sql(
CREATE TABLE log (
  lsn BIGINT PRIMARY KEY,
  entry BYTEA NOT NULL
);
CREATE TABLE log_head (
  id INT PRIMARY KEY CHECK (id = 1),
  lsn BIGINT NOT NULL
);
INSERT INTO log_head VALUES (1, 0);
CREATE TABLE snapshot_parts (
  lsn BIGINT NOT NULL,
  part INT NOT NULL,
  body BYTEA NOT NULL,
  PRIMARY KEY (lsn, part)
);
CREATE TABLE snapshots (
  lsn BIGINT PRIMARY KEY,
  parts INT NOT NULL,
  size BIGINT NOT NULL,
  written_us BIGINT NOT NULL
);
CREATE TABLE events (
  seq BIGINT PRIMARY KEY,
  ts_us BIGINT NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE archive (
  id BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  queue TEXT NOT NULL,
  state TEXT NOT NULL,
  submitted_us BIGINT NOT NULL,
  finished_us BIGINT NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX archive_by_name ON archive (name, id);
)sql";

// Version 2: several servers on one log: who is alive, and who holds which lease at which epoch
// (the pools, and "*farm"). A lease nobody holds has holder '' and expires at -infinity.
constexpr const char* kCreateLeases = R"sql(
CREATE TABLE servers (
  name TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  exclude_pools TEXT NOT NULL DEFAULT '',
  exclude_queues TEXT NOT NULL DEFAULT '',
  locks BOOLEAN NOT NULL DEFAULT true,   -- holds its advisory lock while it lives
  started_us BIGINT NOT NULL,
  renewed_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL DEFAULT '',
  epoch BIGINT NOT NULL DEFAULT 0,
  expires_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
);
)sql";

constexpr const char* kMigrations[] = {
    kCreateLog,
    kCreateLeases,
};

}  // namespace

std::span<const char* const> PostgresSchemaMigrations() { return kMigrations; }

}  // namespace rota
