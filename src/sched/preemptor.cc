#include "sched/preemptor.h"

#include <algorithm>

#include "sched/host_match.h"

namespace rota::sched {
namespace {

// Preemptible, with a queue, pool and host that exist, and neither queue nor pool excluded.
bool MayEverBePreempted(const Snapshot& snapshot, const RunningView& run) {
  return run.preemptible && run.host < snapshot.hosts.size() &&
         run.queue < snapshot.queues.size() && run.pool < snapshot.pools.size() &&
         !snapshot.queues[run.queue].excluded && !snapshot.pools[run.pool].excluded;
}

Usage Plus(Usage a, const Amount& b) {
  a.cores += b.cores;
  a.memory += static_cast<double>(b.memory);
  a.gpus += b.gpus;
  return a;
}

Usage Negated(const Usage& u) { return Usage{-u.cores, -u.memory, -u.gpus}; }

// Per resource, as much of `need` as `room` has (none of a negative need).
Amount Overlap(const Amount& need, const Amount& room) {
  return Amount{std::max(0.0, std::min(need.cores, room.cores)),
                std::max(int64_t{0}, std::min(need.memory, room.memory)),
                std::max(0, std::min(need.gpus, room.gpus))};
}

}  // namespace

Preemptor::Preemptor(const Snapshot& snapshot, const Ledger& ledger)
    : snapshot_(snapshot),
      ledger_(ledger),
      mode_(snapshot.preemption),
      budget_(snapshot.max_preemptions),
      run_cell_(snapshot.running.size(), 0),
      preempted_(snapshot.running.size(), 0),
      unclaimed_(mode_ == Preemption::kOff ? 0 : snapshot.hosts.size()),
      listed_(unclaimed_.size(), 0) {
  struct Key {
    uint32_t host;
    uint64_t newest;  // ~started: ascending is newest first
    uint64_t run_id;
    uint32_t run;
    auto operator<=>(const Key&) const = default;
  };
  std::vector<Key> keys;
  if (mode_ != Preemption::kOff) {
    for (uint32_t r = 0; r < snapshot.running.size(); ++r) {
      const RunningView& run = snapshot.running[r];
      if (!MayEverBePreempted(snapshot, run)) continue;
      keys.push_back(Key{run.host, ~run.started, run.run, r});
      run_cell_[r] = ledger.CellOf(run.queue, run.pool);
    }
  }
  std::sort(keys.begin(), keys.end());
  first_run_.assign(snapshot.hosts.size() + 1, 0);
  for (const Key& k : keys) {
    ++first_run_[k.host + 1];
    runs_by_host_.push_back(k.run);
  }
  for (size_t h = 0; h < snapshot.hosts.size(); ++h) first_run_[h + 1] += first_run_[h];
}

std::optional<Preemptor::Choice> Preemptor::Find(const PendingGroup& group, uint32_t cell,
                                                 std::span<const uint32_t> hosts,
                                                 const HostIndex& index) const {
  Claimant claimant{group, cell, 0, false};
  if (mode_ == Preemption::kFairShare) {
    claimant.share_after = ledger_.ShareWith(group.queue, ToUsage(group.need));
    claimant.below_size = ledger_.Holding(cell) < ledger_.Size(cell);
  }
  if (std::optional<Choice> room = UnclaimedRoom(group.need, hosts, index)) return room;
  std::optional<Choice> best;
  Choice trial;
  std::vector<Removed> removed;
  for (uint32_t h : hosts) {
    if (!Covers(snapshot_.hosts[h].total, group.need)) continue;
    // A host must beat the best so far: ties go to the lower index, seen first.
    size_t most = best ? best->runs.size() - 1 : budget_;
    Amount free = index.Free(h);
    GiveBack(free, unclaimed_[h]);
    trial.runs.clear();
    removed.clear();
    for (uint32_t i = first_run_[h]; i < first_run_[h + 1] && trial.runs.size() < most; ++i) {
      uint32_t r = runs_by_host_[i];
      if (preempted_[r] != 0 || !RanksBelow(claimant, r, removed)) continue;
      const RunningView& run = snapshot_.running[r];
      trial.runs.push_back(r);
      GiveBack(free, run.need);
      auto it = std::find_if(removed.begin(), removed.end(),
                             [&](const Removed& x) { return x.queue == run.queue; });
      if (it == removed.end()) it = removed.insert(removed.end(), Removed{run.queue, {}, 0});
      it->all = Plus(it->all, run.need);
      if (run.pool == group.pool) it->cores_in_pool += run.need.cores;
      if (Covers(free, group.need)) {
        trial.host = h;
        best = trial;
        break;
      }
    }
    if (best && best->runs.size() == 1) break;  // nobody can beat one victim
  }
  return best;
}

// Room that earlier preemptions freed and nobody claimed needs no new victims: the lowest such
// host of `hosts` (ascending) where it is enough.
std::optional<Preemptor::Choice> Preemptor::UnclaimedRoom(const Amount& need,
                                                          std::span<const uint32_t> hosts,
                                                          const HostIndex& index) const {
  std::optional<Choice> lowest;
  for (uint32_t h : hosts_with_unclaimed_) {
    if (lowest && lowest->host < h) continue;
    if (!std::binary_search(hosts.begin(), hosts.end(), h)) continue;
    Amount room = index.Free(h);
    GiveBack(room, unclaimed_[h]);
    if (Covers(room, need)) lowest = Choice{h, {}};
  }
  return lowest;
}

Amount Preemptor::Commit(const Choice& choice, const Amount& need) {
  Amount& unclaimed = unclaimed_[choice.host];
  if (!choice.runs.empty() && listed_[choice.host] == 0) {
    listed_[choice.host] = 1;
    hosts_with_unclaimed_.push_back(choice.host);
  }
  for (uint32_t r : choice.runs) {
    preempted_[r] = 1;
    GiveBack(unclaimed, snapshot_.running[r].need);
  }
  budget_ -= std::min(budget_, choice.runs.size());
  Amount from_unclaimed = Overlap(need, unclaimed);
  TakeFrom(unclaimed, from_unclaimed);
  return Amount{need.cores - from_unclaimed.cores, need.memory - from_unclaimed.memory,
                need.gpus - from_unclaimed.gpus};
}

bool Preemptor::RanksBelow(const Claimant& claimant, uint32_t run,
                           const std::vector<Removed>& removed) const {
  if (mode_ == Preemption::kPriority) {
    return snapshot_.running[run].priority < claimant.group.priority;
  }
  return FairShareRanksBelow(claimant, run, removed);
}

// "After the move": the preempting queue with the instance added, the victim's queue without this
// run and the runs already chosen on this host. A queue never preempts itself for fairness.
bool Preemptor::FairShareRanksBelow(const Claimant& claimant, uint32_t run,
                                    const std::vector<Removed>& removed) const {
  const RunningView& victim = snapshot_.running[run];
  uint32_t p = claimant.group.queue;
  uint32_t v = victim.queue;
  if (p == v) return false;
  Removed before{v, {}, 0};
  for (const Removed& x : removed) {
    if (x.queue == v) before = x;
  }
  double v_share = ledger_.ShareWith(v, Negated(Plus(before.all, victim.need)));
  if (claimant.share_after * snapshot_.queues[v].weight < v_share * snapshot_.queues[p].weight) {
    return true;
  }
  // OpenCue's subscriptions: a queue under its size takes from one over its own size.
  uint32_t v_cell = run_cell_[run];
  return claimant.below_size && victim.pool == claimant.group.pool &&
         ledger_.Holding(v_cell) - before.cores_in_pool > ledger_.Size(v_cell);
}

}  // namespace rota::sched
