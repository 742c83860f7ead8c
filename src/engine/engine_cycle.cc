// The scheduling cycle in server mode (DESIGN section 7): the engine takes a snapshot, src/sched
// decides (inline in sync mode, on the runner's thread in async mode), and the engine reconciles
// the decisions with what changed meanwhile before it applies them. Also the bookkeeping the
// snapshot needs: queues, farm pools, what each queue holds, decayed usage, active runs.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <map>
#include <unordered_set>

#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "sched/host_match.h"

namespace rota {

using namespace engine_internal;

namespace {

sched::Amount NeedOf(const TaskSpec& spec) {
  return {spec.resources.cores, spec.resources.memory_bytes, spec.resources.gpus};
}

sched::Amount FreeOf(const HostState& h) {
  return {h.info.total.cores - h.used.cores, h.info.total.memory - h.used.memory,
          h.info.total.gpus - h.used.gpus};
}

// How many instances needing `need` could fit into `room` in all, at most (none are placed
// across hosts, so this is only a bound). SIZE_MAX when they need nothing.
size_t FitCount(const sched::Amount& need, const sched::Amount& room) {
  size_t fit = SIZE_MAX;
  auto limit = [&fit](double have, double each) {
    if (each <= 0) return;
    const double n = std::floor(std::max(0.0, have) / each + 1e-9);
    fit = std::min(fit, n >= double(SIZE_MAX) ? SIZE_MAX : static_cast<size_t>(n));
  };
  limit(room.cores, need.cores);
  limit(static_cast<double>(room.memory), static_cast<double>(need.memory));
  limit(room.gpus, need.gpus);
  return fit;
}

}  // namespace

uint32_t Engine::QueueIndex(const std::string& name) {
  auto [it, added] = queue_index_.emplace(name, static_cast<uint32_t>(queues_.size()));
  if (added) {
    queues_.push_back(name);
    history_.emplace_back();
  }
  return it->second;
}

uint32_t Engine::FarmPoolIndex(const std::string& name) {
  auto [it, added] = farm_pool_index_.emplace(name, static_cast<uint32_t>(farm_pools_.size()));
  if (added) farm_pools_.push_back(name);
  return it->second;
}

sched::Amount& Engine::Held(const JobState& job, const TaskState& task) {
  return held_[(uint64_t{job.queue} << 32) | pools_[task.pool].farm_pool];
}

void Engine::SetSchedConfig(sched::SchedConfig config) {
  sched_config_ = std::move(config);
  for (const auto& [name, setting] : sched_config_.queues) QueueIndex(name);
  if (runner_) runner_->SetMode(sched_config_.async ? SchedMode::kAsync : SchedMode::kSync);
  cycle_needed_ = true;
}

void Engine::AnnounceConfig(std::string_view key, std::string_view value) {
  Event e = NextEvent(EventType::kConfigChanged);
  e.key = key;
  e.value = value;
  Publish(e);
}

void Engine::StopCycles() { runner_.reset(); }

Engine::CycleStats Engine::cycle_stats() const {
  CycleStats stats = cycle_stats_;
  stats.runner_state = runner_ ? runner_->state() : RunnerState::kIdle;
  return stats;
}

// Proposer side (it reads the clock): the history only steers the next decisions, which the log
// records as they were made.
// Each queue's usage history is the average of what it held, over a half-life: every update moves
// it toward what the queue holds now by 1 - 2^(-elapsed / half_life). Half-life 0: no history.
void Engine::UpdateHistory() {
  const TimePoint now = clock_.Now();
  const double half_life = std::chrono::duration<double>(sched_config_.half_life).count();
  const double elapsed = std::chrono::duration<double>(now - history_at_).count();
  history_at_ = now;
  if (half_life <= 0) {
    std::fill(history_.begin(), history_.end(), sched::Amount{});
    return;
  }
  const double keep = std::exp2(-std::max(0.0, elapsed) / half_life);
  std::vector<sched::Amount> holding(queues_.size());
  for (const auto& [key, amount] : held_) {
    sched::Amount& h = holding[key >> 32];
    h.cores += amount.cores;
    h.memory += amount.memory;
    h.gpus += amount.gpus;
  }
  for (size_t q = 0; q < queues_.size(); ++q) {
    sched::Amount& past = history_[q];
    past.cores = past.cores * keep + holding[q].cores * (1 - keep);
    past.memory = static_cast<int64_t>(past.memory * keep + holding[q].memory * (1 - keep));
    past.gpus = static_cast<int>(std::lround(past.gpus * keep + holding[q].gpus * (1 - keep)));
  }
}

sched::Snapshot Engine::BaseSnapshot() const {
  sched::Snapshot snap;
  const sched::SchedConfig& config = sched_config_;
  snap.policy = config.policy;
  snap.preemption = config.preemption;
  snap.hosts.reserve(hosts_.size());
  for (const HostState& h : hosts_) {
    sched::HostView v;
    v.name = h.info.name;
    v.total = h.info.total;
    v.free = FreeOf(h);
    v.tags = h.info.tags;
    v.pools = h.info.pools;
    v.alive = h.alive;
    snap.hosts.push_back(std::move(v));
  }
  snap.pools.reserve(farm_pools_.size());
  for (const std::string& name : farm_pools_) {
    snap.pools.push_back({name, config.ChoiceOf(name), config.excluded_pools.count(name) > 0});
  }
  snap.queues.reserve(queues_.size());
  for (size_t q = 0; q < queues_.size(); ++q) {
    const std::string& name = queues_[q];
    snap.queues.push_back({name, config.WeightOf(name), history_[q],
                           config.excluded_queues.count(name) > 0 || local_excluded_queues_.count(name) > 0});
  }
  snap.tag_sets.emplace_back();
  for (const auto& [key, amount] : held_) {
    if (amount.cores <= 0 && amount.memory <= 0 && amount.gpus <= 0) continue;
    snap.held.push_back({static_cast<uint32_t>(key >> 32), static_cast<uint32_t>(key), amount});
  }
  for (const auto& [queue, setting] : config.queues) {
    auto q = queue_index_.find(queue);
    if (q == queue_index_.end()) continue;
    for (const auto& [pool, limit] : setting.limits) {
      auto p = farm_pool_index_.find(pool);
      if (p == farm_pool_index_.end()) continue;
      snap.limits.push_back({q->second, p->second, limit.size, limit.burst});
    }
  }
  return snap;
}

// Pending work, one group per task with ready instances, within each job pool's max_workers. A
// gang task is offered only when every one of its instances is ready and fits the job pool.
// A group of single instances holds no more of them than could fit into the whole farm's free
// room (its whole room, when preemption may make more), so that a cycle after one run ended
// costs what can be placed, not what is pending.
sched::Snapshot Engine::CycleSnapshot() {
  UpdateHistory();
  sched::Snapshot snap = BaseSnapshot();
  sched::Amount room_in_farm;
  for (const sched::HostView& h : snap.hosts) {
    if (!h.alive) continue;
    const sched::Amount& have = snap.preemption == sched::Preemption::kOff ? h.free : h.total;
    room_in_farm.cores += have.cores;
    room_in_farm.memory += have.memory;
    room_in_farm.gpus += have.gpus;
  }
  std::map<std::vector<std::string>, uint32_t> tag_index;
  std::unordered_set<uint64_t> offered;
  std::vector<size_t> group_cap;   // per group of snap.pending
  for (PoolState& pool : pools_) {
    if (!Owns(farm_pools_[pool.farm_pool])) continue;   // another server places there
    while (!pool.ready.empty()) {   // entries no longer ready are dropped from the front
      const uint64_t ref = pool.ready.front();
      if (jobs_[ref >> 32]->instances[static_cast<uint32_t>(ref)].status == InstanceStatus::kReady)
        break;
      pool.ready.pop_front();
    }
    if (pool.ready.empty()) continue;
    size_t room = static_cast<size_t>(std::max(0, pool.view.max_workers - int(pool.running)));
    const size_t first_group = snap.pending.size();
    for (uint64_t ref : pool.ready) {
      if (room == 0) break;
      const JobId id = ref >> 32;
      const uint32_t i = static_cast<uint32_t>(ref);
      const JobState& job = *jobs_[id];
      const InstanceState& inst = job.instances[i];
      if (inst.status != InstanceStatus::kReady) continue;
      const uint64_t key = Ref(id, inst.task);
      sched::PendingGroup* group = nullptr;
      size_t cap = 0;
      for (size_t g = first_group; g < snap.pending.size(); ++g) {
        if (snap.pending[g].key == key) {
          group = &snap.pending[g];
          cap = group_cap[g];
        }
      }
      if (group == nullptr) {
        const TaskState& task = job.tasks[inst.task];
        const TaskSpec& spec = *task.spec;
        group = &snap.pending.emplace_back();
        group->key = key;
        group->queue = job.queue;
        group->pool = pool.farm_pool;
        group->priority = job.spec.priority;
        group->order = key;
        group->need = NeedOf(spec);
        group->gang = IsGang(task);
        if (!spec.resources.tags.empty()) {
          auto [it, added] = tag_index.emplace(spec.resources.tags,
                                               static_cast<uint32_t>(snap.tag_sets.size()));
          if (added) snap.tag_sets.push_back(spec.resources.tags);
          group->tags = it->second;
        }
        cap = group->gang ? SIZE_MAX : FitCount(group->need, room_in_farm);
        group_cap.push_back(cap);
      }
      // A line may hold an instance twice (ready, placed, back in backoff, ready again before the
      // stale entry reached the front): offer it once.
      if (group->instances.size() >= cap || !offered.insert(ref).second) continue;
      group->instances.push_back(i);
      --room;
    }
    // Out: groups that nothing of could fit, and gangs not ready whole.
    for (size_t g = snap.pending.size(); g-- > first_group;) {
      const sched::PendingGroup& group = snap.pending[g];
      const TaskState& task = jobs_[group.key >> 32]->tasks[static_cast<uint32_t>(group.key)];
      if (group.instances.empty() || (group.gang && group.instances.size() < task.instance_count)) {
        snap.pending.erase(snap.pending.begin() + static_cast<ptrdiff_t>(g));
        group_cap.erase(group_cap.begin() + static_cast<ptrdiff_t>(g));
      }
    }
  }
  dirty_pools_.clear();
  if (snap.preemption != sched::Preemption::kOff) {
    snap.running.reserve(runs_.size());
    for (const auto& [r, run] : runs_) {
      if (run.cancel_requested || run.preempted || run.host == kNoHost) continue;
      const JobState& job = *jobs_[run.job];
      const TaskState& task = job.tasks[job.instances[run.instance].task];
      if (!Owns(farm_pools_[pools_[task.pool].farm_pool])) continue;   // not ours to preempt
      sched::RunningView v;
      v.run = r;
      v.queue = job.queue;
      v.pool = pools_[task.pool].farm_pool;
      v.host = run.host;
      v.priority = job.spec.priority;
      v.started = r;
      v.need = NeedOf(*task.spec);
      v.preemptible = !IsGang(task);
      snap.running.push_back(v);
    }
  }
  return snap;
}

std::optional<change::Placements> Engine::ProposePlacements() {
  if (!options_.placement) return std::nullopt;
  if (!runner_) {
    auto algorithm = options_.algorithm;
    if (!algorithm) {
      algorithm = [](const sched::Snapshot& snap, const std::atomic<bool>& cancelled) {
        return sched::Schedule(snap, &cancelled);
      };
    }
    runner_ = std::make_unique<SchedRunner<sched::Snapshot, sched::Decisions>>(
        std::move(algorithm),
        [this] {
          if (cycle_wake_) cycle_wake_();
        },
        sched_config_.async ? SchedMode::kAsync : SchedMode::kSync);
  }
  std::optional<change::Placements> slice;
  if (!result_) {
    if (std::optional<sched::Decisions> taken = runner_->TakeResult()) {
      sched_durations_.push_back(
          std::chrono::duration<double>(runner_->stats().last_run_duration).count());
      ++cycle_stats_.cycles;
      result_ = std::move(*taken);
      result_next_ = 0;
    }
  }
  if (result_) {
    // Async: a big result is applied a slice per loop batch, so that cancellations, exits and
    // heartbeats queued meanwhile are handled between slices (and reconciled against).
    const bool sliced = runner_->mode() == SchedMode::kAsync;
    slice = NextSlice(sliced ? kApplySlice : result_->placements.size());
    if (slice->placements.empty() && slice->preempted.empty()) slice.reset();   // nothing to log
    if (result_next_ < result_->placements.size()) {
      if (cycle_wake_) cycle_wake_();   // the next batch takes the next slice
      return slice;
    }
    result_.reset();
  }
  if (cycle_needed_ && runner_->state() == RunnerState::kIdle) {
    cycle_needed_ = false;
    sched::Snapshot snap = CycleSnapshot();
    if (!snap.pending.empty()) runner_->Request(std::move(snap));
    // Sync: the result is ready now; take it in this call rather than the next batch's.
    if (!slice && runner_->state() == RunnerState::kResultReady && runner_->mode() == SchedMode::kSync) {
      return ProposePlacements();
    }
  }
  return slice;
}

void Engine::RunCycle() {
  // Sync: when the first round requested a snapshot, its result is ready for the second.
  for (int round = 0; round < 2; ++round) {
    if (std::optional<change::Placements> slice = ProposePlacements()) {
      Apply(Stamped(std::move(*slice)));
    } else if (round > 0 || !runner_ || runner_->state() != RunnerState::kResultReady) {
      return;
    }
  }
}

// The next `count` placements of result_ (more if that would split a gang), with the result's
// preemptions on its first slice.
change::Placements Engine::NextSlice(size_t count) {
  const std::vector<sched::Placement>& all = result_->placements;
  change::Placements slice;
  if (result_next_ == 0) slice.preempted = result_->preempted;
  if (owned_) slice.fence.assign(owned_->begin(), owned_->end());
  const size_t begin = result_next_;
  size_t end = begin + std::min(count, all.size() - begin);
  while (end < all.size() && all[end].key == all[end - 1].key && IsGangKey(all[end].key)) ++end;
  result_next_ = end;
  slice.placements.reserve(end - begin);
  for (size_t k = begin; k < end; ++k) {
    const sched::Placement& p = all[k];
    slice.placements.push_back({static_cast<JobId>(p.key >> 32), static_cast<uint32_t>(p.key),
                                p.instance, p.host});
  }
  return slice;
}

void Engine::ApplyWhat(const Change& c, const change::Placements& what) {
  (void)c;
  ApplyPreemptions(what.preempted, what.fence);
  ApplyPlacements(what.placements, what.fence);
}

// Reconciliation: a placement stands only if its instance is still ready, its job pool still has
// room, and its host is alive with room now; a gang stands only if all of its placements do.
void Engine::ApplyPlacements(const std::vector<change::Placements::Place>& all,
                             const std::vector<std::pair<std::string, uint64_t>>& fence) {
  std::vector<char> keep(all.size(), 1);
  std::unordered_map<uint64_t, bool> gang_ok;          // by group key
  std::unordered_map<uint32_t, sched::Amount> free;    // hosts, as this slice would leave them
  std::unordered_map<uint32_t, int> room;              // job pools, likewise
  for (size_t k = 0; k < all.size(); ++k) {
    const change::Placements::Place& place = all[k];
    const uint64_t key = Ref(place.job, place.task);
    bool ok = find_job(place.job) != nullptr && place.instance < jobs_[place.job]->instances.size() &&
              place.host < hosts_.size() && hosts_[place.host].alive;
    const TaskState* task = nullptr;
    if (ok) {
      const JobState& job = *jobs_[place.job];
      const InstanceState& inst = job.instances[place.instance];
      ok = inst.status == InstanceStatus::kReady && inst.task == place.task;
      task = &job.tasks[place.task];
      // Placed by a server that no longer held the pool's lease (paused, partitioned): dropped.
      if (ok && !Fenced(pools_[task->pool].farm_pool, fence)) {
        ok = false;
        ++dropped_["placement_fenced"];
      }
    }
    if (ok) {
      const sched::Amount need = NeedOf(*task->spec);
      auto f = free.try_emplace(place.host, FreeOf(hosts_[place.host])).first;
      const PoolState& pool = pools_[task->pool];
      auto r = room.try_emplace(task->pool, pool.view.max_workers - int(pool.running)).first;
      ok = sched::Covers(f->second, need) && r->second > 0;   // the rule Schedule used
      if (ok) {
        f->second.cores -= need.cores;
        f->second.memory -= need.memory;
        f->second.gpus -= need.gpus;
        --r->second;
      }
    }
    keep[k] = ok ? 1 : 0;
    if (IsGangKey(key)) {
      auto g = gang_ok.try_emplace(key, true).first;
      g->second = g->second && ok;
    }
  }
  for (size_t k = 0; k < all.size(); ++k) {
    const change::Placements::Place& place = all[k];
    auto g = gang_ok.find(Ref(place.job, place.task));
    // The status again: a result may name one instance twice (it was in its pool's line twice).
    if (keep[k] == 0 || (g != gang_ok.end() && !g->second) ||
        jobs_[place.job]->instances[place.instance].status != InstanceStatus::kReady) {
      ++cycle_stats_.decisions_dropped;
      continue;
    }
    ++cycle_stats_.decisions_applied;
    Start(place.job, place.instance, place.host);
  }
}

bool Engine::IsGangKey(uint64_t key) const {
  const JobId id = static_cast<JobId>(key >> 32);
  if (find_job(id) == nullptr) return false;
  const JobState& job = *jobs_[id];
  const uint32_t t = static_cast<uint32_t>(key);
  return t < job.tasks.size() && IsGang(job.tasks[t]);
}

void Engine::ApplyPreemptions(const std::vector<uint64_t>& runs,
                              const std::vector<std::pair<std::string, uint64_t>>& fence) {
  for (uint64_t run : runs) {
    const RunState* found = FindRun(run);
    auto pool_of = [&](const RunState& r) {
      const JobState& job = *jobs_[r.job];
      return pools_[job.tasks[job.instances[r.instance].task].pool].farm_pool;
    };
    if (found == nullptr || found->cancel_requested || found->preempted || !Fenced(pool_of(*found), fence)) {
      ++cycle_stats_.decisions_dropped;
      continue;
    }
    ++cycle_stats_.decisions_applied;
    Preempt(run);
  }
}

// SIGTERM now, SIGKILL after the grace period, as for a cancel; the exit requeues the instance.
void Engine::Preempt(RunId r) {
  runs_.at(r).preempted = true;
  ++cycle_stats_.preemptions;
  SignalRun(r, SIGTERM);
}

// A preempted instance goes back to the front of its pool's line: it had started already.
void Engine::Requeue(JobId id, uint32_t i) {
  JobState& job = *jobs_[id];
  InstanceState& inst = job.instances[i];
  const uint32_t pool = job.tasks[inst.task].pool;
  SetStatus(job, inst, InstanceStatus::kReady);
  pools_[pool].ready.push_front(Ref(id, i));
  dirty_pools_.push_back(pool);
}

}  // namespace rota
