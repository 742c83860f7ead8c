#include "engine/engine.h"

#include <algorithm>
#include <csignal>

#include "core/units.h"
#include "core/validate.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

Engine::Engine(const Clock& clock, Launcher& launcher, EventSink& events, EngineOptions options)
    : clock_(clock),
      launcher_(launcher),
      events_(events),
      options_(std::move(options)),
      epoch_(options_.epoch) {}

uint32_t Engine::PoolIndex(const std::string& name, int max_workers) {
  auto [it, added] = pool_index_.emplace(name, pools_.size());
  if (added) {
    if (free_pools_.empty()) {
      pools_.emplace_back();
    } else {   // the slot of a retired job's pool
      it->second = free_pools_.back();
      free_pools_.pop_back();
      pools_[it->second] = PoolState{};
    }
    pools_[it->second].view.name = name;
    pools_[it->second].view.max_workers = max_workers;
  } else if (max_workers > 0) {
    pools_[it->second].view.max_workers = max_workers;
  }
  return it->second;
}

// Builds job `id`'s state from its spec and releases what is ready. `announce`: publish
// job.submitted (not when a finished job is sent round again by Retry).
void Engine::Install(JobId id, JobSpec spec, const SubmitOptions& options, bool announce) {
  std::unordered_map<std::string, int> listed;
  for (const PoolSpec& p : spec.pools) listed[p.name] = p.max_workers;
  if (options_.placement) {  // src/sched compares sorted tag lists
    for (TaskSpec& t : spec.tasks) std::sort(t.resources.tags.begin(), t.resources.tags.end());
  }
  jobs_[id] = ExpandJob(std::move(spec), [&](const std::string& pool) {
    auto it = listed.find(pool);
    if (options_.placement) {  // the job's own pool: its max_workers caps only this job
      const uint32_t index = PoolIndex(std::to_string(id) + '/' + pool,
                                       it != listed.end() ? it->second : kUnlimitedWorkers);
      pools_[index].view.name = pool;
      pools_[index].farm_pool = FarmPoolIndex(pool);
      return index;
    }
    if (it != listed.end()) return PoolIndex(pool, it->second);
    auto known = pool_index_.find(pool);
    if (known != pool_index_.end()) return known->second;
    return PoolIndex(pool, options_.default_max_workers);
  });
  JobState& job = *jobs_[id];
  job.id = id;
  if (options_.placement) job.queue = QueueIndex(job.spec.queue);
  job.teardown = options.teardown;
  job.log_dir = options.log_dir;
  job.schedule = options.schedule;
  job.submitted_us = now_us_;
  ++unfinished_jobs_;
  for (const InstanceState& inst : job.instances)
    ++pools_[job.tasks[inst.task].pool].view.by_status[0];
  if (announce) EmitJob(EventType::kJobSubmitted, job);

  for (uint32_t t = 0; t < job.tasks.size() && !job.teardown; ++t) {
    for (const std::string& key : job.tasks[t].spec->posts) ++signal_posters_[key];
  }
  for (uint32_t t = 0; t < job.tasks.size(); ++t) {
    TaskState& task = job.tasks[t];
    for (const std::string& key : task.signals) {
      if (posted_signals_.count(key)) {
        --task.unmet;
      } else {
        signal_waiters_[key].push_back({id, t});
      }
    }
  }
  std::vector<std::pair<uint32_t, std::string>> unmeetable;   // `{job: X}` that cannot be met
  WaitForJobs(id, unmeetable);
  NameJob(id);
  for (uint32_t t = 0; t < job.tasks.size(); ++t) {
    if (job.tasks[t].unmet == 0) ReleaseTask(id, t);
  }
  for (const auto& [t, why] : unmeetable) SkipTask(id, t, why, /*unneeded=*/false);
  if (job.instances.empty()) MaybeFinishJob(id);
  Propagate();
  Dispatch();
}

void Engine::Post(std::string_view key_view) {
  std::string key(key_view);
  if (posted_signals_.count(key)) return;
  posted_signals_[key] = true;
  Event e = NextEvent(EventType::kSignalPosted);
  e.signal = key;
  Publish(e);
  SettleSignal(key);
}

void Engine::SettleSignal(const std::string& key) {
  auto it = signal_waiters_.find(key);
  if (it == signal_waiters_.end()) return;
  auto waiters = std::move(it->second);
  signal_waiters_.erase(it);
  for (auto [job, task] : waiters) {
    TaskState& ts = jobs_[job]->tasks[task];
    if (--ts.unmet == 0) ReleaseTask(job, task);
  }
}

void Engine::SetStatus(JobState& job, InstanceState& inst, InstanceStatus status) {
  if (inst.status == InstanceStatus::kBackoff) {   // leaving backoff: its deadline is moot
    RemoveDeadline(kBackoffKey | Ref(job.id, static_cast<uint32_t>(&inst - job.instances.data())));
  }
  auto& counts = pools_[job.tasks[inst.task].pool].view.by_status;
  --counts[static_cast<int>(inst.status)];
  ++counts[static_cast<int>(status)];
  inst.status = status;
}

// Every task-level requirement of `task` is met: its instances with no frame edge left are ready.
void Engine::ReleaseTask(JobId id, uint32_t task) {
  JobState& job = *jobs_[id];
  const TaskState& ts = job.tasks[task];
  for (uint32_t i = 0; i < ts.instance_count; ++i) MaybeReady(id, ts.first_instance + i);
}

void Engine::MaybeReady(JobId id, uint32_t i) {
  JobState& job = *jobs_[id];
  InstanceState& inst = job.instances[i];
  if (inst.status != InstanceStatus::kWaiting || inst.unmet != 0) return;
  if (job.tasks[inst.task].unmet != 0) return;
  if (job.stopping && !job.tasks[inst.task].handles_failure) {
    Skip(id, i, job.cancelled ? "job cancelled" : "not started: the job is stopping after a failure");
    return;
  }
  MakeReady(id, i);
}

void Engine::MakeReady(JobId id, uint32_t i) {
  JobState& job = *jobs_[id];
  InstanceState& inst = job.instances[i];
  const uint32_t pool = job.tasks[inst.task].pool;
  SetStatus(job, inst, InstanceStatus::kReady);
  pools_[pool].ready.push_back(Ref(id, i));
  if (pools_[pool].ready.size() == 1) dirty_pools_.push_back(pool);
}

void Engine::Dispatch() {
  // A pool is dirty when it gained ready work or freed a slot; pools stay few, so duplicates are
  // harmless and cheaper than a set. No-op runs end here, in a loop rather than by recursion, so a
  // long chain of them cannot overflow the stack. Placement waits for the scheduling cycle.
  for (;;) {
    if (options_.placement) {
      if (!dirty_pools_.empty()) cycle_needed_ = true;
    } else {
      DispatchDirtyPools();
    }
    if (noop_runs_.empty()) return;
    std::vector<RunId> ended;
    ended.swap(noop_runs_);
    for (RunId r : ended) {
      RunExit exit;
      exit.run = r;
      HandleExit(exit);
    }
    Propagate();
  }
}

void Engine::DispatchDirtyPools() {
  while (!dirty_pools_.empty()) {
    const uint32_t p = dirty_pools_.back();
    dirty_pools_.pop_back();
    PoolState& pool = pools_[p];
    while (!pool.ready.empty() && static_cast<int>(pool.running) < pool.view.max_workers) {
      const uint64_t ref = pool.ready.front();
      pool.ready.pop_front();
      const JobId id = ref >> 32;
      const uint32_t i = static_cast<uint32_t>(ref);
      if (jobs_[id]->instances[i].status != InstanceStatus::kReady) continue;
      Start(id, i);
    }
  }
}

void Engine::Start(JobId id, uint32_t i, uint32_t host) {
  JobState& job = *jobs_[id];
  InstanceState& inst = job.instances[i];
  const TaskState& task = job.tasks[inst.task];
  if (!job.started) {
    job.started = true;
    EmitJob(EventType::kJobStarted, job);
  }
  const std::vector<std::string>& argv = task.spec->argv;
  const bool noop = job.teardown ? task.spec->stop.empty()
                                 : argv.empty() || (task.spec->shell && argv.front().empty());
  if (noop && job.teardown) {  // nothing to undo: done, silently
    Finish(id, i, InstanceStatus::kSucceeded);
    Propagate();
    return;
  }
  SetStatus(job, inst, InstanceStatus::kRunning);
  ++inst.attempts;
  inst.run = ++last_run_;
  RunState& run = runs_.emplace(inst.run, RunState{id, i}).first->second;
  if (host != kNoHost) {
    run.host = host;
    run.epoch = epoch_;
    OccupyHost(inst.run);
  }
  ++pools_[task.pool].running;
  ++running_;
  Emit(EventType::kTaskStarted, job, &inst, inst.attempts);
  if (noop) {  // a task with an empty command succeeds at once, like a phony target
    noop_runs_.push_back(inst.run);
    return;
  }
  if (task.spec->timeout && !job.teardown) {
    const int64_t at =
        now_us_ + std::chrono::duration_cast<std::chrono::microseconds>(*task.spec->timeout).count();
    run.timeout_at = at;
    AddDeadline(inst.run, at);
  }
  if (!replaying_) Launch(inst.run);
}

void Engine::Launch(RunId r) {
  const RunState& run = runs_.at(r);
  const JobState& job = *jobs_[run.job];
  const InstanceState& inst = job.instances[run.instance];
  const TaskState& task = job.tasks[inst.task];
  LaunchRequest req;
  req.run = r;
  req.job = job.spec.name;
  req.task = task.spec->name;
  req.argv = task.spec->argv;
  req.env = &task.spec->env;
  req.cwd = task.spec->cwd;
  req.instance = inst.index;
  req.frames = job.FramesOf(inst);
  req.attempt = inst.attempts;
  req.shell = job.teardown || task.spec->shell;
  req.command = job.teardown ? std::string_view(task.spec->stop)
                             : std::string_view(task.spec->argv.front());
  req.log_dir = job.log_dir;
  if (run.host != kNoHost) {
    req.host = hosts_[run.host].info.name;
    req.epoch = run.epoch;
    req.job_id = JobIdOf(job);
  }
  launcher_.Launch(req);
}

std::string Engine::DescribeExit(const RunExit& exit, const RunState& run,
                                 const TaskSpec& task) const {
  if (run.timed_out && task.timeout) return "timed out after " + FormatDuration(*task.timeout);
  if (exit.lost) return "lost: " + exit.error;
  if (exit.launch_failed) return "could not start: " + exit.error;
  if (exit.term_signal != 0) return "killed by signal " + std::to_string(exit.term_signal);
  return "exit code " + std::to_string(exit.exit_code);
}

void Engine::HandleExit(const RunExit& exit) {
  RunState* found = FindRun(exit.run);
  if (found == nullptr || !found->active) return;
  RunState& run = *found;
  run.active = false;
  JobState& job = *jobs_[run.job];
  InstanceState& inst = job.instances[run.instance];
  const TaskState& task = job.tasks[inst.task];
  --pools_[task.pool].running;
  --running_;
  if (pools_[task.pool].ready.size() > 0) dirty_pools_.push_back(task.pool);
  ReleaseHost(run, *task.spec);
  if (run.timeout_at != 0) RemoveDeadline(exit.run);
  inst.exit_code = exit.exit_code;

  const bool ok = exit.exit_code == 0 && exit.term_signal == 0 && !exit.launch_failed &&
                  !run.timed_out && !exit.lost;
  // A preempted run that finished on its own before the kill arrived counts as what it was.
  const bool preempted = run.preempted && !ok && !run.cancel_requested && !job.stopping;
  if (run.cancel_requested) {
    Emit(EventType::kTaskCancelled, job, &inst, inst.attempts, exit.exit_code, "job cancelled");
    inst.reason = "job cancelled";
    Finish(run.job, run.instance, InstanceStatus::kCancelled);
  } else if (preempted) {
    Emit(EventType::kTaskPreempted, job, &inst, inst.attempts, exit.exit_code,
         "preempted by the scheduler; back in line without spending a retry");
    ++inst.preemptions;
    Requeue(run.job, run.instance);
  } else if (ok) {
    Emit(EventType::kTaskSucceeded, job, &inst, inst.attempts, 0);
    Finish(run.job, run.instance, InstanceStatus::kSucceeded);
  } else {
    const std::string why = DescribeExit(exit, run, *task.spec);
    if (run.timed_out) Emit(EventType::kTaskTimedOut, job, &inst, inst.attempts, exit.exit_code, why);
    const int retries = job.teardown ? 0 : task.spec->retries;
    if (inst.attempts - inst.preemptions <= retries && !job.stopping) {
      Emit(EventType::kTaskRetrying, job, &inst, inst.attempts, exit.exit_code, why);
      SetStatus(job, inst, InstanceStatus::kBackoff);
      Duration delay = task.spec->retry_delay;
      for (int a = 1; a < inst.attempts && delay < kMaxRetryDelay; ++a) delay *= 2;
      if (delay > kMaxRetryDelay) delay = kMaxRetryDelay;
      AddDeadline(kBackoffKey | Ref(run.job, run.instance),
                  now_us_ + std::chrono::duration_cast<std::chrono::microseconds>(delay).count());
    } else {
      Emit(EventType::kTaskFailed, job, &inst, inst.attempts, exit.exit_code, why);
      inst.reason = why;
      Finish(run.job, run.instance, InstanceStatus::kFailed);
      if (job.spec.on_failure == FailurePolicy::kStop && !job.teardown) {
        StopJob(run.job, InstanceKey(job, inst) + " failed");
      }
    }
  }
  runs_.erase(exit.run);   // ended: out of memory (its instance keeps the id)
}

void Engine::CancelJob(JobId id, std::string_view reason) {
  JobState& job = *jobs_[id];
  if (job.finished) return;
  job.cancelled = true;
  job.stopping = true;
  for (uint32_t i = 0; i < job.instances.size(); ++i) {
    InstanceState& inst = job.instances[i];
    if (IsFinal(inst.status)) continue;
    if (inst.status == InstanceStatus::kRunning) {
      RunState& run = runs_.at(inst.run);
      if (run.cancel_requested) continue;
      run.cancel_requested = true;
      SignalRun(inst.run, SIGTERM);
      continue;
    }
    Emit(EventType::kTaskCancelled, job, &inst, inst.attempts, {}, reason);
    inst.reason = std::string(reason);
    Finish(id, i, InstanceStatus::kCancelled);
  }
}

void Engine::KillAll() {
  for (const auto& [id, run] : runs_) launcher_.Signal(id, SIGKILL);
}

std::vector<PoolView> Engine::Pools() const {
  std::vector<PoolView> out;
  out.reserve(pools_.size());
  for (const PoolState& p : pools_) out.push_back(p.view);
  return out;
}

}  // namespace rota
