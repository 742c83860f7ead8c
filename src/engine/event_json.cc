#include "engine/event_json.h"

namespace rota {

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kJobSubmitted: return "job.submitted";
    case EventType::kJobStarted: return "job.started";
    case EventType::kJobSucceeded: return "job.succeeded";
    case EventType::kJobFailed: return "job.failed";
    case EventType::kJobCancelled: return "job.cancelled";
    case EventType::kTaskStarted: return "task.started";
    case EventType::kTaskSucceeded: return "task.succeeded";
    case EventType::kTaskFailed: return "task.failed";
    case EventType::kTaskRetrying: return "task.retrying";
    case EventType::kTaskTimedOut: return "task.timed_out";
    case EventType::kTaskCancelled: return "task.cancelled";
    case EventType::kTaskSkipped: return "task.skipped";
    case EventType::kSignalPosted: return "signal.posted";
    case EventType::kStopStarted: return "stop.started";
    case EventType::kStopSucceeded: return "stop.succeeded";
    case EventType::kStopFailed: return "stop.failed";
    case EventType::kTaskPreempted: return "task.preempted";
    case EventType::kConfigChanged: return "config.changed";
    case EventType::kScheduleFired: return "schedule.fired";
    case EventType::kScheduleMissed: return "schedule.missed";
    case EventType::kScheduleSkipped: return "schedule.skipped";
    case EventType::kAlertRaised: return "alert.raised";
    case EventType::kAlertResolved: return "alert.resolved";
  }
  return "unknown";
}

namespace {

void Field(std::string_view name, std::string& out) {
  out.append(",\"").append(name).append("\":");
}

void StringField(std::string_view name, std::string_view value, std::string& out) {
  if (value.empty()) return;
  Field(name, out);
  AppendJsonString(value, out);
}

void IntField(std::string_view name, int64_t value, std::string& out) {
  Field(name, out);
  out.append(std::to_string(value));
}

}  // namespace

void AppendEventJson(const Event& e, std::string& out) {
  out.append("{\"seq\":").append(std::to_string(e.seq));
  IntField("ts_us", e.ts_us, out);
  StringField("type", EventTypeName(e.type), out);
  StringField("job", e.job, out);
  if (e.job_id != 0) IntField("job_id", static_cast<int64_t>(e.job_id), out);
  StringField("task", e.task, out);
  StringField("pool", e.pool, out);
  if (e.instance >= 0) IntField("instance", e.instance, out);
  if (!e.frames.empty()) StringField("frames", FormatFrames(e.frames), out);
  if (e.attempt > 0) IntField("attempt", e.attempt, out);
  StringField("host", e.host, out);
  if (e.exit_code) IntField("exit_code", *e.exit_code, out);
  StringField("reason", e.reason, out);
  StringField("signal", e.signal, out);
  StringField("key", e.key, out);
  if (e.type == EventType::kConfigChanged) {   // "" is a value too (exclude.queues cleared)
    Field("value", out);
    AppendJsonString(e.value, out);
  }
  StringField("schedule", e.schedule, out);
  StringField("slot", e.slot, out);
  if (e.count != 0) IntField("count", e.count, out);
  StringField("watchdog", e.watchdog, out);
  if (e.run != 0) IntField("run", static_cast<int64_t>(e.run), out);
  out.push_back('}');
}

}  // namespace rota
