// The hosts a server-mode engine places runs on (DESIGN section 1: host / agent). Plain values,
// owned by the Engine and touched only from its loop thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/clock.h"
#include "sched/schedule.h"

namespace rota {

struct HostInfo {
  std::string name;
  sched::Amount total;
  std::vector<std::string> tags;   // sorted
  std::vector<std::string> pools;  // sorted; empty: every pool
};

struct HostState {
  HostInfo info;
  sched::Amount used;      // what its active runs hold
  bool alive = true;
  // Soft state of the proposer, not of the log: the last register or heartbeat this process saw
  // (`seen` false until the first), from which DueChanges proposes HostLost.
  TimePoint last_seen{};
  bool seen = false;
  uint32_t running = 0;
};

// How a run ended, as the store records it.
enum class RunOutcome { kRunning, kSucceeded, kFailed, kTimedOut, kLost, kCancelled, kPreempted };
const char* RunOutcomeName(RunOutcome outcome);   // "running" "succeeded" "failed" ...
bool ParseRunOutcome(std::string_view name, RunOutcome& outcome);

// A run as the server sees it (for records, reports and `rota hosts`).
struct RunView {
  uint64_t job_id = 0;     // public id
  uint32_t instance = 0;   // index of the instance within the job (not the task)
  std::string_view task;
  int index = 0;           // instance number within the task
  int attempt = 0;
  std::string_view host;   // "" when not placed on a host
  uint64_t epoch = 0;
  bool active = false;
  std::string_view pool;     // the farm pool it runs in
  uint64_t lease_epoch = 0;  // the newest epoch of that pool's lease in the log (0: never leased)
};

}  // namespace rota
