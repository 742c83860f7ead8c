// The live state of one accepted job: its tasks expanded into instances, with the dependency
// bookkeeping that decides when an instance is ready (ninja's Plan, per instance).
// Owned by the Engine and touched only from its loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/frame_set.h"
#include "core/job.h"
#include "engine/clock.h"
#include "core/launcher.h"

namespace rota {

using JobId = uint32_t;

enum class InstanceStatus : uint8_t {
  kWaiting,    // dependencies or signals not yet met
  kReady,      // queued in its pool
  kRunning,
  kBackoff,    // failed, waiting to be retried
  kSucceeded,
  kFailed,
  kSkipped,
  kCancelled,
};

// "waiting" "ready" "running" "backoff" "succeeded" "failed" "skipped" "cancelled"
const char* InstanceStatusName(InstanceStatus s);

inline bool IsFinal(InstanceStatus s) { return s >= InstanceStatus::kSucceeded; }

struct InstanceState {
  uint32_t task = 0;          // index into JobState::tasks
  uint32_t index = 0;         // instance number within the task (the chunk index)
  uint32_t frame_begin = 0;   // [frame_begin, frame_end) into the task's frames
  uint32_t frame_end = 0;
  InstanceStatus status = InstanceStatus::kWaiting;
  uint16_t attempts = 0;      // attempts started so far
  uint16_t preemptions = 0;   // attempts that ended preempted: they do not spend a retry
  uint32_t unmet = 0;         // unmet frame-by-frame edges
  RunId run = 0;              // the current or last run
  bool unneeded = false;      // skipped only because a failure handler was not needed
  int exit_code = 0;          // of the last run that ended
  std::string reason;         // why it failed, was skipped or cancelled ("" otherwise)
  // Frame-by-frame dependents: instances (of this job) that wait for this one, with what they need.
  struct Edge {
    uint32_t instance;
    DepOn on;
  };
  std::vector<Edge> dependents;
};

// A task-level dependent: `task` requires this task as a whole, with `on`.
struct TaskEdge {
  uint32_t task;
  DepOn on;
};

struct TaskState {
  const TaskSpec* spec = nullptr;
  uint32_t pool = 0;                 // index into the engine's pools
  std::vector<Frame> frames;         // expanded frame set (empty: no frames)
  uint32_t first_instance = 0;       // instances [first_instance, first_instance + instance_count)
  uint32_t instance_count = 0;
  uint32_t unmet = 0;                // unmet task-level requirements (tasks and signals)
  uint32_t unfinished = 0;           // instances not yet in a final state
  uint32_t succeeded = 0;
  bool any_unsuccessful = false;     // some instance failed, was skipped or cancelled
  bool handles_failure = false;      // has a requirement with on: failure|any (survives a stop)
  std::vector<TaskEdge> dependents;  // task-level dependents
  std::vector<std::string> signals;  // signals this task waits for (not yet posted)
};

struct JobState {
  uint32_t id = 0;              // the engine's JobId (the public id is id + 1)
  uint32_t queue = 0;           // server mode: index into the engine's queues
  JobSpec spec;
  std::vector<TaskState> tasks;
  std::vector<InstanceState> instances;
  uint32_t unfinished = 0;
  bool started = false;
  bool stopping = false;        // on_failure: stop was triggered, or cancelled
  bool cancelled = false;
  bool teardown = false;        // a `rota stop` job: stop.* events, empty commands succeed at once
  bool finished = false;
  std::string log_dir;
  std::string spec_text;        // as submitted (server mode), for snapshots
  std::string schedule;         // the schedule that fired it ("" for a job submitted otherwise)
  int64_t submitted_us = 0;     // the times of the changes that submitted and finished it
  int64_t finished_us = 0;      // 0 while unfinished
  int failed = 0, skipped = 0, cancelled_count = 0, succeeded = 0;
  int unneeded = 0;             // skips that do not fail the job (an `on: failure` not triggered)

  // Every instance succeeded, or was skipped only because a failure handler was not needed.
  bool Succeeded() const {
    return !cancelled && succeeded + unneeded == static_cast<int>(instances.size());
  }

  std::span<const Frame> FramesOf(const InstanceState& inst) const {
    const auto& f = tasks[inst.task].frames;
    return std::span<const Frame>(f).subspan(inst.frame_begin, inst.frame_end - inst.frame_begin);
  }
};

// Builds the instances and edges of `spec`. `pool_of` maps a pool name to the engine's pool index.
// Task-level `unmet` counts task requirements and signals; the engine settles signals already posted.
// The result holds pointers into its own spec: keep it where it is built (the engine heap-allocates).
// REQUIRES: spec passed ValidateJob (frames parse, dependencies exist, no cycles).
std::unique_ptr<JobState> ExpandJob(JobSpec spec,
                                    const std::function<uint32_t(const std::string&)>& pool_of);

}  // namespace rota
