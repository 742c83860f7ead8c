// The Engine in server mode: hosts and what runs on them, fencing tokens, and hosts that stop
// answering. The scheduling cycle itself is in engine_cycle.cc.
#include <algorithm>

#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

namespace {

constexpr const char* kOutcomeNames[] = {"running", "succeeded", "failed",   "timed_out",
                                         "lost",    "cancelled", "preempted"};

}  // namespace

const char* RunOutcomeName(RunOutcome outcome) { return kOutcomeNames[static_cast<int>(outcome)]; }

bool ParseRunOutcome(std::string_view name, RunOutcome& outcome) {
  for (int i = 0; i < 7; ++i) {
    if (name == kOutcomeNames[i]) {
      outcome = static_cast<RunOutcome>(i);
      return true;
    }
  }
  return false;
}

int Engine::HostIndex(std::string_view name) const {
  for (size_t h = 0; h < hosts_.size(); ++h) {
    if (hosts_[h].info.name == name) return static_cast<int>(h);
  }
  return -1;
}

void Engine::ApplyWhat(const Change& c, const change::HostRegistered& what) {
  (void)c;
  int h = HostIndex(what.info.name);
  if (h < 0) {
    h = static_cast<int>(hosts_.size());
    hosts_.emplace_back();
  }
  HostState& host = hosts_[h];
  host.info = what.info;
  host.alive = true;
  cycle_needed_ = true;   // new capacity
}

bool Engine::TouchHost(std::string_view name, TimePoint now) {
  const int h = HostIndex(name);
  if (h < 0) return false;
  hosts_[h].last_seen = now;
  hosts_[h].seen = true;
  return true;
}

void Engine::ApplyWhat(const Change& c, const change::HostLost& what) {
  const int h = HostIndex(what.name);
  if (h < 0 || !hosts_[h].alive) return Drop(c);
  Lose(static_cast<uint32_t>(h), what.reason);
}

void Engine::Lose(uint32_t h, std::string_view reason) {
  hosts_[h].alive = false;
  std::vector<RunId> lost;
  for (const auto& [r, run] : runs_) {
    if (run.host == h) lost.push_back(r);
  }
  for (RunId r : lost) {
    RunExit exit;
    exit.run = r;
    exit.lost = true;
    exit.exit_code = -1;
    exit.error = std::string(reason);
    HandleExit(exit);
  }
}

std::optional<TimePoint> Engine::HostDeadline() const {
  std::optional<TimePoint> next;
  for (const HostState& host : hosts_) {
    if (!host.alive || !host.seen) continue;
    const TimePoint at = host.last_seen + options_.heartbeat_timeout;
    if (!next || at < *next) next = at;
  }
  return next;
}

void Engine::OccupyHost(RunId r) {
  const RunState& run = runs_.at(r);
  const JobState& job = *jobs_[run.job];
  const TaskState& task = job.tasks[job.instances[run.instance].task];
  const Resources& need = task.spec->resources;
  HostState& h = hosts_[run.host];
  h.used.cores += need.cores;
  h.used.memory += need.memory_bytes;
  h.used.gpus += need.gpus;
  ++h.running;
  sched::Amount& held = Held(job, task);
  held.cores += need.cores;
  held.memory += need.memory_bytes;
  held.gpus += need.gpus;
}

void Engine::ReleaseHost(const RunState& run, const TaskSpec& spec) {
  if (run.host == kNoHost) return;
  const Resources& need = spec.resources;
  HostState& h = hosts_[run.host];
  h.used.cores -= need.cores;
  h.used.memory -= need.memory_bytes;
  h.used.gpus -= need.gpus;
  --h.running;
  const JobState& job = *jobs_[run.job];
  sched::Amount& held = Held(job, job.tasks[job.instances[run.instance].task]);
  held.cores -= need.cores;
  held.memory -= need.memory_bytes;
  held.gpus -= need.gpus;
  cycle_needed_ = true;   // freed capacity
}

std::vector<RunToken> Engine::UnwantedRuns(std::string_view host,
                                           std::span<const RunToken> reported) const {
  std::vector<RunToken> unwanted;
  for (const RunToken& token : reported) {
    if (!CheckToken(token.run, token.epoch, host).empty()) unwanted.push_back(token);
  }
  return unwanted;
}

std::string Engine::CheckToken(RunId run, uint64_t epoch, std::string_view host) const {
  if (run == 0 || run > last_run_) return "run " + std::to_string(run) + " is unknown";
  const RunState* found = FindRun(run);
  if (found == nullptr || !found->active) return "run " + std::to_string(run) + " has ended";
  const RunState& r = *found;
  if (r.epoch != epoch) {
    return "run " + std::to_string(run) + " belongs to epoch " + std::to_string(r.epoch) +
           ", not " + std::to_string(epoch);
  }
  if (r.host == kNoHost || hosts_[r.host].info.name != host) {
    return "run " + std::to_string(run) + " was not given to " + std::string(host);
  }
  return "";
}

std::vector<RunToken> Engine::ActiveRuns(std::string_view host) const {
  std::vector<RunToken> out;
  const int h = HostIndex(host);
  if (h < 0 || hosts_[h].running == 0) return out;
  for (const auto& [r, run] : runs_) {
    if (run.host == static_cast<uint32_t>(h)) out.push_back({r, run.epoch});
  }
  return out;
}

void Engine::Relaunch(RunId run) {
  if (FindRun(run) == nullptr) return;
  Launch(run);
}

RunView Engine::Run(RunId run) const {
  RunView v;
  const RunState* found = FindRun(run);
  if (found == nullptr) return v;   // unknown, or ended
  const RunState& r = *found;
  const JobState& job = *jobs_[r.job];
  const InstanceState& inst = job.instances[r.instance];
  v.job_id = JobIdOf(job);
  v.instance = r.instance;
  v.task = job.tasks[inst.task].spec->name;
  v.index = static_cast<int>(inst.index);
  v.attempt = inst.run == run ? inst.attempts : 0;
  v.host = r.host == kNoHost ? std::string_view() : std::string_view(hosts_[r.host].info.name);
  v.epoch = r.epoch;
  v.active = r.active;
  v.pool = farm_pools_[pools_[job.tasks[inst.task].pool].farm_pool];
  if (auto lease = leases_.find(std::string(v.pool)); lease != leases_.end()) v.lease_epoch = lease->second.epoch;
  return v;
}

}  // namespace rota
