#include "store/postgres_store.h"

#include <pqxx/pqxx>

#include "store/postgres_internal.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <random>

namespace rota {

using namespace postgres_internal;


PostgresStore::Link::Link(const char* r) : role(r) {}
PostgresStore::Link::~Link() = default;

namespace {

// Migrations run under this advisory lock, so that servers starting together take turns.
constexpr int64_t kMigrationLock = 0x726f7461;   // "rota"
constexpr size_t kSnapshotPart = 1 << 20;
constexpr int kCompactSlice = 20000;
constexpr uint64_t kMaxStored = std::numeric_limits<int64_t>::max();


std::string EventSeqs(std::span<const EventRecord> events) {
  return ArrayLiteral(events, [](const EventRecord& e, std::string& out) { out += std::to_string(e.seq); });
}
std::string EventTimes(std::span<const EventRecord> events) {
  return ArrayLiteral(events, [](const EventRecord& e, std::string& out) { out += std::to_string(e.ts_us); });
}
std::string EventJson(std::span<const EventRecord> events) {
  return ArrayLiteral(events, [](const EventRecord& e, std::string& out) { AppendArrayElement(e.json, out); });
}

ArchivedJob ArchivedOf(const pqxx::row& row) {
  ArchivedJob job;
  job.id = row[0].as<uint64_t>();
  job.name = row[1].c_str();
  job.queue = row[2].c_str();
  job.state = row[3].c_str();
  job.submitted_us = row[4].as<int64_t>();
  job.finished_us = row[5].as<int64_t>();
  job.json = row[6].c_str();
  return job;
}

// The statements every connection prepares.
const std::pair<const char*, const char*> kStatements[] = {
    // The fence: the leases $7 at epochs $8 must be held by $9, locked (FOR SHARE) so that a
    // concurrent Take waits for this append, or this one sees the Take. Leases, then the head:
    // the order Take locks them in too.
    {"append",
     "WITH fence AS (SELECT l.name FROM leases l JOIN unnest($7::text[], $8::bigint[]) AS f(name, epoch)"
     "   ON l.name = f.name WHERE l.holder = $9 AND l.epoch = f.epoch FOR SHARE OF l),"
     " head AS (UPDATE log_head SET lsn = lsn + $1 WHERE id = 1"
     "   AND (SELECT count(*) FROM fence) = cardinality($7::text[]) RETURNING lsn),"
     " logged AS (INSERT INTO log (lsn, entry)"
     "   SELECT (SELECT lsn FROM head) - $1 + ord, entry FROM unnest($2::bytea[]) WITH ORDINALITY AS t(entry, ord)"
     "   WHERE EXISTS (SELECT 1 FROM head)),"
     " derived AS (INSERT INTO events (seq, ts_us, json)"
     "   SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::text[]) WHERE EXISTS (SELECT 1 FROM head)"
     "   ON CONFLICT (seq) DO NOTHING)"
     " SELECT lsn, pg_notify('rota_log', $6) FROM head"},
    {"write_events",
     "INSERT INTO events (seq, ts_us, json) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[])"
     " ON CONFLICT (seq) DO NOTHING"},
    {"read_from", "SELECT lsn, entry FROM log WHERE lsn > $1 ORDER BY lsn LIMIT $2"},
    {"events_since", "SELECT seq, ts_us, json FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"},
    {"last_seq", "SELECT coalesce(max(seq), 0) FROM events"},
    {"snapshot_part",
     "INSERT INTO snapshot_parts (lsn, part, body) VALUES ($1, $2, $3)"
     " ON CONFLICT (lsn, part) DO UPDATE SET body = excluded.body"},
    {"snapshot_row",
     "INSERT INTO snapshots (lsn, parts, size, written_us) VALUES ($1, $2, $3, $4)"
     " ON CONFLICT (lsn) DO UPDATE SET parts = excluded.parts, size = excluded.size, written_us = excluded.written_us"},
    {"latest_snapshot", "SELECT lsn, parts, size FROM snapshots ORDER BY lsn DESC LIMIT 1"},
    {"snapshot_parts", "SELECT body FROM snapshot_parts WHERE lsn = $1 ORDER BY part"},
    {"archive",
     "INSERT INTO archive (id, name, queue, state, submitted_us, finished_us, json) VALUES ($1, $2, $3, $4, $5, $6, $7)"
     " ON CONFLICT (id) DO UPDATE SET name = excluded.name, queue = excluded.queue, state = excluded.state,"
     " submitted_us = excluded.submitted_us, finished_us = excluded.finished_us, json = excluded.json"},
    {"archived_by_id", "SELECT id, name, queue, state, submitted_us, finished_us, json FROM archive WHERE id = $1"},
    {"archived_by_name",
     "SELECT id, name, queue, state, submitted_us, finished_us, json FROM archive WHERE name = $1"
     " ORDER BY id DESC LIMIT 1"},
    {"archived_after",
     "SELECT id, name, queue, state, submitted_us, finished_us, json FROM archive WHERE id > $1"
     " ORDER BY id LIMIT $2"},
};

}  // namespace

namespace {

std::string NewInstanceName() {
  std::random_device random;
  char name[32];
  std::snprintf(name, sizeof name, "%08x%08x", random(), random());
  return name;
}

}  // namespace

PostgresStore::PostgresStore(std::string url) : url_(std::move(url)), instance_(NewInstanceName()) {}
PostgresStore::~PostgresStore() = default;

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url) {
  std::unique_ptr<PostgresStore> store(new PostgresStore(url));
  if (Result<Unit> migrated = store->Migrate(); !migrated.ok()) return migrated.error();
  return store;
}

Result<PgConnection*> PostgresStore::Connected(Link& link) {
  if (link.conn && link.conn->c.is_open()) return link.conn.get();
  link.conn.reset();
  try {
    auto conn = std::make_unique<PgConnection>(url_);
    pqxx::nontransaction(conn->c).exec(std::string("SET application_name = 'rota-") + link.role + "'");
    for (const auto& [name, sql] : kStatements) conn->c.prepare(name, sql);
    link.conn = std::move(conn);
    return link.conn.get();
  } catch (const std::exception& e) {
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return MakeError("store_io", "could not connect to " + url_ + ": " + why);
  }
}


Result<Unit> PostgresStore::Migrate() {
  const std::span<const char* const> migrations = PostgresSchemaMigrations();
  const int64_t known = static_cast<int64_t>(migrations.size());
  Result<int64_t> version = With<int64_t>(main_, "migrate", [&](pqxx::connection& c) -> int64_t {
    pqxx::work w(c);
    w.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
    w.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_us BIGINT NOT NULL)");
    const int64_t at = w.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int64_t>();
    if (at > known) return at;   // refused below, after this transaction ends
    for (int64_t next = at + 1; next <= known; ++next) {
      w.exec(migrations[static_cast<size_t>(next - 1)]);
      w.exec_params("INSERT INTO schema_migrations (version, applied_us) VALUES ($1, $2)", next, NowMicros());
    }
    w.commit();
    return at;
  });
  if (!version.ok()) return version.error();
  if (*version > known) {
    return MakeError("store_version", url_ + ": the database is at schema version " + std::to_string(*version) +
                                          "; this rota knows up to " + std::to_string(known));
  }
  return Unit{};
}

Result<uint64_t> PostgresStore::Append(const std::vector<std::string>& entries, Durability,
                                       std::span<const EventRecord> events, const Fence* fence) {
  Result<std::optional<uint64_t>> appended =
      With<std::optional<uint64_t>>(main_, "append to", [&](pqxx::connection& c) -> std::optional<uint64_t> {
        pqxx::nontransaction tx(c);   // one statement: its own transaction
        const pqxx::result r = tx.exec_prepared(
            "append", static_cast<int64_t>(entries.size()), EntriesArray(entries), EventSeqs(events),
            EventTimes(events), EventJson(events), instance_, FenceNames(fence), FenceEpochs(fence),
            fence == nullptr ? std::string() : fence->holder);
        if (r.empty()) return std::nullopt;
        return r[0][0].as<uint64_t>();
      });
  if (!appended.ok()) return appended.error();
  if (!*appended) {
    return MakeError("store_fenced", "not appended to " + url_ + ": " + fence->holder +
                                         " no longer holds the leases it placed under");
  }
  return **appended;
}

namespace {

// Notes whether a notification came from another process.
class AppendListener final : public pqxx::notification_receiver {
 public:
  AppendListener(pqxx::connection& c, std::string self, bool& woken)
      : pqxx::notification_receiver(c, "rota_log"), self_(std::move(self)), woken_(woken) {}
  void operator()(const std::string& payload, int) override {
    if (payload != self_) woken_ = true;
  }

 private:
  const std::string self_;
  bool& woken_;
};

}  // namespace

Result<bool> PostgresStore::AwaitAppend(std::chrono::milliseconds timeout) {
  std::lock_guard lock(listen_.mu);
  Result<PgConnection*> connected = Connected(listen_);
  if (!connected.ok()) return connected.error();
  PgConnection& pg = **connected;
  try {
    if (!pg.listener) pg.listener = std::make_unique<AppendListener>(pg.c, instance_, pg.woken);
    pg.woken = false;
    pg.c.get_notifs();
    if (!pg.woken) {
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
      pg.c.await_notification(static_cast<long>(us / 1000000), static_cast<long>(us % 1000000));
    }
    return pg.woken;
  } catch (const std::exception& e) {
    listen_.conn.reset();   // listened again, on a new connection, by the next call
    return MakeError("store_io", "could not listen to " + url_ + ": " + e.what());
  }
}

Result<std::vector<LogEntry>> PostgresStore::ReadFrom(uint64_t after, size_t limit) {
  if (after >= kMaxStored || limit == 0) return std::vector<LogEntry>{};
  return With<std::vector<LogEntry>>(main_, "read the log of", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("read_from", static_cast<int64_t>(after),
                                            static_cast<int64_t>(std::min<uint64_t>(limit, kMaxStored)));
    std::vector<LogEntry> entries;
    entries.reserve(r.size());
    for (const pqxx::row& row : r) entries.push_back({row[0].as<uint64_t>(), pqxx::binarystring(row[1]).str()});
    return entries;
  });
}

// In parts of kSnapshotPart bytes, each its own transaction, then the row that makes it the
// newest; then the compaction, a slice of log entries per transaction.
Result<Unit> PostgresStore::WriteSnapshot(uint64_t lsn, std::string_view bytes) {
  const size_t parts = std::max<size_t>(1, (bytes.size() + kSnapshotPart - 1) / kSnapshotPart);
  return With<Unit>(snapshot_, "write a snapshot to", [&](pqxx::connection& c) {
    for (size_t part = 0; part < parts; ++part) {
      const std::string_view body = bytes.substr(std::min(bytes.size(), part * kSnapshotPart), kSnapshotPart);
      pqxx::nontransaction tx(c);
      tx.exec_prepared("snapshot_part", static_cast<int64_t>(lsn), static_cast<int>(part),
                       pqxx::binarystring(body.data(), body.size()));
    }
    {
      pqxx::work w(c);
      w.exec_prepared("snapshot_row", static_cast<int64_t>(lsn), static_cast<int>(parts),
                      static_cast<int64_t>(bytes.size()), NowMicros());
      w.exec("DELETE FROM snapshots WHERE lsn NOT IN (SELECT lsn FROM snapshots ORDER BY lsn DESC LIMIT " +
             std::to_string(kKeptSnapshots) + ")");
      w.exec("DELETE FROM snapshot_parts WHERE lsn NOT IN (SELECT lsn FROM snapshots)");
      w.commit();
    }
    const std::string compact = "DELETE FROM log WHERE lsn IN (SELECT lsn FROM log WHERE lsn <= "
                                "(SELECT min(lsn) FROM snapshots) ORDER BY lsn LIMIT " +
                                std::to_string(kCompactSlice) + ")";
    for (;;) {
      pqxx::nontransaction tx(c);
      if (tx.exec(compact).affected_rows() < static_cast<size_t>(kCompactSlice)) break;
    }
    return Unit{};
  });
}

Result<std::optional<SnapshotRecord>> PostgresStore::LatestSnapshot() {
  return With<std::optional<SnapshotRecord>>(main_, "read the snapshot of", [&](pqxx::connection& c) {
    pqxx::work w(c);   // the row and its parts from one view
    const pqxx::result head = w.exec_prepared("latest_snapshot");
    if (head.empty()) return std::optional<SnapshotRecord>{};
    SnapshotRecord snapshot;
    snapshot.lsn = head[0][0].as<uint64_t>();
    const uint64_t parts = head[0][1].as<uint64_t>();
    snapshot.bytes.reserve(head[0][2].as<uint64_t>());
    const pqxx::result body = w.exec_prepared("snapshot_parts", static_cast<int64_t>(snapshot.lsn));
    for (const pqxx::row& row : body) snapshot.bytes += pqxx::binarystring(row[0]).str();
    if (body.size() != parts) {
      throw std::runtime_error("the snapshot at " + std::to_string(snapshot.lsn) + " has " +
                               std::to_string(body.size()) + " of its " + std::to_string(parts) + " parts");
    }
    return std::optional<SnapshotRecord>(std::move(snapshot));
  });
}

Result<Unit> PostgresStore::WriteEvents(const std::vector<EventRecord>& events) {
  if (events.empty()) return Unit{};
  return With<Unit>(main_, "write events to", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("write_events", EventSeqs(events), EventTimes(events), EventJson(events));
    return Unit{};
  });
}

Result<std::vector<EventRecord>> PostgresStore::EventsSince(uint64_t after, size_t limit) {
  if (after >= kMaxStored || limit == 0) return std::vector<EventRecord>{};
  return With<std::vector<EventRecord>>(readers_, "read events from", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("events_since", static_cast<int64_t>(after),
                                            static_cast<int64_t>(std::min<uint64_t>(limit, kMaxStored)));
    std::vector<EventRecord> events;
    events.reserve(r.size());
    for (const pqxx::row& row : r) events.push_back({row[0].as<uint64_t>(), row[1].as<int64_t>(), row[2].c_str()});
    return events;
  });
}

Result<uint64_t> PostgresStore::LastEventSeq() {
  return With<uint64_t>(main_, "read the last event seq of", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return tx.exec_prepared1("last_seq")[0].as<uint64_t>();
  });
}

Result<Unit> PostgresStore::WriteArchive(const std::vector<ArchivedJob>& jobs) {
  if (jobs.empty()) return Unit{};
  return With<Unit>(main_, "archive jobs in", [&](pqxx::connection& c) {
    pqxx::work w(c);
    for (const ArchivedJob& job : jobs) {
      w.exec_prepared("archive", static_cast<int64_t>(job.id), job.name, job.queue, job.state, job.submitted_us,
                      job.finished_us, job.json);
    }
    w.commit();
    return Unit{};
  });
}

Result<std::optional<ArchivedJob>> PostgresStore::FindArchived(uint64_t id) {
  if (id >= kMaxStored) return std::optional<ArchivedJob>{};
  return With<std::optional<ArchivedJob>>(main_, "read the archive of", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("archived_by_id", static_cast<int64_t>(id));
    return r.empty() ? std::optional<ArchivedJob>{} : std::optional<ArchivedJob>(ArchivedOf(r[0]));
  });
}

Result<std::optional<ArchivedJob>> PostgresStore::FindArchivedByName(const std::string& name) {
  return With<std::optional<ArchivedJob>>(main_, "read the archive of", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("archived_by_name", name);
    return r.empty() ? std::optional<ArchivedJob>{} : std::optional<ArchivedJob>(ArchivedOf(r[0]));
  });
}

Result<std::vector<ArchivedJob>> PostgresStore::ArchivedJobs(uint64_t after, size_t limit) {
  if (after >= kMaxStored || limit == 0) return std::vector<ArchivedJob>{};
  return With<std::vector<ArchivedJob>>(main_, "read the archive of", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("archived_after", static_cast<int64_t>(after),
                                            static_cast<int64_t>(std::min<uint64_t>(limit, kMaxStored)));
    std::vector<ArchivedJob> jobs;
    for (const pqxx::row& row : r) jobs.push_back(ArchivedOf(row));
    return jobs;
  });
}

}  // namespace rota
