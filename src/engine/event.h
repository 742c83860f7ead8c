// The event schema of DESIGN section 5, as the engine publishes it. Views point into engine-owned
// state and are valid only during EventSink::Publish; a sink copies what it keeps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/frame_set.h"

namespace rota {

enum class EventType {
  kJobSubmitted, kJobStarted, kJobSucceeded, kJobFailed, kJobCancelled,
  kTaskStarted, kTaskSucceeded, kTaskFailed, kTaskRetrying, kTaskTimedOut, kTaskCancelled,
  kTaskSkipped, kSignalPosted, kStopStarted, kStopSucceeded, kStopFailed,
  // Server mode: a run was preempted and its instance is back in line (no retry spent); a
  // scheduler setting changed (`key`, `value`).
  kTaskPreempted, kConfigChanged,
  // Periodic schedules and watchdogs (issue 11): a slot fired its job, slots were missed (with a
  // count), a slot was skipped (overlap: forbid, or the queue was full); a watchdog's alert.
  kScheduleFired, kScheduleMissed, kScheduleSkipped, kAlertRaised, kAlertResolved,
};

// "task.started" etc.
const char* EventTypeName(EventType type);

struct Event {
  uint64_t seq = 0;
  int64_t ts_us = 0;
  EventType type = EventType::kJobSubmitted;
  std::string_view job;
  std::string_view task;       // empty for job.* and signal.*
  std::string_view pool;
  int instance = -1;           // -1: not an instance event
  std::span<const Frame> frames;
  int attempt = 0;
  std::string_view host;
  std::optional<int> exit_code;
  std::string_view reason;     // task.skipped, task.failed (e.g. "timed out"), job.failed
  std::string_view signal;     // signal.posted
  std::string_view key;        // config.changed
  std::string_view value;      // config.changed
  std::string_view schedule;   // schedule.*, and job events of a job a schedule fired
  std::string_view slot;       // schedule.*: the slot (UTC RFC 3339)
  int64_t count = 0;           // schedule.missed: how many slots
  std::string_view watchdog;   // alert.*
  // Server mode only (0 in `rota run`, and then left out of the JSON): the public job id and the
  // run an instance event is about.
  uint64_t job_id = 0;
  uint64_t run = 0;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Publish(const Event& event) = 0;
  // Called when the engine loop goes idle: a good moment to write out what was buffered.
  virtual void Flush() {}
};

}  // namespace rota
