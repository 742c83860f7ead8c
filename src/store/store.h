// Store: the durable record of everything the server accepted (DESIGN sections 6-8): jobs (their
// specs exactly as submitted), runs (attempts, with the fencing epoch), signals, runtime config,
// agents, and the event log with its global `seq`. The engine collects the changes of one loop
// batch into a ChangeSet and commits it before it answers anyone (a natural group commit); a
// ChangeSet is applied atomically and is durable when Commit returns. Load() gives back what is
// needed to rebuild the engine's state after a restart, `kill -9` included.
//
// Implementations: MemoryStore (tests, `rota run`), SQLiteStore (the default: one file, WAL),
// later PostgresStore. One contract test suite runs against each.
// Thread-safety: an implementation is used from one thread at a time (the engine loop), except
// EventsSince, which API threads may call concurrently with Commit.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace rota {

struct JobRecord {
  uint64_t id = 0;              // assigned by the engine, strictly increasing
  std::string name;
  std::string queue;
  int priority = 50;
  std::string spec_text;        // as submitted; specs are immutable once accepted
  std::string spec_format;      // "yaml" or "json"
  int64_t submitted_us = 0;
  std::string state;            // "pending" "running" "succeeded" "failed" "cancelled"
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
  std::string state;            // "assigned" "running" "succeeded" "failed" "lost" "cancelled"
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

// One atomic commit. Upserts replace the whole record with the same id.
struct ChangeSet {
  std::vector<JobRecord> jobs;
  std::vector<RunRecord> runs;
  std::vector<EventRecord> events;                  // appended; seq above every stored seq
  std::vector<std::pair<std::string, int64_t>> signals_posted;  // key, posted_us
  std::map<std::string, std::string> config;        // key -> value (set)
  std::vector<AgentRecord> agents;
  // A finished job sent round again (POST /v1/jobs/{id}/retry): job id, when. Appended.
  std::vector<std::pair<uint64_t, int64_t>> job_retries;
  bool empty() const {
    return jobs.empty() && runs.empty() && events.empty() && signals_posted.empty() &&
           config.empty() && agents.empty() && job_retries.empty();
  }
};

// Everything Load() returns: the current version of every record, ordered by id (jobs, runs),
// key (config, signals) or id (agents); plus the highest event seq.
struct StoredState {
  std::vector<JobRecord> jobs;
  std::vector<RunRecord> runs;
  std::map<std::string, int64_t> signals;
  std::map<std::string, std::string> config;
  std::vector<AgentRecord> agents;
  std::vector<std::pair<uint64_t, int64_t>> job_retries;   // in the order they were committed
  uint64_t last_seq = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Applies `changes` atomically; durable when it returns ok. On error nothing of it is applied.
  // Error codes: "store_io" (disk, locking), "store_conflict" (an event seq not above last_seq).
  virtual Result<Unit> Commit(const ChangeSet& changes) = 0;
  virtual Result<StoredState> Load() = 0;
  // Events with seq > `after`, in seq order, at most `limit` of them.
  virtual Result<std::vector<EventRecord>> EventsSince(uint64_t after, size_t limit) = 0;
};

}  // namespace rota
