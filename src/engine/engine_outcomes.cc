// The Engine's outcomes: how a finished instance moves its dependents (ready, skipped), when a
// task and a job are complete, what a stop under on_failure does, and the events that say so.
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

void Engine::Finish(JobId id, uint32_t i, InstanceStatus status) {
  JobState& job = *jobs_[id];
  InstanceState& inst = job.instances[i];
  SetStatus(job, inst, status);
  switch (status) {
    case InstanceStatus::kSucceeded: ++job.succeeded; break;
    case InstanceStatus::kFailed: ++job.failed; break;
    case InstanceStatus::kSkipped: ++job.skipped; break;
    default: ++job.cancelled_count; break;
  }
  pending_.push_back({id, i});
}

void Engine::Skip(JobId id, uint32_t i, std::string_view reason, bool unneeded) {
  JobState& job = *jobs_[id];
  InstanceState& inst = job.instances[i];
  if (IsFinal(inst.status) || inst.status == InstanceStatus::kRunning) return;
  Emit(EventType::kTaskSkipped, job, &inst, inst.attempts, {}, reason);
  inst.reason = std::string(reason);
  inst.unneeded = unneeded;
  if (unneeded) ++job.unneeded;
  Finish(id, i, InstanceStatus::kSkipped);
}

void Engine::SkipTask(JobId id, uint32_t t, std::string_view reason, bool unneeded) {
  const TaskState& task = jobs_[id]->tasks[t];
  for (uint32_t k = 0; k < task.instance_count; ++k)
    Skip(id, task.first_instance + k, reason, unneeded);
}

void Engine::SignalWillNotCome(const std::string& key, std::string_view reason, bool unneeded) {
  auto it = signal_waiters_.find(key);
  if (it == signal_waiters_.end()) return;
  auto waiters = std::move(it->second);
  signal_waiters_.erase(it);
  const std::string why = "signal " + key + " will not be posted: " + std::string(reason);
  for (auto [job, task] : waiters) SkipTask(job, task, why, unneeded);
}

void Engine::Propagate() {
  while (!pending_.empty()) {
    const Pending p = pending_.back();
    pending_.pop_back();
    PropagateOne(p.job, p.instance);
  }
}

// Tells the dependents of a finished instance, frame edges first, then the task as a whole.
void Engine::PropagateOne(JobId id, uint32_t i) {
  JobState& job = *jobs_[id];
  InstanceState& inst = job.instances[i];
  TaskState& task = job.tasks[inst.task];
  const InstanceStatus status = inst.status;
  for (const InstanceState::Edge& e : inst.dependents) {
    InstanceState& dep = job.instances[e.instance];
    if (dep.status != InstanceStatus::kWaiting) continue;
    if (Satisfies(status, e.on)) {
      --dep.unmet;
      MaybeReady(id, e.instance);
    } else {
      const bool unneeded = inst.unneeded || status == InstanceStatus::kSucceeded;
      Skip(id, e.instance, InstanceKey(job, inst) + " " + OutcomeWord(status), unneeded);
    }
  }
  --task.unfinished;
  --job.unfinished;
  if (status == InstanceStatus::kSucceeded) {
    ++task.succeeded;
  } else if (!task.any_unsuccessful) {
    task.any_unsuccessful = true;
    // Dependents that need this task to succeed cannot run: skip them now, not when it completes.
    for (const TaskEdge& e : task.dependents) {
      if (e.on != DepOn::kSuccess) continue;
      SkipTask(id, e.task, InstanceKey(job, inst) + " " + OutcomeWord(status), inst.unneeded);
    }
  }
  if (task.unfinished == 0) TaskCompleted(id, inst.task);
  MaybeFinishJob(id);
}

void Engine::TaskCompleted(JobId id, uint32_t t) {
  JobState& job = *jobs_[id];
  TaskState& task = job.tasks[t];
  // Which way the task went as a whole: failed if any instance failed.
  // Which way the task went as a whole: failed if any instance failed; a task skipped only because
  // a failure handler was not needed passes that on, so its dependents do not fail the job either.
  InstanceStatus whole = InstanceStatus::kSucceeded;
  bool unneeded = task.any_unsuccessful;
  if (task.any_unsuccessful) {
    whole = InstanceStatus::kSkipped;
    for (uint32_t k = 0; k < task.instance_count; ++k) {
      const InstanceState& inst = job.instances[task.first_instance + k];
      if (inst.status == InstanceStatus::kSucceeded) continue;
      unneeded &= inst.unneeded;
      if (inst.status == InstanceStatus::kFailed) whole = InstanceStatus::kFailed;
      if (inst.status == InstanceStatus::kCancelled && whole != InstanceStatus::kFailed)
        whole = InstanceStatus::kCancelled;
    }
  }
  const std::string key_text = task.spec->pool + "/" + task.spec->name;
  for (const std::string& key : job.teardown ? std::vector<std::string>{} : task.spec->posts) {
    --signal_posters_[key];
    if (whole == InstanceStatus::kSucceeded) {
      Post(key);
    } else if (options_.signals_only_from_tasks && signal_posters_[key] == 0 &&
               !posted_signals_.count(key)) {
      SignalWillNotCome(key, key_text + " " + OutcomeWord(whole), unneeded);
    }
  }
  for (const TaskEdge& e : task.dependents) {
    TaskState& d = job.tasks[e.task];
    if (d.unfinished == 0) continue;
    if (Satisfies(whole, e.on)) {
      if (--d.unmet == 0) ReleaseTask(id, e.task);
    } else if (e.on != DepOn::kSuccess) {  // on: success dependents were skipped already
      const bool handler_not_needed = e.on == DepOn::kFailure && whole == InstanceStatus::kSucceeded;
      SkipTask(id, e.task,
               key_text + " " + OutcomeWord(whole) +
                   (e.on == DepOn::kFailure ? " (runs only on its failure)" : ""),
               handler_not_needed || unneeded);
    }
  }
}

void Engine::StopJob(JobId id, std::string_view reason) {
  JobState& job = *jobs_[id];
  if (job.stopping) return;
  job.stopping = true;
  const std::string why = "not started: " + std::string(reason) + " (on_failure: stop)";
  for (uint32_t i = 0; i < job.instances.size(); ++i) {
    const InstanceState& inst = job.instances[i];
    if (IsFinal(inst.status) || inst.status == InstanceStatus::kRunning) continue;
    if (job.tasks[inst.task].handles_failure) continue;
    Skip(id, i, why);
  }
}

void Engine::MaybeFinishJob(JobId id) {
  JobState& job = *jobs_[id];
  if (job.finished || job.unfinished != 0) return;
  job.finished = true;
  job.finished_us = now_us_;
  finished_order_.emplace_back(id, now_us_);
  --unfinished_jobs_;
  if (job.cancelled) {
    EmitJob(EventType::kJobCancelled, job, "cancelled");
  } else if (job.Succeeded()) {
    EmitJob(EventType::kJobSucceeded, job);
  } else {
    std::string why = std::to_string(job.failed) + " failed, " + std::to_string(job.skipped) +
                      " skipped, " + std::to_string(job.succeeded) + " succeeded";
    EmitJob(EventType::kJobFailed, job, why);
  }
  SettleJobWaiters(job);
  if (!job.schedule.empty()) ScheduledJobFinished(job);
}

void Engine::Emit(EventType type, const JobState& job, const InstanceState* inst, int attempt,
                  std::optional<int> exit_code, std::string_view reason) {
  if (quiet_) return;
  Event e;
  e.seq = ++seq_;
  e.ts_us = now_us_;
  e.type = job.teardown ? ForTeardown(type) : type;
  e.job = job.spec.name;
  if (options_.placement) {
    e.job_id = JobIdOf(job);
    if (inst != nullptr && type != EventType::kTaskSkipped) e.run = inst->run;
  }
  if (inst != nullptr) {
    const TaskState& task = job.tasks[inst->task];
    e.task = task.spec->name;
    e.pool = task.spec->pool;
    e.instance = static_cast<int>(inst->index);
    e.frames = job.FramesOf(*inst);
  }
  e.attempt = attempt;
  e.host = options_.host;
  if (options_.placement && inst != nullptr && inst->run != 0 && type != EventType::kTaskSkipped) {
    const RunState* run = FindRun(inst->run);   // none once it ended (an instance in backoff)
    if (run != nullptr && run->host != kNoHost) e.host = hosts_[run->host].info.name;
  }
  e.exit_code = exit_code;
  e.reason = reason;
  e.schedule = job.schedule;
  Publish(e);
}

void Engine::EmitJob(EventType type, const JobState& job, std::string_view reason) {
  Emit(type, job, nullptr, 0, {}, reason);
}

}  // namespace rota
