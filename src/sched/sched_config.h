// The scheduler's runtime settings (DESIGN section 6, `GET|PUT /v1/config`, `rota config set`) and
// the rules for reading them from "key" = "value" strings. Pure: no I/O; values are plain data.
//
// Keys:
//   policy                         fifo | priority | fairshare           (default priority)
//   mode                           sync | async                          (default sync)
//   preemption                     off | priority | fairshare            (default off)
//   fairshare.half_life            a duration: 0, 90s, 10m, 1h, 7d        (default 0: no history)
//   queues.<q>.weight              a number > 0                          (default 1)
//   queues.<q>.limits.<p>.size     cores >= 0                            (default 0)
//   queues.<q>.limits.<p>.burst    cores >= 0, or "none"                 (default none: unlimited)
//   pools.<p>.placement            pack | spread                         (default pack)
//   exclude.queues                 comma list of queue names, may be ""  (default none)
//   exclude.pools                  comma list of pool names, may be ""   (default none)
// Queue and pool names follow the spec's name rule ([A-Za-z0-9._-]{1,128}); a queue or pool name
// inside a key may not contain '.', so that keys split unambiguously.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "sched/schedule.h"

namespace rota::sched {

struct LimitSetting {
  double size = 0;
  double burst = std::numeric_limits<double>::infinity();
};

struct QueueSetting {
  double weight = 1;
  std::map<std::string, LimitSetting, std::less<>> limits;  // by pool
};

struct SchedConfig {
  Policy policy = Policy::kPriority;
  bool async = false;
  Preemption preemption = Preemption::kOff;
  std::chrono::nanoseconds half_life{0};
  // How long a finished job stays in the engine's memory (and snapshots) before it is retired to
  // the store's archive, where it stays queryable.
  std::chrono::nanoseconds retention{std::chrono::hours(24 * 7)};
  std::map<std::string, QueueSetting, std::less<>> queues;
  std::map<std::string, HostChoice, std::less<>> pools;  // placement per pool; absent: pack
  std::set<std::string, std::less<>> excluded_queues;
  std::set<std::string, std::less<>> excluded_pools;

  double WeightOf(std::string_view queue) const;
  HostChoice ChoiceOf(std::string_view pool) const;
};

// Whether `key` is one of the scheduler's keys (any queue/pool name), valid value or not.
bool IsSchedKey(std::string_view key);

// Checks `value` for `key` and applies it to `config`. Returns "" on success; otherwise a message
// naming the key and what is wrong, with a hint, and `config` is unchanged:
//   "unknown key 'polcy' (did you mean 'policy'?)"
//   "policy must be fifo, priority or fairshare, not 'fair'"
//   "queues.render.weight must be a number > 0, not '-1'"
//   "fairshare.half_life: bad duration "10 minutes" (examples: 0, 90s, 10m, 1h, 7d)"
std::string ApplySetting(SchedConfig& config, std::string_view key, std::string_view value);

// The same for several keys at once, all or nothing: every key is checked first; on the first
// problem nothing is applied and the message is returned.
std::string ApplySettings(SchedConfig& config, const std::map<std::string, std::string>& values);

}  // namespace rota::sched
