// Store: the durable record of everything the server accepted, as DESIGN section 8 has it: an
// ordered log of changes (the engine's encoded Change values, see engine/change.h), snapshots of
// the engine's state at a point of that log, and the events the engine derived from it (the event
// log with its global `seq`, for `rota events` and the live stream). Restart = the latest snapshot
// + replay of the log after it; the log below the oldest kept snapshot is compacted away.
//
// The engine batches one loop turn into one durable append (a natural group commit) and answers
// nobody before it is durable. Events are derived: a replay derives them again, so they are
// written after the changes that caused them (with the next append, or on their own when the
// server is idle), and need not be stored, let alone durable, before anyone is answered.
//
// Implementations: MemoryStore (tests), SQLiteStore (the default: one file, WAL),
// later PostgresStore. One contract test suite runs against each.
// Thread-safety: an implementation is used from one thread at a time (the engine loop), except
// EventsSince, which API threads may call concurrently with the rest, and WriteSnapshot, which
// the snapshot writer's thread calls (it must not hold up Append for long: SQLiteStore writes a
// snapshot and compacts in small transactions).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rota {

// The records of schema version 2 (JobRecord, RunRecord, AgentRecord, StoredState), read once by
// the import into the log (Store::LoadLegacy) and never written.
struct JobRecord {
  uint64_t id = 0;              // assigned by the engine, strictly increasing
  std::string name;
  std::string queue;
  int priority = 50;
  std::string spec_text;        // as submitted; specs are immutable once accepted
  std::string spec_format;      // always "yaml" (version 2 never wrote anything else)
  int64_t submitted_us = 0;
  std::string state;            // "pending" "running" "succeeded" "failed" "cancelled" "cancelling"
  int64_t finished_us = 0;      // 0 while unfinished
};

struct RunRecord {
  uint64_t id = 0;              // run id, strictly increasing
  uint64_t job_id = 0;
  std::string task;
  int instance = 0;
  int attempt = 1;
  uint64_t epoch = 0;           // fencing: reports carrying another epoch are refused
  std::string host;             // agent name ("" until placed)
  std::string state;            // a RunOutcomeName: "running" "succeeded" "failed" "timed_out" ...
  std::optional<int> exit_code;
  int64_t started_us = 0;
  int64_t ended_us = 0;         // 0 while not ended
};

struct EventRecord {
  uint64_t seq = 0;             // global, strictly increasing across commits
  int64_t ts_us = 0;
  std::string json;             // the event as DESIGN section 5 encodes it
};

struct AgentRecord {
  std::string id;
  std::string name;
  std::string resources_json;   // cores, memory, gpus, tags, pools
  int64_t registered_us = 0;
  int64_t last_heartbeat_us = 0;
  std::string state;            // "alive" "lost"
};

struct LogEntry {
  uint64_t lsn = 0;             // 1, 2, 3, ... in append order, without gaps
  std::string bytes;            // an encoded Change
};

// A finished job that left the engine's memory after `retention` (DESIGN section 8), as the
// server last showed it: `json` is its detail view (GET /v1/jobs/{id}).
struct ArchivedJob {
  uint64_t id = 0;
  std::string name;
  std::string queue;
  std::string state;            // "succeeded" "failed" "cancelled"
  int64_t submitted_us = 0;
  int64_t finished_us = 0;
  std::string json;
};

struct SnapshotRecord {
  uint64_t lsn = 0;             // the state after applying every entry up to and including lsn
  std::string bytes;
};

// What a database written before the log (schema version 2) holds, for the one-time import into
// the log: the current version of every record, ordered by id (jobs, runs), key (config,
// signals) or id (agents); plus the highest event seq.
struct StoredState {
  std::vector<JobRecord> jobs;
  std::vector<RunRecord> runs;
  std::map<std::string, int64_t> signals;
  std::map<std::string, std::string> config;
  std::vector<AgentRecord> agents;
  std::vector<std::pair<uint64_t, int64_t>> job_retries;   // in the order they were committed
  uint64_t last_seq = 0;
};

// When an Append must be durable: before it returns (kNow), or by the next durable Append or Sync
// (kLater: the server appends a batch's requests so, applies them, and appends the scheduling
// slice they made room for with kNow, one fsync for both). Appends reach the disk in order either
// way: a crash keeps a prefix of them.
enum class Durability { kNow, kLater };

// Several servers: an append of placements goes through only if `holder` still holds each of
// `leases` (name, epoch) in the lease table, checked in the append's own transaction (DESIGN
// section 8, "fencing twice"). Else it fails with "store_fenced" and appends nothing. A store
// with no lease table (one server) has nothing to check.
struct Fence {
  std::string holder;
  std::vector<std::pair<std::string, uint64_t>> leases;
};

class Store {
 public:
  virtual ~Store() = default;
  // Appends `entries` after the last entry, atomically. Returns the lsn of the last entry appended
  // (of the log's last entry, when `entries` is empty). On error code "store_io" nothing of it is
  // appended; on "store_sync" it was appended but could not be made durable, and the store
  // refuses every later write (a restart recovers from what the disk holds).
  // `events`, derived from earlier entries, are written in the same transaction (as WriteEvents
  // would, those at or below the highest stored seq skipped): a busy server stores its events
  // without a transaction of their own.
  virtual Result<uint64_t> Append(const std::vector<std::string>& entries,
                                  Durability durability = Durability::kNow,
                                  std::span<const EventRecord> events = {},
                                  const Fence* fence = nullptr) = 0;
  // Makes every append so far durable. Error "store_sync", as for Append.
  virtual Result<Unit> Sync() = 0;
  // Entries with lsn > `after`, in lsn order, at most `limit` of them.
  virtual Result<std::vector<LogEntry>> ReadFrom(uint64_t after, size_t limit) = 0;
  // Keeps a snapshot of the state at `lsn`, then drops all but the newest kKeptSnapshots and the
  // log entries at or below the oldest one kept.
  static constexpr size_t kKeptSnapshots = 2;
  virtual Result<Unit> WriteSnapshot(uint64_t lsn, std::string_view bytes) = 0;
  // The newest snapshot, if any.
  virtual Result<std::optional<SnapshotRecord>> LatestSnapshot() = 0;
  // Appends derived events. Those at or below the highest stored seq were written before (a
  // replay derives them again) and are skipped; the others must be in seq order.
  virtual Result<Unit> WriteEvents(const std::vector<EventRecord>& events) = 0;
  // Events with seq > `after`, in seq order, at most `limit` of them.
  virtual Result<std::vector<EventRecord>> EventsSince(uint64_t after, size_t limit) = 0;
  virtual Result<uint64_t> LastEventSeq() = 0;
  // The archive of retired jobs, derived like events (a replay writes them again: an upsert).
  virtual Result<Unit> WriteArchive(const std::vector<ArchivedJob>& jobs) = 0;
  // By id; or the newest of that name.
  virtual Result<std::optional<ArchivedJob>> FindArchived(uint64_t id) = 0;
  virtual Result<std::optional<ArchivedJob>> FindArchivedByName(const std::string& name) = 0;
  // In id order, ids above `after`, at most `limit`.
  virtual Result<std::vector<ArchivedJob>> ArchivedJobs(uint64_t after, size_t limit) = 0;
  // A database moved forward from schema version 2 still holds that version's records until
  // ImportLegacy replaces them with log entries (in one transaction); empty otherwise.
  virtual Result<StoredState> LoadLegacy() = 0;
  virtual Result<uint64_t> ImportLegacy(const std::vector<std::string>& entries) = 0;

  // Whether other processes append to this log too (several servers on PostgreSQL): then a server
  // follows what they append, woken by AwaitAppend.
  virtual bool Shared() const { return false; }
  // Blocks until another process may have appended (woken by it), or `timeout` passed; true when
  // woken. Not when this process appended. A shared store only; called from one thread (the log
  // tailer), at the same time as the rest.
  virtual Result<bool> AwaitAppend(std::chrono::milliseconds timeout) {
    (void)timeout;
    return false;
  }
};

}  // namespace rota
