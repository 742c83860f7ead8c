#include "engine/engine.h"

#include <csignal>

#include "core/units.h"

namespace rota {
namespace {

constexpr Duration kMaxRetryDelay = std::chrono::minutes(5);

bool Satisfies(InstanceStatus status, DepOn on) {
  switch (on) {
    case DepOn::kSuccess: return status == InstanceStatus::kSucceeded;
    case DepOn::kFailure: return status == InstanceStatus::kFailed;
    case DepOn::kAny: return true;
  }
  return false;
}

const char* OutcomeWord(InstanceStatus status) {
  switch (status) {
    case InstanceStatus::kSucceeded: return "succeeded";
    case InstanceStatus::kFailed: return "failed";
    case InstanceStatus::kSkipped: return "was skipped";
    case InstanceStatus::kCancelled: return "was cancelled";
    default: return "did not finish";
  }
}

// `rota stop` jobs report stop.* where a run job reports task.*.
EventType ForTeardown(EventType type) {
  switch (type) {
    case EventType::kTaskStarted: return EventType::kStopStarted;
    case EventType::kTaskSucceeded: return EventType::kStopSucceeded;
    case EventType::kTaskFailed: return EventType::kStopFailed;
    default: return type;
  }
}

std::string InstanceKey(const JobState& job, const InstanceState& inst) {
  const TaskState& task = job.tasks[inst.task];
  std::string key = task.spec->pool + "/" + task.spec->name;
  if (task.instance_count > 1) key += "#" + std::to_string(inst.index);
  return key;
}

}  // namespace

Engine::Engine(const Clock& clock, Launcher& launcher, EventSink& events, EngineOptions options)
    : clock_(clock), launcher_(launcher), events_(events), options_(std::move(options)) {}

uint32_t Engine::PoolIndex(const std::string& name, int max_workers) {
  auto [it, added] = pool_index_.emplace(name, pools_.size());
  if (added) {
    pools_.emplace_back();
    pools_.back().view.name = name;
    pools_.back().view.max_workers = max_workers;
  } else if (max_workers > 0) {
    pools_[it->second].view.max_workers = max_workers;
  }
  return it->second;
}

JobId Engine::Submit(JobSpec spec, const SubmitOptions& options) {
  std::unordered_map<std::string, int> listed;
  for (const PoolSpec& p : spec.pools) listed[p.name] = p.max_workers;
  const JobId id = jobs_.size();
  jobs_.push_back(ExpandJob(std::move(spec), [&](const std::string& pool) {
    auto it = listed.find(pool);
    if (it != listed.end()) return PoolIndex(pool, it->second);
    auto known = pool_index_.find(pool);
    if (known != pool_index_.end()) return known->second;
    return PoolIndex(pool, options_.default_max_workers);
  }));
  JobState& job = *jobs_[id];
  job.teardown = options.teardown;
  job.log_dir = options.log_dir;
  ++unfinished_jobs_;
  for (const InstanceState& inst : job.instances)
    ++pools_[job.tasks[inst.task].pool].view.by_status[0];
  EmitJob(EventType::kJobSubmitted, job);

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
  for (uint32_t t = 0; t < job.tasks.size(); ++t) {
    if (job.tasks[t].unmet == 0) ReleaseTask(id, t);
  }
  if (job.instances.empty()) MaybeFinishJob(id);
  Propagate();
  Dispatch();
  return id;
}

void Engine::PostSignal(std::string_view key) {
  Post(key);
  Propagate();
  Dispatch();
}

void Engine::Post(std::string_view key_view) {
  std::string key(key_view);
  if (posted_signals_.count(key)) return;
  posted_signals_[key] = true;
  Event e;
  e.seq = ++seq_;
  e.ts_us = clock_.UnixMicros();
  e.type = EventType::kSignalPosted;
  e.signal = key;
  e.host = options_.host;
  events_.Publish(e);
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
  // long chain of them cannot overflow the stack.
  for (;;) {
    DispatchDirtyPools();
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

void Engine::Start(JobId id, uint32_t i) {
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
  runs_.push_back(RunState{id, i});
  inst.run = runs_.size();
  ++pools_[task.pool].running;
  ++running_;
  Emit(EventType::kTaskStarted, job, &inst, inst.attempts);
  if (noop) {  // a task with an empty command succeeds at once, like a phony target
    noop_runs_.push_back(inst.run);
    return;
  }
  if (task.spec->timeout && !job.teardown) {
    timers_.push(Timer{clock_.Now() + *task.spec->timeout, Timer::kTimeout, inst.run});
  }
  LaunchRequest req;
  req.run = inst.run;
  req.job = job.spec.name;
  req.task = task.spec;
  req.instance = inst.index;
  req.frames = job.FramesOf(inst);
  req.attempt = inst.attempts;
  req.shell = job.teardown || task.spec->shell;
  req.command = job.teardown ? std::string_view(task.spec->stop)
                             : std::string_view(task.spec->argv.front());
  req.log_dir = job.log_dir;
  launcher_.Launch(req);
}

std::string Engine::DescribeExit(const RunExit& exit, const RunState& run,
                                 const TaskSpec& task) const {
  if (run.timed_out && task.timeout) return "timed out after " + FormatDuration(*task.timeout);
  if (exit.launch_failed) return "could not start: " + exit.error;
  if (exit.term_signal != 0) return "killed by signal " + std::to_string(exit.term_signal);
  return "exit code " + std::to_string(exit.exit_code);
}

void Engine::OnRunExit(const RunExit& exit) {
  HandleExit(exit);
  Propagate();
  Dispatch();
}

void Engine::HandleExit(const RunExit& exit) {
  if (exit.run == 0 || exit.run > runs_.size()) return;
  RunState& run = runs_[exit.run - 1];
  if (!run.active) return;
  run.active = false;
  JobState& job = *jobs_[run.job];
  InstanceState& inst = job.instances[run.instance];
  const TaskState& task = job.tasks[inst.task];
  --pools_[task.pool].running;
  --running_;
  if (pools_[task.pool].ready.size() > 0) dirty_pools_.push_back(task.pool);

  const bool ok = exit.exit_code == 0 && exit.term_signal == 0 && !exit.launch_failed &&
                  !run.timed_out;
  if (run.cancel_requested) {
    Emit(EventType::kTaskCancelled, job, &inst, inst.attempts, exit.exit_code, "job cancelled");
    Finish(run.job, run.instance, InstanceStatus::kCancelled);
  } else if (ok) {
    Emit(EventType::kTaskSucceeded, job, &inst, inst.attempts, 0);
    Finish(run.job, run.instance, InstanceStatus::kSucceeded);
  } else {
    const std::string why = DescribeExit(exit, run, *task.spec);
    if (run.timed_out) Emit(EventType::kTaskTimedOut, job, &inst, inst.attempts, exit.exit_code, why);
    const int retries = job.teardown ? 0 : task.spec->retries;
    if (inst.attempts <= retries && !job.stopping) {
      Emit(EventType::kTaskRetrying, job, &inst, inst.attempts, exit.exit_code, why);
      SetStatus(job, inst, InstanceStatus::kBackoff);
      Duration delay = task.spec->retry_delay;
      for (int a = 1; a < inst.attempts && delay < kMaxRetryDelay; ++a) delay *= 2;
      if (delay > kMaxRetryDelay) delay = kMaxRetryDelay;
      timers_.push(Timer{clock_.Now() + delay, Timer::kRetry, Ref(run.job, run.instance)});
    } else {
      Emit(EventType::kTaskFailed, job, &inst, inst.attempts, exit.exit_code, why);
      Finish(run.job, run.instance, InstanceStatus::kFailed);
      if (job.spec.on_failure == FailurePolicy::kStop && !job.teardown) {
        StopJob(run.job, InstanceKey(job, inst) + " failed");
      }
    }
  }
}

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
}

void Engine::CancelAll(std::string_view reason) {
  for (JobId id = 0; id < jobs_.size(); ++id) {
    JobState& job = *jobs_[id];
    if (job.finished) continue;
    job.cancelled = true;
    job.stopping = true;
    for (uint32_t i = 0; i < job.instances.size(); ++i) {
      InstanceState& inst = job.instances[i];
      if (IsFinal(inst.status)) continue;
      if (inst.status == InstanceStatus::kRunning) {
        RunState& run = runs_[inst.run - 1];
        if (run.cancel_requested) continue;
        run.cancel_requested = true;
        launcher_.Signal(inst.run, SIGTERM);
        timers_.push(Timer{clock_.Now() + options_.kill_grace, Timer::kKill, inst.run});
        continue;
      }
      Emit(EventType::kTaskCancelled, job, &inst, inst.attempts, {}, reason);
      Finish(id, i, InstanceStatus::kCancelled);
    }
  }
  // Everything left is cancelled too, so cancellations need no propagation to dependents: only the
  // counters they keep.
  Propagate();
}

void Engine::KillAll() {
  for (size_t r = 0; r < runs_.size(); ++r) {
    if (runs_[r].active) launcher_.Signal(r + 1, SIGKILL);
  }
}

void Engine::FireTimers() {
  const TimePoint now = clock_.Now();
  while (!timers_.empty() && timers_.top().at <= now) {
    const Timer t = timers_.top();
    timers_.pop();
    switch (t.kind) {
      case Timer::kTimeout: {
        RunState& run = runs_[t.target - 1];
        if (!run.active || run.cancel_requested) break;
        run.timed_out = true;
        launcher_.Signal(t.target, SIGTERM);
        timers_.push(Timer{now + options_.kill_grace, Timer::kKill, t.target});
        break;
      }
      case Timer::kKill:
        if (runs_[t.target - 1].active) launcher_.Signal(t.target, SIGKILL);
        break;
      case Timer::kRetry: {
        const JobId id = t.target >> 32;
        const uint32_t i = static_cast<uint32_t>(t.target);
        JobState& job = *jobs_[id];
        if (job.instances[i].status != InstanceStatus::kBackoff) break;
        if (job.stopping) {
          Skip(id, i, job.cancelled ? "job cancelled" : "not retried: the job is stopping");
        } else {
          MakeReady(id, i);
        }
        break;
      }
    }
  }
  Propagate();
  Dispatch();
}

std::optional<TimePoint> Engine::NextDeadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.top().at;
}

std::vector<PoolView> Engine::Pools() const {
  std::vector<PoolView> out;
  out.reserve(pools_.size());
  for (const PoolState& p : pools_) out.push_back(p.view);
  return out;
}

void Engine::Emit(EventType type, const JobState& job, const InstanceState* inst, int attempt,
                  std::optional<int> exit_code, std::string_view reason) {
  Event e;
  e.seq = ++seq_;
  e.ts_us = clock_.UnixMicros();
  e.type = job.teardown ? ForTeardown(type) : type;
  e.job = job.spec.name;
  if (inst != nullptr) {
    const TaskState& task = job.tasks[inst->task];
    e.task = task.spec->name;
    e.pool = task.spec->pool;
    e.instance = static_cast<int>(inst->index);
    e.frames = job.FramesOf(*inst);
  }
  e.attempt = attempt;
  e.host = options_.host;
  e.exit_code = exit_code;
  e.reason = reason;
  events_.Publish(e);
}

void Engine::EmitJob(EventType type, const JobState& job, std::string_view reason) {
  Emit(type, job, nullptr, 0, {}, reason);
}

}  // namespace rota
