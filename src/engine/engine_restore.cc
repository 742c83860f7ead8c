// Rebuilding a server-mode Engine after a restart (kill -9 included): every stored job is
// submitted again, then every stored run is replayed through the same transitions it went through
// the first time, with events and launches turned off. What was published before the restart is
// in the store already; only what happens from now on is new.
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

void Engine::BeginRestore() { restoring_ = true; }

void Engine::RestoreStart(JobId id, const StoredRun& stored) {
  if (id >= jobs_.size() || stored.run == 0) return;
  JobState& job = *jobs_[id];
  uint32_t i = 0;
  bool found = false;
  for (const TaskState& task : job.tasks) {
    if (task.spec->name == stored.task && stored.index >= 0 &&
        static_cast<uint32_t>(stored.index) < task.instance_count) {
      i = task.first_instance + static_cast<uint32_t>(stored.index);
      found = true;
      break;
    }
  }
  if (!found) return;
  InstanceState& inst = job.instances[i];
  // Transitions are replayed in the order they happened, so an instance's earlier attempts have
  // ended by now: it is ready, or backing off before a retry.
  if (inst.status != InstanceStatus::kReady && inst.status != InstanceStatus::kBackoff) return;
  if (runs_.size() < stored.run) runs_.resize(stored.run, RunState{0, 0, false});
  RunState& run = runs_[stored.run - 1];
  run = RunState{id, i};
  run.epoch = stored.epoch;
  int h = HostIndex(stored.host);
  if (h < 0 && !stored.host.empty()) {   // a host whose record is gone: it may still come back
    HostInfo info;
    info.name = std::string(stored.host);
    h = static_cast<int>(UpsertHost(std::move(info)));
  }
  const TaskState& task = job.tasks[inst.task];
  job.started = true;
  SetStatus(job, inst, InstanceStatus::kRunning);
  inst.attempts = static_cast<uint16_t>(stored.attempt);
  inst.run = stored.run;
  ++pools_[task.pool].running;
  ++running_;
  if (h >= 0) {
    run.host = static_cast<uint32_t>(h);
    OccupyHost(stored.run);
  }
  if (task.spec->timeout) {   // the full timeout again, from the restart
    timers_.push(Timer{clock_.Now() + *task.spec->timeout, Timer::kTimeout, stored.run});
  }
}

void Engine::RestoreEnd(const StoredRun& stored) {
  if (stored.run == 0 || stored.run > runs_.size() || !runs_[stored.run - 1].active) return;
  RunState& run = runs_[stored.run - 1];
  RunExit exit;
  exit.run = stored.run;
  exit.exit_code = stored.exit_code;
  switch (stored.outcome) {
    case RunOutcome::kTimedOut: run.timed_out = true; break;
    case RunOutcome::kCancelled: run.cancel_requested = true; break;
    case RunOutcome::kPreempted:
      run.preempted = true;
      if (exit.exit_code == 0) exit.exit_code = 1;   // so that it does not count as a success
      break;
    case RunOutcome::kLost: exit.lost = true; break;
    case RunOutcome::kFailed:
      if (exit.exit_code == 0) exit.exit_code = 1;
      break;
    default: break;
  }
  HandleExit(exit);
  Propagate();
}

void Engine::EndRestore(uint64_t last_seq) {
  restoring_ = false;
  if (last_seq > seq_) seq_ = last_seq;
  for (uint32_t p = 0; p < pools_.size(); ++p) {
    if (!pools_[p].ready.empty()) dirty_pools_.push_back(p);
  }
  for (HostState& host : hosts_) host.last_seen = clock_.Now();  // a full timeout to come back
  // Runs that were placed before the restart go to their agents again: an assignment committed
  // just before a crash may never have reached its agent, and an agent ignores a run id it has
  // already started.
  for (RunId r = 1; r <= runs_.size(); ++r) {
    if (runs_[r - 1].active && runs_[r - 1].host != kNoHost) Launch(r);
  }
  cycle_needed_ = true;
  Dispatch();
}

}  // namespace rota

namespace rota {

bool Engine::Retry(JobId id) {
  if (!options_.placement || id >= jobs_.size()) return false;
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
  SubmitOptions options;
  options.log_dir = old.log_dir;
  JobSpec spec = old.spec;
  // Replay what succeeded, quietly, in an order its dependencies allow: an instance succeeded
  // only after what it required, so each pass finds at least one that is ready now.
  const bool was_restoring = restoring_;
  restoring_ = true;
  Install(id, std::move(spec), options, /*announce=*/false);
  JobState& job = *jobs_[id];
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
  restoring_ = was_restoring;
  Dispatch();
  return true;
}

}  // namespace rota
