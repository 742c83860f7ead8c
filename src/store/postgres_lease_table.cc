// PostgresStore's LeaseTable (DESIGN section 8, "Several servers, one PostgreSQL"): servers renew
// their rows and leases, take those whose holders died, and give back what they no longer want.
#include <pqxx/pqxx>

#include "store/postgres_internal.h"
#include "store/postgres_store.h"

namespace rota {

using namespace postgres_internal;

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
