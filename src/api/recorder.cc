#include "api/recorder.h"

#include <algorithm>

#include "engine/event_json.h"

namespace rota {

void Recorder::JobAccepted(JobRecord record) {
  const uint64_t id = record.id;
  jobs_[id] = std::move(record);
  dirty_jobs_.insert(id);
}

void Recorder::CancelRequested(uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second.finished_us != 0) return;
  it->second.state = "cancelling";
  dirty_jobs_.insert(job_id);
}

void Recorder::JobRetried(uint64_t job_id) {
  changes_.job_retries.emplace_back(job_id, NextTime());
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  it->second.state = "pending";
  it->second.finished_us = 0;
  dirty_jobs_.insert(job_id);
}

void Recorder::AgentChanged(AgentRecord record) { changes_.agents.push_back(std::move(record)); }

void Recorder::ConfigChanged(const std::string& key, const std::string& value) {
  changes_.config[key] = value;
}

void Recorder::RunLoaded(RunRecord record) {
  const uint64_t id = record.id;
  runs_[id] = std::move(record);
}

const JobRecord* Recorder::job(uint64_t id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

void Recorder::Publish(const Event& event) {
  EventRecord record;
  record.seq = event.seq;
  record.ts_us = event.ts_us;
  AppendEventJson(event, record.json);
  changes_.events.push_back(std::move(record));
  switch (event.type) {
    case EventType::kSignalPosted:
      changes_.signals_posted.emplace_back(std::string(event.signal), event.ts_us);
      break;
    case EventType::kJobStarted:
    case EventType::kJobSucceeded:
    case EventType::kJobFailed:
    case EventType::kJobCancelled: {
      auto it = jobs_.find(event.job_id);
      if (it == jobs_.end()) break;
      JobRecord& job = it->second;
      if (event.type == EventType::kJobStarted) {
        if (job.state == "pending") job.state = "running";
      } else {
        job.state = event.type == EventType::kJobSucceeded ? "succeeded"
                    : event.type == EventType::kJobFailed  ? "failed"
                                                           : "cancelled";
        job.finished_us = event.ts_us;
      }
      dirty_jobs_.insert(event.job_id);
      break;
    }
    default:
      break;
  }
}

int64_t Recorder::NextTime() {
  last_time_us_ = std::max(clock_.UnixMicros(), last_time_us_ + 1);
  return last_time_us_;
}

void Recorder::RunStarted(uint64_t run) {
  const RunView v = engine_->Run(run);
  RunRecord& r = runs_[run];
  r.id = run;
  r.job_id = v.job_id;
  r.task = std::string(v.task);
  r.instance = v.index;
  r.attempt = v.attempt;
  r.epoch = v.epoch;
  r.host = std::string(v.host);
  r.state = "running";
  r.started_us = NextTime();
  dirty_runs_.insert(run);
}

void Recorder::RunEnded(uint64_t run, RunOutcome outcome, int exit_code) {
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  RunRecord& r = it->second;
  r.state = RunOutcomeName(outcome);
  r.exit_code = exit_code;
  r.ended_us = NextTime();
  dirty_runs_.insert(run);
}

Result<std::vector<EventRecord>> Recorder::Commit() {
  if (!has_changes()) return std::vector<EventRecord>{};
  for (uint64_t id : dirty_jobs_) changes_.jobs.push_back(jobs_[id]);
  for (uint64_t id : dirty_runs_) changes_.runs.push_back(runs_[id]);
  Result<Unit> done = store_.Commit(changes_);
  if (!done.ok()) {
    changes_.jobs.clear();   // rebuilt from the dirty sets next time
    changes_.runs.clear();
    return done.error();
  }
  for (uint64_t id : dirty_runs_) {
    auto it = runs_.find(id);
    if (it != runs_.end() && it->second.ended_us != 0) runs_.erase(it);
  }
  dirty_jobs_.clear();
  dirty_runs_.clear();
  std::vector<EventRecord> events = std::move(changes_.events);
  changes_ = ChangeSet{};
  return events;
}

}  // namespace rota
