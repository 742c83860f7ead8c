// The Engine in server mode: hosts, one scheduling cycle (snapshot -> src/sched -> placements),
// fencing tokens, and hosts that stop answering.
#include <algorithm>
#include <cmath>
#include <csignal>

#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

namespace {

constexpr const char* kOutcomeNames[] = {"running", "succeeded", "failed",
                                         "timed_out", "lost",      "cancelled"};

// How many ready instances of one pool a cycle looks at, for hosts with `free_cores` in all: enough
// to fill every free core twice over, so instances that do not fit leave room for others.
size_t CandidateWindow(double free_cores) {
  return 64 + static_cast<size_t>(std::max(0.0, free_cores)) * 2;
}

}  // namespace

const char* RunOutcomeName(RunOutcome outcome) { return kOutcomeNames[static_cast<int>(outcome)]; }

bool ParseRunOutcome(std::string_view name, RunOutcome& outcome) {
  for (int i = 0; i < 6; ++i) {
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

uint32_t Engine::UpsertHost(HostInfo info) {
  int h = HostIndex(info.name);
  if (h < 0) {
    h = static_cast<int>(hosts_.size());
    hosts_.emplace_back();
  }
  HostState& host = hosts_[h];
  host.info = std::move(info);
  host.alive = true;
  host.last_seen = clock_.Now();
  cycle_needed_ = true;   // new capacity
  return h;
}

bool Engine::TouchHost(std::string_view name) {
  const int h = HostIndex(name);
  if (h < 0) return false;
  hosts_[h].last_seen = clock_.Now();
  return true;
}

void Engine::LoseHost(std::string_view name, std::string_view reason) {
  const int h = HostIndex(name);
  if (h < 0) return;
  hosts_[h].alive = false;
  for (RunId r = 1; r <= runs_.size(); ++r) {
    const RunState& run = runs_[r - 1];
    if (!run.active || run.host != static_cast<uint32_t>(h)) continue;
    RunExit exit;
    exit.run = r;
    exit.lost = true;
    exit.exit_code = -1;
    exit.error = std::string(reason);
    HandleExit(exit);
  }
  Propagate();
  Dispatch();
}

void Engine::CheckHosts(TimePoint now) {
  for (const HostState& host : hosts_) {
    if (!host.alive || now - host.last_seen < options_.heartbeat_timeout) continue;
    LoseHost(host.info.name, "host " + host.info.name + " missed its heartbeats for " +
                                 FormatDuration(options_.heartbeat_timeout));
  }
}

std::optional<TimePoint> Engine::HostDeadline() const {
  std::optional<TimePoint> next;
  for (const HostState& host : hosts_) {
    if (!host.alive) continue;
    const TimePoint at = host.last_seen + options_.heartbeat_timeout;
    if (!next || at < *next) next = at;
  }
  return next;
}

void Engine::ReleaseHost(RunState& run, const TaskSpec& task) {
  if (run.host == kNoHost) return;
  HostState& h = hosts_[run.host];
  h.used.cores -= task.resources.cores;
  h.used.memory -= task.resources.memory_bytes;
  h.used.gpus -= task.resources.gpus;
  --h.running;
  cycle_needed_ = true;   // freed capacity
}

sched::Snapshot Engine::HostSnapshot() const {
  sched::Snapshot snap;
  snap.hosts.reserve(hosts_.size());
  for (const HostState& h : hosts_) {
    sched::HostView v;
    v.name = h.info.name;
    v.total = h.info.total;
    v.free = {h.info.total.cores - h.used.cores, h.info.total.memory - h.used.memory,
              h.info.total.gpus - h.used.gpus};
    v.tags = h.info.tags;
    v.pools = h.info.pools;
    v.alive = h.alive;
    snap.hosts.push_back(std::move(v));
  }
  return snap;
}

void Engine::RunCycle() {
  if (!options_.placement || !cycle_needed_ || restoring_) return;
  cycle_needed_ = false;
  sched::Snapshot snap = HostSnapshot();
  double free_cores = 0;
  for (const sched::HostView& h : snap.hosts) {
    if (h.alive) free_cores += std::max(0.0, h.free.cores);
  }
  const size_t window = CandidateWindow(free_cores);
  // Candidates: from each pool with ready work, the oldest ready instances within its job's
  // max_workers. Stale entries (no longer ready) are dropped from the front of the queue.
  for (PoolState& pool : pools_) {
    while (!pool.ready.empty()) {
      const uint64_t ref = pool.ready.front();
      if (jobs_[ref >> 32]->instances[static_cast<uint32_t>(ref)].status == InstanceStatus::kReady)
        break;
      pool.ready.pop_front();
    }
    if (pool.ready.empty()) continue;
    size_t room = static_cast<size_t>(std::max(0, pool.view.max_workers - int(pool.running)));
    room = std::min(room, window);
    for (uint64_t ref : pool.ready) {
      if (room == 0) break;
      const JobState& job = *jobs_[ref >> 32];
      const InstanceState& inst = job.instances[static_cast<uint32_t>(ref)];
      if (inst.status != InstanceStatus::kReady) continue;
      const TaskSpec& spec = *job.tasks[inst.task].spec;
      sched::PendingView p;
      p.ref = ref;
      p.pool = spec.pool;
      p.priority = job.spec.priority;
      p.order = ref;
      p.need = {spec.resources.cores, spec.resources.memory_bytes, spec.resources.gpus};
      p.tags = spec.resources.tags.empty() ? nullptr : &spec.resources.tags;
      snap.pending.push_back(p);
      --room;
    }
  }
  dirty_pools_.clear();
  if (snap.pending.empty()) return;
  for (const sched::Placement& place : sched::Schedule(snap)) {
    const JobId id = place.ref >> 32;
    const uint32_t i = static_cast<uint32_t>(place.ref);
    if (jobs_[id]->instances[i].status != InstanceStatus::kReady) continue;  // reconcile
    Start(id, i, place.host);
  }
  Propagate();
}

std::vector<std::pair<RunId, uint64_t>> Engine::UnwantedRuns(
    std::string_view host, const std::vector<std::pair<RunId, uint64_t>>& reported) const {
  std::vector<std::pair<RunId, uint64_t>> unwanted;
  for (const auto& [run, epoch] : reported) {
    if (!CheckToken(run, epoch, host).empty()) unwanted.emplace_back(run, epoch);
  }
  return unwanted;
}

std::string Engine::CheckToken(RunId run, uint64_t epoch, std::string_view host) const {
  if (run == 0 || run > runs_.size()) return "run " + std::to_string(run) + " is unknown";
  const RunState& r = runs_[run - 1];
  if (!r.active) return "run " + std::to_string(run) + " has ended";
  if (r.epoch != epoch) {
    return "run " + std::to_string(run) + " belongs to epoch " + std::to_string(r.epoch) +
           ", not " + std::to_string(epoch);
  }
  if (r.host == kNoHost || hosts_[r.host].info.name != host) {
    return "run " + std::to_string(run) + " was not given to " + std::string(host);
  }
  return "";
}

std::vector<std::pair<RunId, uint64_t>> Engine::ActiveRuns(std::string_view host) const {
  std::vector<std::pair<RunId, uint64_t>> out;
  const int h = HostIndex(host);
  if (h < 0 || hosts_[h].running == 0) return out;
  for (RunId r = 1; r <= runs_.size(); ++r) {
    const RunState& run = runs_[r - 1];
    if (run.active && run.host == static_cast<uint32_t>(h)) out.emplace_back(r, run.epoch);
  }
  return out;
}

void Engine::Relaunch(RunId run) {
  if (run == 0 || run > runs_.size() || !runs_[run - 1].active) return;
  Launch(run);
}

RunView Engine::Run(RunId run) const {
  RunView v;
  if (run == 0 || run > runs_.size()) return v;
  const RunState& r = runs_[run - 1];
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
  return v;
}

}  // namespace rota
