// Engine::Apply, the only mutator, and what surrounds it: the time-driven changes a clock proposes
// (DueChanges), the effects that are not state (kill escalation), replay, and the clock-stamped
// shorthands `rota run` and tests use.
#include <csignal>

#include "core/units.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "sched/sched_config.h"

namespace rota {

using namespace engine_internal;

namespace {

int64_t Micros(Duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

}  // namespace

void Engine::Apply(const Change& change) {
  if (change_tap_) change_tap_(change);
  now_us_ = change.ts_us;
  std::visit([&](const auto& what) { ApplyWhat(change, what); }, change.what);
  Propagate();
  Dispatch();
}

void Engine::ApplyWhat(const Change& c, const change::JobSubmitted& what) {
  if (what.spec == nullptr) return Drop(c);
  const JobId id = static_cast<JobId>(jobs_.size());
  jobs_.emplace_back();
  SubmitOptions options;
  options.log_dir = what.log_dir;
  options.teardown = what.teardown;
  Install(id, *what.spec, options, /*announce=*/true);
  jobs_[id]->spec_text = what.spec_text;
}

void Engine::ApplyWhat(const Change& c, const change::CancelRequested& what) {
  if (what.job == change::kAllJobs) {
    for (JobId id = 0; id < jobs_.size(); ++id) {
      if (jobs_[id]) CancelJob(id, what.reason);
    }
    return;
  }
  if (find_job(what.job) == nullptr || jobs_[what.job]->finished) return Drop(c);
  CancelJob(what.job, what.reason);
}

void Engine::ApplyWhat(const Change& c, const change::JobRetried& what) {
  if (!RetryJob(what.job)) Drop(c);
}

void Engine::ApplyWhat(const Change& c, const change::SignalPosted& what) {
  (void)c;
  Post(what.key);
}

void Engine::ApplyWhat(const Change& c, const change::ConfigSet& what) {
  sched::SchedConfig settings = sched_config_;
  if (!sched::ApplySettings(settings, what.values).empty()) return Drop(c);
  SetSchedConfig(std::move(settings));
  for (const auto& [key, value] : what.values) {
    config_[key] = value;
    AnnounceConfig(key, value);
  }
}

void Engine::ApplyWhat(const Change& c, const change::EpochStarted& what) {
  (void)c;
  epoch_ = what.epoch;
  seq_ = std::max(seq_, what.seq_floor);
  cycle_needed_ = true;
}

void Engine::ApplyWhat(const Change& c, const change::RunEnded& what) {
  const RunExit& exit = what.exit;
  if (FindRun(exit.run) == nullptr) return Drop(c);
  if (options_.placement && !CheckToken(exit.run, what.epoch, what.host).empty()) return Drop(c);
  HandleExit(exit);
}

void Engine::ApplyWhat(const Change& c, const change::TimeoutDue& what) {
  RunState* found = FindRun(what.run);
  if (found == nullptr || found->timeout_at == 0 || found->timeout_at > now_us_) return Drop(c);
  RunState& run = *found;
  RemoveDeadline(what.run);
  if (run.cancel_requested || run.timed_out) return;
  run.timed_out = true;
  SignalRun(what.run, SIGTERM);
}

void Engine::ApplyWhat(const Change& c, const change::BackoffOver& what) {
  const uint64_t key = kBackoffKey | Ref(what.job, what.instance);
  auto at = deadline_at_.find(key);
  if (at == deadline_at_.end() || at->second > now_us_) return Drop(c);
  JobState& job = *jobs_[what.job];   // a job with a deadline is unfinished, so not retired
  if (job.stopping) {
    Skip(what.job, what.instance, job.cancelled ? "job cancelled" : "not retried: the job is stopping");
  } else {
    MakeReady(what.job, what.instance);   // leaves kBackoff: its deadline goes
  }
}

namespace {

int64_t RetentionMicros(const sched::SchedConfig& config) {
  return std::chrono::duration_cast<std::chrono::microseconds>(config.retention).count();
}

// A finish-order entry that still stands: the job is there, finished, at that time.
bool Retirable(const std::vector<std::unique_ptr<JobState>>& jobs, const std::pair<JobId, int64_t>& entry) {
  const JobState* job = jobs[entry.first].get();
  return job != nullptr && job->finished && job->finished_us == entry.second;
}

}  // namespace

void Engine::ApplyWhat(const Change& c, const change::JobsRetired& what) {
  const int64_t retention = RetentionMicros(sched_config_);
  size_t retired = 0;
  for (JobId id : what.jobs) {
    const JobState* job = find_job(id);
    if (job == nullptr || !job->finished || job->finished_us + retention > now_us_) continue;
    Retire(id);
    ++retired;
  }
  while (!finished_order_.empty() && !Retirable(jobs_, finished_order_.front())) finished_order_.pop_front();
  if (retired == 0) Drop(c);
}

void Engine::Retire(JobId id) {
  const JobState& job = *jobs_[id];
  if (retire_observer_) retire_observer_(job);
  for (const InstanceState& inst : job.instances) {
    --pools_[job.tasks[inst.task].pool].view.by_status[static_cast<int>(inst.status)];
  }
  if (options_.placement) {   // the job's own pools: their slots go to later jobs
    for (const TaskState& task : job.tasks) {
      auto it = pool_index_.find(std::to_string(id) + '/' + task.spec->pool);
      if (it == pool_index_.end()) continue;   // a second task of the same pool
      pools_[it->second] = PoolState{};
      free_pools_.push_back(it->second);
      pool_index_.erase(it);
    }
  }
  for (auto it = signal_waiters_.begin(); it != signal_waiters_.end();) {
    std::erase_if(it->second, [id](const std::pair<JobId, uint32_t>& w) { return w.first == id; });
    it = it->second.empty() ? signal_waiters_.erase(it) : std::next(it);
  }
  ForgetJobWaiters(id);
  jobs_[id].reset();
}

void Engine::AddDeadline(uint64_t key, int64_t at) {
  RemoveDeadline(key);
  deadlines_.emplace(at, key);
  deadline_at_[key] = at;
}

void Engine::RemoveDeadline(uint64_t key) {
  auto it = deadline_at_.find(key);
  if (it == deadline_at_.end()) return;
  deadlines_.erase({it->second, key});
  deadline_at_.erase(it);
}

void Engine::SignalRun(RunId run, int signo) {
  if (replaying_) return;   // EndReplay signals what is still due
  launcher_.Signal(run, signo);
  if (signo == SIGTERM) kills_.emplace(now_us_ + Micros(options_.kill_grace), run);
}

std::vector<Change> Engine::DueChanges(int64_t now_us, TimePoint now) const {
  std::vector<Change> due;
  // Several servers: each fires the timers of the pools it holds, and the farm's holder the rest.
  auto owns_pool_of = [&](JobId id, uint32_t instance) {
    if (!owned_) return true;
    const JobState* job = find_job(id);
    if (job == nullptr) return Owns(change::kFarmLease);
    return Owns(farm_pools_[pools_[job->tasks[job->instances[instance].task].pool].farm_pool]);
  };
  for (const auto& [at, key] : deadlines_) {
    if (at > now_us) break;
    if (key & kBackoffKey) {
      const uint64_t ref = key & ~kBackoffKey;
      if (!owns_pool_of(static_cast<JobId>(ref >> 32), static_cast<uint32_t>(ref))) continue;
      due.push_back({now_us, change::BackoffOver{static_cast<JobId>(ref >> 32), static_cast<uint32_t>(ref)}});
    } else {
      const RunState* run = FindRun(key);
      if (run != nullptr && !owns_pool_of(run->job, run->instance)) continue;
      due.push_back({now_us, change::TimeoutDue{key}});
    }
  }
  if (Owns(change::kSchedulesLease)) {
    DueSchedules(now_us, due);
    for (const auto& [at, name] : expectation_due_) {
      if (at > now_us) break;
      due.push_back({now_us, change::ExpectationDue{name, at}});
    }
  }
  if (options_.placement && Owns(change::kFarmLease)) {
    change::JobsRetired retired;
    const int64_t retention = RetentionMicros(sched_config_);
    for (const auto& entry : finished_order_) {
      if (entry.second + retention > now_us || retired.jobs.size() >= 1000) break;
      if (Retirable(jobs_, entry)) retired.jobs.push_back(entry.first);
    }
    if (!retired.jobs.empty()) due.push_back({now_us, std::move(retired)});
    for (const HostState& host : hosts_) {
      if (!host.alive || !host.seen || now - host.last_seen < options_.heartbeat_timeout) continue;
      due.push_back({now_us, change::HostLost{host.info.name,
                                              "host " + host.info.name + " missed its heartbeats for " +
                                                  FormatDuration(options_.heartbeat_timeout)}});
    }
  }
  return due;
}

void Engine::FireEffects(int64_t now_us) {
  while (!kills_.empty() && kills_.top().first <= now_us) {
    const RunId run = kills_.top().second;
    kills_.pop();
    if (FindRun(run) != nullptr) launcher_.Signal(run, SIGKILL);
  }
}

void Engine::EndReplay(TimePoint now) {
  replaying_ = false;
  for (HostState& host : hosts_) {   // a full timeout to come back
    host.last_seen = now;
    host.seen = true;
  }
  for (const auto& [r, run] : runs_) {
    if (run.host != kNoHost || !options_.placement) Launch(r);
    if (run.cancel_requested || run.timed_out || run.preempted) SignalRun(r, SIGTERM);
  }
  cycle_needed_ = true;
}

// --- Shorthands -------------------------------------------------------------------------------

JobId Engine::Submit(JobSpec spec, const SubmitOptions& options) {
  change::JobSubmitted what;
  what.spec = std::make_shared<const JobSpec>(std::move(spec));
  what.log_dir = options.log_dir;
  what.teardown = options.teardown;
  Apply(Stamped(std::move(what)));
  return static_cast<JobId>(jobs_.size() - 1);
}

void Engine::PostSignal(std::string_view key) { Apply(Stamped(change::SignalPosted{std::string(key)})); }

void Engine::OnRunExit(const RunExit& exit) {
  change::RunEnded what;
  what.exit = exit;
  if (const RunState* run = FindRun(exit.run)) {
    what.epoch = run->epoch;
    if (run->host != kNoHost) what.host = hosts_[run->host].info.name;
  }
  Apply(Stamped(std::move(what)));
}

void Engine::CancelAll(std::string_view reason) {
  Apply(Stamped(change::CancelRequested{change::kAllJobs, std::string(reason)}));
}

void Engine::Cancel(JobId id, std::string_view reason) {
  Apply(Stamped(change::CancelRequested{id, std::string(reason)}));
}

bool Engine::Retry(JobId id) {
  // Read without operator[]: a shorthand must not add an entry to state (snapshots encode it).
  auto dropped = [this] {
    auto it = dropped_.find("job_retried");
    return it == dropped_.end() ? uint64_t{0} : it->second;
  };
  const uint64_t before = dropped();
  Apply(Stamped(change::JobRetried{id}));
  return dropped() == before;
}

uint32_t Engine::UpsertHost(HostInfo info) {
  const std::string name = info.name;
  Apply(Stamped(change::HostRegistered{std::move(info)}));
  TouchHost(name);
  return static_cast<uint32_t>(HostIndex(name));
}

void Engine::LoseHost(std::string_view name, std::string_view reason) {
  Apply(Stamped(change::HostLost{std::string(name), std::string(reason)}));
}

void Engine::FireTimers() {
  for (const Change& change : DueChanges(clock_.UnixMicros(), clock_.Now())) Apply(change);
  FireEffects(clock_.UnixMicros());
}

std::optional<TimePoint> Engine::NextDeadline() const {
  std::optional<TimePoint> next = HostDeadline();
  std::optional<int64_t> at_us;
  if (!deadlines_.empty()) at_us = deadlines_.begin()->first;
  if (!kills_.empty() && (!at_us || kills_.top().first < *at_us)) at_us = kills_.top().first;
  if (Owns(change::kSchedulesLease)) {
    auto earlier = [&at_us](int64_t us) {
      if (!at_us || us < *at_us) at_us = us;
    };
    if (!schedule_due_.empty()) earlier(schedule_due_.begin()->first * 1000000);
    if (!expectation_due_.empty()) earlier(expectation_due_.begin()->first);
  }
  if (at_us) {
    const TimePoint at = clock_.Now() + std::chrono::microseconds(*at_us - clock_.UnixMicros());
    if (!next || at < *next) next = at;
  }
  return next;
}

// --- Retry of a finished job (OpenCue's "retry dead frames") -----------------------------------

bool Engine::RetryJob(JobId id) {
  if (!options_.placement || find_job(id) == nullptr) return false;
  const JobState& old = *jobs_[id];
  if (!old.finished || old.Succeeded()) return false;
  std::vector<uint32_t> succeeded;
  for (uint32_t i = 0; i < old.instances.size(); ++i) {
    const InstanceState& inst = old.instances[i];
    if (inst.status == InstanceStatus::kSucceeded) succeeded.push_back(i);
    --pools_[old.tasks[inst.task].pool].view.by_status[static_cast<int>(inst.status)];
  }
  for (const TaskState& task : old.tasks) pools_[task.pool].ready.clear();   // the job's own pools
  for (auto it = signal_waiters_.begin(); it != signal_waiters_.end();) {
    auto& waiters = it->second;
    std::erase_if(waiters, [id](const std::pair<JobId, uint32_t>& w) { return w.first == id; });
    it = waiters.empty() ? signal_waiters_.erase(it) : std::next(it);
  }
  ForgetJobWaiters(id);
  SubmitOptions options;
  options.log_dir = old.log_dir;
  options.schedule = old.schedule;
  JobSpec spec = old.spec;
  std::string spec_text = old.spec_text;
  const int64_t submitted_us = old.submitted_us;
  // Replay what succeeded, quietly, in an order its dependencies allow: an instance succeeded
  // only after what it required, so each pass finds at least one that is ready now.
  const bool was_quiet = quiet_;
  quiet_ = true;
  Install(id, std::move(spec), options, /*announce=*/false);
  JobState& job = *jobs_[id];
  job.spec_text = std::move(spec_text);
  job.submitted_us = submitted_us;
  while (!succeeded.empty()) {
    const size_t before = succeeded.size();
    std::erase_if(succeeded, [&](uint32_t i) {
      if (job.instances[i].status != InstanceStatus::kReady) return false;
      Finish(id, i, InstanceStatus::kSucceeded);
      Propagate();
      return true;
    });
    if (succeeded.size() == before) break;   // cannot happen; never loop forever
  }
  quiet_ = was_quiet;
  Dispatch();
  return true;
}

}  // namespace rota
