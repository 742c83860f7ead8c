// Small helpers shared by the engine's source files (engine.cc, engine_outcomes.cc). Internal.
#pragma once

#include <string>

#include "engine/event.h"
#include "engine/job_state.h"

namespace rota::engine_internal {

// A retry waits retry_delay * 2^(attempt-1), never longer than this.
inline constexpr Duration kMaxRetryDelay = std::chrono::minutes(5);


inline bool Satisfies(InstanceStatus status, DepOn on) {
  switch (on) {
    case DepOn::kSuccess: return status == InstanceStatus::kSucceeded;
    case DepOn::kFailure: return status == InstanceStatus::kFailed;
    case DepOn::kAny: return true;
  }
  return false;
}

inline const char* OutcomeWord(InstanceStatus status) {
  switch (status) {
    case InstanceStatus::kSucceeded: return "succeeded";
    case InstanceStatus::kFailed: return "failed";
    case InstanceStatus::kSkipped: return "was skipped";
    case InstanceStatus::kCancelled: return "was cancelled";
    default: return "did not finish";
  }
}

// `rota stop` jobs report stop.* where a run job reports task.*.
inline EventType ForTeardown(EventType type) {
  switch (type) {
    case EventType::kTaskStarted: return EventType::kStopStarted;
    case EventType::kTaskSucceeded: return EventType::kStopSucceeded;
    case EventType::kTaskFailed: return EventType::kStopFailed;
    default: return type;
  }
}

// A gang: its instances start together or not at all (one instance is no gang).
inline bool IsGang(const TaskState& task) { return task.spec->gang && task.instance_count > 1; }

// The id clients see: engine ids count from 0, public ids from 1.
inline uint64_t JobIdOf(const JobState& job) { return uint64_t{job.id} + 1; }

inline std::string InstanceKey(const JobState& job, const InstanceState& inst) {
  const TaskState& task = job.tasks[inst.task];
  std::string key = task.spec->pool + "/" + task.spec->name;
  if (task.instance_count > 1) key += "#" + std::to_string(inst.index);
  return key;
}


}  // namespace rota::engine_internal
