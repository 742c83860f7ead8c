// PostgresStore: the Store on PostgreSQL 15 (libpqxx), for several servers sharing one log
// (DESIGN section 8, "Several servers, one PostgreSQL"). Open() brings the database's schema up to
// date with the migrations of postgres_schema.cc, under an advisory lock so that servers starting
// together run each migration once, and refuses a schema newer than this binary.
//
// Commit order is log order: an append is one statement (one implicit transaction) that bumps the
// one-row counter `log_head` (its row lock orders concurrent appends), inserts the entries at the
// lsns it returned, and the derived events it carries (ON CONFLICT DO NOTHING: every server
// derives the same ones), and notifies `rota_log` so that tailing servers wake up. A reader that
// reads `lsn > last` therefore never skips a row a later one depends on. Every commit is durable
// (synchronous_commit on); Durability::kLater is treated as kNow and Sync has nothing to do.
//
// Thread-safety: four connections, each under its own mutex: the loop's (appends, reads, events,
// the archive), the snapshot writer's (WriteSnapshot), the readers' (EventsSince, from API
// threads), and the log tailer's (AwaitAppend: LISTEN rota_log). A broken connection is opened
// again by the next call on it; the call that saw it break fails with "store_io".
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "store/lease_table.h"
#include "store/store.h"

namespace rota {

struct PgConnection;   // a pqxx::connection (postgres_store.cc): libpqxx stays out of this header

// The schema migrations, oldest first (postgres_schema.cc).
std::span<const char* const> PostgresSchemaMigrations();

class PostgresStore final : public Store, public LeaseTable {
 public:
  // `url`: postgres://user@host:port/dbname (libpq's connection URI). Errors: "store_io" (cannot
  // connect, or a statement failed), "store_version" (the schema is newer than this binary).
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Result<uint64_t> Append(const std::vector<std::string>& entries, Durability durability = Durability::kNow,
                          std::span<const EventRecord> events = {}, const Fence* fence = nullptr) override;
  Result<Unit> Sync() override { return Unit{}; }
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
  Result<StoredState> LoadLegacy() override { return StoredState{}; }   // no version 2 here
  Result<uint64_t> ImportLegacy(const std::vector<std::string>& entries) override { return Append(entries); }
  bool Shared() const override { return true; }
  Result<bool> AwaitAppend(std::chrono::milliseconds timeout) override;

  // LeaseTable. A server's liveness is also an advisory lock its own connection holds from its
  // first Renew on: when the process dies, PostgreSQL frees it at once.
  Result<LeaseView> Renew(const ServerInfo& me, const std::vector<std::string>& names,
                          const std::vector<std::pair<std::string, uint64_t>>& held,
                          std::chrono::milliseconds ttl) override;
  Result<std::optional<LeaseTaken>> Take(const std::string& name, const std::string& me,
                                         std::chrono::milliseconds ttl,
                                         const std::function<std::string(uint64_t epoch)>& grant) override;
  Result<Unit> Release(const std::string& name, const std::string& me, uint64_t epoch) override;
  Result<std::vector<std::string>> Abandoned(const std::string& me, std::chrono::milliseconds ttl) override;

  const std::string& url() const { return url_; }

 private:
  // One connection and what it has prepared; reopened when it broke.
  struct Link {
    explicit Link(const char* r);
    ~Link();
    const char* const role;   // its application_name is "rota-<role>" (pg_stat_activity shows it)
    std::mutex mu;
    std::unique_ptr<PgConnection> conn;   // GUARDED_BY(mu)
  };

  explicit PostgresStore(std::string url);
  Result<Unit> Migrate();
  // REQUIRES: link.mu held. Connects (and prepares the statements) if it is not connected.
  Result<PgConnection*> Connected(Link& link);
  // Runs `body` on `link` with its connection; a libpqxx exception becomes a "store_io" Error
  // naming `what`, and a broken connection is dropped for the next call to open again.
  template <class T, class Body>
  Result<T> With(Link& link, const char* what, Body body);

  const std::string url_;
  // Names this process in its notifications, so that its own appends do not wake its tailer.
  const std::string instance_;
  Link main_{"main"};           // the loop
  Link snapshot_{"snapshot"};   // the snapshot writer
  Link readers_{"readers"};     // EventsSince
  Link listen_{"listen"};       // AwaitAppend
  Link alive_{"alive"};         // holds this server's advisory lock while it lives
};

}  // namespace rota
