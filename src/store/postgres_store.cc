#include "store/postgres_store.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <random>

namespace rota {

struct PgConnection {
  explicit PgConnection(const std::string& url) : c(url) {}
  pqxx::connection c;
  // AwaitAppend's LISTEN, on the tailer's connection; declared after `c`, so destroyed first.
  std::unique_ptr<pqxx::notification_receiver> listener;
  bool woken = false;   // another process's notification arrived
  std::string alive_as;   // the server whose advisory lock this connection holds ("" none)
};

PostgresStore::Link::Link(const char* r) : role(r) {}
PostgresStore::Link::~Link() = default;

namespace {

// Migrations run under this advisory lock, so that servers starting together take turns.
constexpr int64_t kMigrationLock = 0x726f7461;   // "rota"
constexpr size_t kSnapshotPart = 1 << 20;
constexpr int kCompactSlice = 20000;
constexpr uint64_t kMaxStored = std::numeric_limits<int64_t>::max();

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// PostgreSQL array literals, passed as one text parameter each: one round trip for a whole batch.
// An element is quoted, with `"` and `\` escaped.
void AppendArrayElement(std::string_view text, std::string& out) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

template <class Range, class Element>
std::string ArrayLiteral(const Range& range, Element element) {
  std::string out = "{";
  bool first = true;
  for (const auto& item : range) {
    if (!first) out += ',';
    first = false;
    element(item, out);
  }
  out += '}';
  return out;
}

// bytea in its hex input form, "\x0a1b...", as an array element.
void AppendByteaElement(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\"\\\\x";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  out += '"';
}

std::string EntriesArray(const std::vector<std::string>& entries) {
  return ArrayLiteral(entries, [](const std::string& e, std::string& out) { AppendByteaElement(e, out); });
}
std::string FenceNames(const Fence* fence) {
  if (fence == nullptr) return "{}";
  return ArrayLiteral(fence->leases, [](const auto& l, std::string& out) { AppendArrayElement(l.first, out); });
}
std::string FenceEpochs(const Fence* fence) {
  if (fence == nullptr) return "{}";
  return ArrayLiteral(fence->leases, [](const auto& l, std::string& out) { out += std::to_string(l.second); });
}
std::string TextArray(const std::vector<std::string>& items) {
  return ArrayLiteral(items, [](const std::string& item, std::string& out) { AppendArrayElement(item, out); });
}
std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}
std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0; at < text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    if (comma > at) out.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

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

template <class T, class Body>
Result<T> PostgresStore::With(Link& link, const char* what, Body body) {
  std::lock_guard lock(link.mu);
  Result<PgConnection*> conn = Connected(link);
  if (!conn.ok()) return conn.error();
  try {
    return body((*conn)->c);
  } catch (const pqxx::broken_connection& e) {
    link.conn.reset();
    return MakeError("store_io", std::string("could not ") + what + " " + url_ + ": the connection broke");
  } catch (const std::exception& e) {
    if (!link.conn->c.is_open()) link.conn.reset();
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return MakeError("store_io", std::string("could not ") + what + " " + url_ + ": " + why);
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

// ---- LeaseTable -------------------------------------------------------------------------------

namespace rota {
namespace {

// The advisory lock that says a server is alive, held by a connection of its own while it
// lives: the two-key form, so that pg_locks shows the keys as they were given. 1919906913 is
// "rota" in ASCII.
constexpr const char* kTryServerLock = "SELECT pg_try_advisory_lock(1919906913, hashtext($1))";
// Whether the server row `s` is alive: renewed within the ttl ($TTL milliseconds) and, if it
// locks, its lock held (in this database: each has its own advisory locks).
std::string AliveSql(const std::string& s, const std::string& ttl_param) {
  return "(" + s + ".renewed_at > now() - " + ttl_param + " * interval '1 millisecond' AND (NOT " + s +
         ".locks OR EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted"
         " AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
         " AND k.classid = 1919906913 AND k.objid = hashtext(" + s + ".name)::oid AND k.objsubid = 2)))";
}

std::string Millis(std::chrono::milliseconds d) { return std::to_string(d.count()); }

}  // namespace

Result<LeaseView> PostgresStore::Renew(const ServerInfo& me, const std::vector<std::string>& names,
                                       const std::vector<std::pair<std::string, uint64_t>>& held,
                                       std::chrono::milliseconds ttl) {
  {   // alive: the lock, once per connection (a broken one is opened and locked again)
    std::lock_guard lock(alive_.mu);
    Result<PgConnection*> connected = Connected(alive_);
    if (!connected.ok()) return connected.error();
    PgConnection* pg_ptr = *connected;
    if (me.locks && pg_ptr->alive_as == me.name) {
      // Still holding it? A connection ended under us (pg_terminate_backend, a restart of the
      // database) took the lock along: open another and lock again, before the others notice.
      try {
        pqxx::nontransaction(pg_ptr->c).exec("SELECT 1");
      } catch (const std::exception&) {
        alive_.conn.reset();
        Result<PgConnection*> again = Connected(alive_);
        if (!again.ok()) return again.error();
        pg_ptr = *again;
      }
    }
    PgConnection& pg = *pg_ptr;
    if (me.locks && pg.alive_as != me.name) {
      bool locked = false;
      try {
        pqxx::nontransaction tx(pg.c);
        locked = tx.exec_params1(kTryServerLock, me.name)[0].as<bool>();
      } catch (const std::exception& e) {
        alive_.conn.reset();
        return MakeError("store_io", "could not mark this server alive in " + url_ + ": " + e.what());
      }
      // Another connection has it: a server of the same name that is alive (or, rarely, one
      // whose name hashes alike). Not alive until it is free.
      if (!locked) return MakeError("server_name", "another server named " + me.name + " is alive on " + url_);
      pg.alive_as = me.name;
    }
  }
  std::vector<std::string> held_names, held_epochs;
  for (const auto& [name, epoch] : held) {
    held_names.push_back(name);
    held_epochs.push_back(std::to_string(epoch));
  }
  return With<LeaseView>(main_, "renew leases in", [&](pqxx::connection& c) {
    pqxx::work w(c);
    w.exec_params(
        "INSERT INTO servers (name, url, exclude_pools, exclude_queues, locks, started_us, renewed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
        " exclude_pools = excluded.exclude_pools, exclude_queues = excluded.exclude_queues,"
        " locks = excluded.locks, started_us = excluded.started_us, renewed_at = now()",
        me.name, me.url, Joined(me.exclude_pools), Joined(me.exclude_queues), me.locks, me.started_us);
    w.exec_params("INSERT INTO leases (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING", TextArray(names));
    w.exec_params(
        "UPDATE leases l SET expires_at = now() + $1 * interval '1 millisecond'"
        " FROM unnest($2::text[], $3::bigint[]) AS h(name, epoch)"
        " WHERE l.name = h.name AND l.epoch = h.epoch AND l.holder = $4",
        Millis(ttl), TextArray(held_names), "{" + Joined(held_epochs) + "}", me.name);
    LeaseView view;
    view.now_us = w.exec1("SELECT (extract(epoch FROM now()) * 1000000)::bigint")[0].as<int64_t>();
    const pqxx::result servers = w.exec_params(
        "SELECT name, url, exclude_pools, exclude_queues, locks, started_us,"
        " (extract(epoch FROM renewed_at) * 1000000)::bigint, " + AliveSql("s", "$1") +
        " FROM servers s ORDER BY name",
        Millis(ttl));
    for (const pqxx::row& row : servers) {
      ServerInfo s;
      s.name = row[0].c_str();
      s.url = row[1].c_str();
      s.exclude_pools = Split(row[2].c_str());
      s.exclude_queues = Split(row[3].c_str());
      s.locks = row[4].as<bool>();
      s.started_us = row[5].as<int64_t>();
      s.renewed_us = row[6].as<int64_t>();
      s.alive = row[7].as<bool>();
      view.servers.push_back(std::move(s));
    }
    const pqxx::result leases = w.exec(
        "SELECT name, holder, epoch,"
        " CASE WHEN expires_at = '-infinity' THEN 0 ELSE (extract(epoch FROM expires_at) * 1000000)::bigint END,"
        " expires_at <= now() FROM leases ORDER BY name");
    for (const pqxx::row& row : leases) {
      view.leases.push_back({row[0].c_str(), row[1].c_str(), row[2].as<uint64_t>(), row[3].as<int64_t>(),
                             row[4].as<bool>()});
    }
    w.commit();
    return view;
  });
}

Result<std::optional<LeaseTaken>> PostgresStore::Take(const std::string& name, const std::string& me,
                                                      std::chrono::milliseconds ttl,
                                                      const std::function<std::string(uint64_t epoch)>& grant) {
  return With<std::optional<LeaseTaken>>(main_, "take a lease in", [&](pqxx::connection& c) {
    pqxx::work w(c);
    w.exec_params("INSERT INTO leases (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", name);
    const pqxx::row lease =
        w.exec_params1("SELECT holder, epoch, expires_at <= now() FROM leases WHERE name = $1 FOR UPDATE", name);
    const std::string holder = lease[0].c_str();
    bool free = holder.empty() || holder == me || lease[2].as<bool>();
    if (!free) {   // held, not expired: free all the same if its holder is dead
      free = !w.exec_params1("SELECT EXISTS (SELECT 1 FROM servers s WHERE s.name = $1 AND " + AliveSql("s", "$2") + ")",
                             holder, Millis(ttl))[0].as<bool>();
    }
    if (!free) return std::optional<LeaseTaken>{};
    const uint64_t epoch = lease[1].as<uint64_t>() + 1;
    w.exec_params("UPDATE leases SET holder = $2, epoch = $3, expires_at = now() + $4 * interval '1 millisecond'"
                  " WHERE name = $1",
                  name, me, static_cast<int64_t>(epoch), Millis(ttl));
    const pqxx::result appended = w.exec_prepared("append", int64_t{1}, EntriesArray({grant(epoch)}), "{}", "{}",
                                                  "{}", instance_, "{}", "{}", std::string());
    const uint64_t lsn = appended[0][0].as<uint64_t>();
    w.commit();
    return std::optional<LeaseTaken>(LeaseTaken{epoch, lsn});
  });
}

Result<Unit> PostgresStore::Release(const std::string& name, const std::string& me, uint64_t epoch) {
  return With<Unit>(main_, "give a lease back in", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_params("UPDATE leases SET expires_at = '-infinity' WHERE name = $1 AND holder = $2 AND epoch = $3",
                   name, me, static_cast<int64_t>(epoch));
    return Unit{};
  });
}

Result<std::vector<std::string>> PostgresStore::Abandoned(const std::string& me, std::chrono::milliseconds ttl) {
  return With<std::vector<std::string>>(main_, "look for abandoned leases in", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result rows = tx.exec_params(
        "SELECT l.name FROM leases l LEFT JOIN servers s ON s.name = l.holder"
        " WHERE l.holder <> '' AND l.holder <> $2 AND (l.expires_at <= now() OR NOT COALESCE(" +
            AliveSql("s", "$1") + ", false)) ORDER BY l.name",
        Millis(ttl), me);
    std::vector<std::string> names;
    for (const pqxx::row& row : rows) names.emplace_back(row[0].c_str());
    return names;
  });
}

}  // namespace rota
