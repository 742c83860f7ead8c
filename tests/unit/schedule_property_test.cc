// Schedule() over thousands of seeded random snapshots: the invariants of schedule.h after every
// cycle, agreement with a naive replay of the rules, determinism, and fair-share convergence.
// Fixed seeds: a failure names its case and reproduces.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sched/fair_share.h"
#include "sched/schedule.h"

namespace rota::sched {
namespace {

constexpr int64_t kG = int64_t{1} << 30;
constexpr double kEpsilon = 1e-9;

int Int(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}
bool OneIn(std::mt19937& rng, int n) { return Int(rng, 1, n) == 1; }

// Amounts in quarters of a core and halves of a gigabyte: sums are exact, so the replay can
// compare with ==.
Amount RandomAmount(std::mt19937& rng, int max_quarters, int max_half_gigs, int max_gpus) {
  return Amount{Int(rng, 0, max_quarters) * 0.25, Int(rng, 0, max_half_gigs) * (kG / 2),
                Int(rng, 0, max_gpus)};
}

Amount Minus(const Amount& a, const Amount& b) {
  return Amount{a.cores - b.cores, a.memory - b.memory, a.gpus - b.gpus};
}
Amount Plus(const Amount& a, const Amount& b) {
  return Amount{a.cores + b.cores, a.memory + b.memory, a.gpus + b.gpus};
}
bool Covers(const Amount& have, const Amount& need) {
  return (need.cores <= 0 || have.cores + kEpsilon >= need.cores) &&
         (need.memory <= 0 || have.memory >= need.memory) &&
         (need.gpus <= 0 || have.gpus >= need.gpus);
}

const std::vector<std::vector<std::string>> kTagSets = {
    {}, {"x"}, {"y"}, {"x", "y"}, {"x", "y", "z"}};

// Runs fill their hosts from the total down (free amounts never go negative), so that instances
// often find no room and preemption has work.
void AddRuns(std::mt19937& rng, Snapshot& snap) {
  uint64_t id = 500;
  for (uint32_t h = 0; h < snap.hosts.size(); ++h) {
    HostView& host = snap.hosts[h];
    host.free = host.total;
    for (int r = Int(rng, 0, 6); r > 0; --r) {
      RunningView run;
      run.run = id++;
      run.queue = static_cast<uint32_t>(Int(rng, 0, static_cast<int>(snap.queues.size()) - 1));
      run.pool = static_cast<uint32_t>(Int(rng, 0, static_cast<int>(snap.pools.size()) - 1));
      run.host = h;
      run.priority = Int(rng, 0, 2) * 40 + 10;
      run.started = static_cast<uint64_t>(Int(rng, 0, 1000)) * 1000 + run.run;
      run.need = RandomAmount(rng, 12, 6, 1);
      run.preemptible = !OneIn(rng, 5);
      if (run.need.cores > host.free.cores || run.need.memory > host.free.memory ||
          run.need.gpus > host.free.gpus) {
        continue;
      }
      host.free = Minus(host.free, run.need);
      snap.running.push_back(run);
    }
  }
}

Snapshot RandomSnapshot(std::mt19937& rng) {
  Snapshot snap;
  snap.policy = static_cast<Policy>(Int(rng, 0, 2));
  snap.preemption = OneIn(rng, 2) ? Preemption::kOff : static_cast<Preemption>(Int(rng, 1, 2));
  snap.max_preemptions = OneIn(rng, 2) ? 1000 : static_cast<size_t>(Int(rng, 0, 3));
  snap.tag_sets = kTagSets;
  for (int p = Int(rng, 1, 3); p > 0; --p) {
    snap.pools.push_back(PoolView{"p" + std::to_string(snap.pools.size()),
                                  OneIn(rng, 2) ? HostChoice::kPack : HostChoice::kSpread,
                                  OneIn(rng, 10)});
  }
  for (int q = Int(rng, 1, 4); q > 0; --q) {
    snap.queues.push_back(QueueView{"q" + std::to_string(Int(rng, 0, 9)), double(Int(rng, 1, 4)),
                                    RandomAmount(rng, 8, 4, 1), OneIn(rng, 10)});
  }
  for (int h = Int(rng, 0, 6); h > 0; --h) {
    HostView host;
    host.name = "h" + std::to_string(snap.hosts.size());
    host.total = RandomAmount(rng, 32, 16, 2);
    host.free = Amount{host.total.cores * Int(rng, 0, 4) / 4, host.total.memory / Int(rng, 1, 2),
                       Int(rng, 0, host.total.gpus)};
    if (!OneIn(rng, 3)) host.tags = kTagSets[Int(rng, 0, 4)];
    for (const PoolView& p : snap.pools) {
      if (OneIn(rng, 3)) host.pools.push_back(p.name);
    }
    host.alive = !OneIn(rng, 10);
    snap.hosts.push_back(host);
  }
  if (snap.preemption != Preemption::kOff) AddRuns(rng, snap);
  for (uint32_t q = 0; q < snap.queues.size(); ++q) {
    for (uint32_t p = 0; p < snap.pools.size(); ++p) {
      if (OneIn(rng, 2)) snap.held.push_back(Held{q, p, RandomAmount(rng, 16, 8, 1)});
      if (OneIn(rng, 3)) {
        double burst =
            OneIn(rng, 4) ? std::numeric_limits<double>::infinity() : Int(rng, 0, 40) * 0.25;
        snap.limits.push_back(QueueLimit{q, p, Int(rng, 0, 16) * 0.25, burst});
      }
    }
  }
  uint32_t instance = 0;
  for (int g = Int(rng, 0, 16); g > 0; --g) {
    PendingGroup group;
    group.key = 1000 - snap.pending.size();  // unique, and not in snapshot order
    group.queue = static_cast<uint32_t>(Int(rng, 0, static_cast<int>(snap.queues.size()) - 1));
    group.pool = static_cast<uint32_t>(Int(rng, 0, static_cast<int>(snap.pools.size()) - 1));
    group.tags = static_cast<uint32_t>(Int(rng, 0, 4));
    group.priority = Int(rng, 0, 2) * 40 + 10;
    group.order = static_cast<uint64_t>(Int(rng, 0, 5));
    group.need = RandomAmount(rng, 12, 6, 1);
    group.gang = OneIn(rng, 5);
    for (int i = Int(rng, 1, 6); i > 0; --i) group.instances.push_back(instance++);
    snap.pending.push_back(group);
  }
  return snap;
}

bool Serves(const HostView& host, const std::string& pool) {
  return host.pools.empty() || std::count(host.pools.begin(), host.pools.end(), pool) > 0;
}
bool HasAll(const HostView& host, const std::vector<std::string>& tags) {
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& t) {
    return std::count(host.tags.begin(), host.tags.end(), t) > 0;
  });
}
bool Excluded(const Snapshot& snap, uint32_t queue, uint32_t pool) {
  return snap.queues[queue].excluded || snap.pools[pool].excluded;
}

// --- Invariants ---

void CheckInvariants(const Snapshot& snap, const Decisions& d) {
  std::map<uint64_t, const PendingGroup*> groups;
  for (const PendingGroup& g : snap.pending) groups[g.key] = &g;
  std::map<uint64_t, const RunningView*> runs;
  for (const RunningView& r : snap.running) runs[r.run] = &r;

  std::vector<Amount> used(snap.hosts.size());
  std::map<std::pair<uint32_t, uint32_t>, double> placed_cores;
  std::map<uint64_t, size_t> placed_per_group;
  std::set<std::pair<uint64_t, uint32_t>> seen;
  for (const Placement& p : d.placements) {
    ASSERT_EQ(groups.count(p.key), 1u) << "placed a key that is not pending";
    const PendingGroup& g = *groups[p.key];
    ASSERT_LT(p.host, snap.hosts.size());
    const HostView& host = snap.hosts[p.host];
    EXPECT_TRUE(std::count(g.instances.begin(), g.instances.end(), p.instance) == 1);
    EXPECT_TRUE(seen.emplace(p.key, p.instance).second) << "placed twice";
    EXPECT_FALSE(Excluded(snap, g.queue, g.pool)) << "placed an excluded group";
    EXPECT_TRUE(host.alive && Serves(host, snap.pools[g.pool].name) &&
                HasAll(host, snap.tag_sets[g.tags]))
        << "key " << p.key << " on a host that cannot run it";
    used[p.host] = Plus(used[p.host], g.need);
    placed_cores[{g.queue, g.pool}] += g.need.cores;
    ++placed_per_group[p.key];
  }

  // Placements fit in what is free now: room freed by preemption goes to preempting instances
  // only (a fortiori nothing is over-committed once the preempted runs count as freed).
  for (size_t h = 0; h < snap.hosts.size(); ++h) {
    EXPECT_TRUE(Covers(snap.hosts[h].free, used[h]))
        << "host " << snap.hosts[h].name << " over-committed";
  }

  for (const PendingGroup& g : snap.pending) {
    if (g.gang && placed_per_group.count(g.key) != 0) {
      EXPECT_EQ(placed_per_group[g.key], g.instances.size()) << "gang " << g.key << " split";
    }
  }

  std::map<std::pair<uint32_t, uint32_t>, double> preempted_cores;
  std::set<uint64_t> preempted;
  for (uint64_t id : d.preempted) {
    ASSERT_EQ(runs.count(id), 1u) << "preempted a run that is not running";
    const RunningView& r = *runs[id];
    EXPECT_TRUE(preempted.insert(id).second) << "preempted twice";
    EXPECT_TRUE(r.preemptible);
    EXPECT_FALSE(Excluded(snap, r.queue, r.pool)) << "preempted a run of an excluded queue/pool";
    preempted_cores[{r.queue, r.pool}] += r.need.cores;
    // Some group that may preempt could run on the victim's host and outranks it.
    const HostView& host = snap.hosts[r.host];
    bool claimant = std::any_of(snap.pending.begin(), snap.pending.end(), [&](const auto& g) {
      return !g.gang && !Excluded(snap, g.queue, g.pool) && host.alive &&
             Serves(host, snap.pools[g.pool].name) && HasAll(host, snap.tag_sets[g.tags]) &&
             Covers(host.total, g.need) &&
             (snap.preemption != Preemption::kPriority || g.priority > r.priority) &&
             (snap.preemption != Preemption::kFairShare || g.queue != r.queue);
    });
    EXPECT_TRUE(claimant) << "run " << id << " preempted for nobody";
  }
  EXPECT_LE(d.preempted.size(), snap.max_preemptions);
  if (snap.preemption == Preemption::kOff) {
    EXPECT_TRUE(d.preempted.empty());
  }

  for (const QueueLimit& l : snap.limits) {
    auto cell = std::make_pair(l.queue, l.pool);
    if (placed_cores.count(cell) == 0) continue;
    double held = 0;
    for (const Held& h : snap.held) {
      if (h.queue == l.queue && h.pool == l.pool) held += h.amount.cores;
    }
    EXPECT_LE(held + placed_cores[cell] - preempted_cores[cell], l.burst + kEpsilon)
        << "burst limit of queue " << l.queue << " in pool " << l.pool << " exceeded";
  }
}

std::vector<std::tuple<uint64_t, uint32_t, uint32_t>> Flat(const Decisions& d) {
  std::vector<std::tuple<uint64_t, uint32_t, uint32_t>> out;
  for (const Placement& p : d.placements) out.emplace_back(p.key, p.instance, p.host);
  return out;
}

TEST(SchedulePropertyTest, RandomSnapshotsKeepEveryInvariantAndAreDeterministic) {
  std::mt19937 rng(20260301);
  int preempting = 0;
  for (int i = 0; i < 3000; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Snapshot snap = RandomSnapshot(rng);
    Decisions d = Schedule(snap);
    CheckInvariants(snap, d);
    if (!d.preempted.empty()) ++preempting;

    Decisions again = Schedule(snap);
    EXPECT_EQ(Flat(again), Flat(d));
    EXPECT_EQ(again.preempted, d.preempted);

    Snapshot shuffled = snap;
    std::shuffle(shuffled.pending.begin(), shuffled.pending.end(), rng);
    std::shuffle(shuffled.held.begin(), shuffled.held.end(), rng);
    std::shuffle(shuffled.limits.begin(), shuffled.limits.end(), rng);
    std::shuffle(shuffled.running.begin(), shuffled.running.end(), rng);
    Decisions other = Schedule(shuffled);
    EXPECT_EQ(Flat(other), Flat(d)) << "depends on the order of the snapshot's lists";
    EXPECT_EQ(other.preempted, d.preempted);
    if (HasFailure()) return;
  }
  EXPECT_GT(preempting, 100) << "the generator should exercise preemption";
}

// --- A naive replay of the rules, without preemption ---

// Everything Schedule() does with preemption off, the slow and obvious way: every host scanned
// for every instance, no caches, the lowest-share queue found by a linear scan.
class NaiveReplay {
 public:
  explicit NaiveReplay(const Snapshot& snap) : snap_(snap), usage_(snap.queues.size()) {
    for (const HostView& h : snap.hosts) {
      free_.push_back(h.free);
      if (h.alive) capacity_ = Plus(capacity_, h.total);
    }
    for (size_t q = 0; q < snap.queues.size(); ++q) usage_[q] = ToUsage(snap.queues[q].history);
    // Held added per queue in pool order, as the summation order matters to the last bit.
    for (uint32_t q = 0; q < snap.queues.size(); ++q) {
      for (uint32_t p = 0; p < snap.pools.size(); ++p) {
        for (const Held& h : snap.held) {
          if (h.queue != q || h.pool != p) continue;
          holding_[{q, p}] += h.amount.cores;
          Add(usage_[q], h.amount);
        }
      }
    }
  }

  Decisions Run() {
    if (snap_.policy == Policy::kFairShare) {
      RunFairShare();
    } else {
      RunInOrder();
    }
    return decisions_;
  }

 private:
  static void Add(Usage& u, const Amount& a) {
    u.cores += a.cores;
    u.memory += static_cast<double>(a.memory);
    u.gpus += a.gpus;
  }

  bool Schedulable(const PendingGroup& g) const {
    return !Excluded(snap_, g.queue, g.pool) && !g.instances.empty();
  }

  double Burst(const PendingGroup& g) const {
    double burst = std::numeric_limits<double>::infinity();
    for (const QueueLimit& l : snap_.limits) {
      if (l.queue == g.queue && l.pool == g.pool) burst = l.burst;
    }
    return burst;
  }

  int BestHost(const PendingGroup& g) const {
    bool spread = snap_.pools[g.pool].choice == HostChoice::kSpread;
    int best = -1;
    for (size_t h = 0; h < snap_.hosts.size(); ++h) {
      const HostView& host = snap_.hosts[h];
      if (!host.alive || !Serves(host, snap_.pools[g.pool].name) ||
          !HasAll(host, snap_.tag_sets[g.tags]) || !Covers(free_[h], g.need)) {
        continue;
      }
      if (best < 0) {
        best = static_cast<int>(h);
        continue;
      }
      const Amount& f = free_[h];
      const Amount& b = free_[best];
      bool better = spread ? (f.cores > b.cores || (f.cores == b.cores && f.memory > b.memory))
                           : (f.cores < b.cores || (f.cores == b.cores && f.memory < b.memory));
      if (better) best = static_cast<int>(h);
    }
    return best;
  }

  void Take(uint32_t h, const Amount& need) {
    if (need.cores > 0) free_[h].cores -= need.cores;
    if (need.memory > 0) free_[h].memory -= need.memory;
    if (need.gpus > 0) free_[h].gpus -= need.gpus;
  }
  void Give(uint32_t h, const Amount& need) {
    if (need.cores > 0) free_[h].cores += need.cores;
    if (need.memory > 0) free_[h].memory += need.memory;
    if (need.gpus > 0) free_[h].gpus += need.gpus;
  }

  void Account(const PendingGroup& g) {
    holding_[{g.queue, g.pool}] += g.need.cores;
    Add(usage_[g.queue], g.need);
  }

  bool PlaceOne(const PendingGroup& g, uint32_t instance) {
    if (holding_[{g.queue, g.pool}] + g.need.cores > Burst(g) + kEpsilon) return false;
    int h = BestHost(g);
    if (h < 0) return false;
    Take(static_cast<uint32_t>(h), g.need);
    decisions_.placements.push_back(Placement{g.key, instance, static_cast<uint32_t>(h)});
    Account(g);
    return true;
  }

  bool PlaceGang(const PendingGroup& g) {
    double cores = g.need.cores * static_cast<double>(g.instances.size());
    if (holding_[{g.queue, g.pool}] + cores > Burst(g) + kEpsilon) return false;
    size_t first = decisions_.placements.size();
    for (uint32_t instance : g.instances) {
      int h = BestHost(g);
      if (h < 0) {
        while (decisions_.placements.size() > first) {
          Give(decisions_.placements.back().host, g.need);
          decisions_.placements.pop_back();
        }
        return false;
      }
      Take(static_cast<uint32_t>(h), g.need);
      decisions_.placements.push_back(Placement{g.key, instance, static_cast<uint32_t>(h)});
    }
    for (size_t i = 0; i < g.instances.size(); ++i) Account(g);
    return true;
  }

  void RunInOrder() {
    std::vector<const PendingGroup*> order;
    for (const PendingGroup& g : snap_.pending) {
      if (Schedulable(g)) order.push_back(&g);
    }
    bool by_priority = snap_.policy == Policy::kPriority;
    std::sort(order.begin(), order.end(), [&](const PendingGroup* a, const PendingGroup* b) {
      if (by_priority && a->priority != b->priority) return a->priority > b->priority;
      if (a->order != b->order) return a->order < b->order;
      return a->key < b->key;
    });
    for (const PendingGroup* g : order) {
      if (g->gang) {
        PlaceGang(*g);
        continue;
      }
      for (uint32_t instance : g->instances) {
        if (!PlaceOne(*g, instance)) break;
      }
    }
  }

  void RunFairShare() {
    size_t queues = snap_.queues.size();
    std::vector<std::vector<const PendingGroup*>> work(queues);
    for (const PendingGroup& g : snap_.pending) {
      if (Schedulable(g)) work[g.queue].push_back(&g);
    }
    for (auto& groups : work) {
      std::sort(groups.begin(), groups.end(), [](const PendingGroup* a, const PendingGroup* b) {
        if (a->priority != b->priority) return a->priority > b->priority;
        if (a->order != b->order) return a->order < b->order;
        return a->key < b->key;
      });
    }
    std::vector<size_t> next_group(queues, 0), next_instance(queues, 0);
    std::vector<bool> active(queues);
    for (size_t q = 0; q < queues; ++q) active[q] = !work[q].empty();
    while (true) {
      int pick = -1;
      for (size_t q = 0; q < queues; ++q) {
        if (active[q] && (pick < 0 || Lower(q, static_cast<size_t>(pick)))) {
          pick = static_cast<int>(q);
        }
      }
      if (pick < 0) return;
      size_t q = static_cast<size_t>(pick);
      bool stepped = false;
      while (!stepped && next_group[q] < work[q].size()) {
        const PendingGroup& g = *work[q][next_group[q]];
        if (g.gang) {
          ++next_group[q];
          stepped = PlaceGang(g);
        } else if (PlaceOne(g, g.instances[next_instance[q]])) {
          stepped = true;
          if (++next_instance[q] == g.instances.size()) {
            ++next_group[q];
            next_instance[q] = 0;
          }
        } else {
          ++next_group[q];
          next_instance[q] = 0;
        }
      }
      if (!stepped) active[q] = false;
    }
  }

  bool Lower(size_t a, size_t b) const {
    double share_a = DominantShare(usage_[a], capacity_);
    double share_b = DominantShare(usage_[b], capacity_);
    double lhs = share_a * snap_.queues[b].weight;
    double rhs = share_b * snap_.queues[a].weight;
    if (lhs != rhs) return lhs < rhs;
    if (snap_.queues[a].name != snap_.queues[b].name) {
      return snap_.queues[a].name < snap_.queues[b].name;
    }
    return a < b;
  }

  const Snapshot& snap_;
  std::vector<Amount> free_;
  Amount capacity_;
  std::vector<Usage> usage_;
  std::map<std::pair<uint32_t, uint32_t>, double> holding_;
  Decisions decisions_;
};

TEST(SchedulePropertyTest, RandomSnapshotsAgreeWithANaiveReplay) {
  std::mt19937 rng(7);
  int placed = 0;
  for (int i = 0; i < 3000; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Snapshot snap = RandomSnapshot(rng);
    snap.preemption = Preemption::kOff;
    snap.running.clear();
    for (Policy policy : {Policy::kFifo, Policy::kPriority, Policy::kFairShare}) {
      snap.policy = policy;
      SCOPED_TRACE(std::string("policy ") + std::to_string(static_cast<int>(policy)));
      Decisions d = Schedule(snap);
      EXPECT_EQ(Flat(d), Flat(NaiveReplay(snap).Run()));
      placed += static_cast<int>(d.placements.size());
    }
    if (HasFailure()) return;
  }
  EXPECT_GT(placed, 10000) << "the generator should place plenty";
}

TEST(SchedulePropertyTest, WhyNotPlacedIsEmptyExactlyWhenAGroupAloneWouldBePlaced) {
  std::mt19937 rng(11);
  for (int i = 0; i < 1000; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Snapshot snap = RandomSnapshot(rng);
    snap.preemption = Preemption::kOff;
    snap.running.clear();
    for (const PendingGroup& g : snap.pending) {
      if (g.gang) continue;  // WhyNotPlaced looks at one instance; a gang needs room for all
      Snapshot alone = snap;
      alone.pending = {g};
      EXPECT_EQ(WhyNotPlaced(snap, g).empty(), !Schedule(alone).placements.empty())
          << "key " << g.key << ": " << WhyNotPlaced(snap, g);
    }
    if (HasFailure()) return;
  }
}

// --- Fair-share convergence ---

// Under saturation, what each queue was given converges to its weight: each queue's dominant
// share of the placements, over the sum of those shares, is within 0.05 of weight / sum of
// weights. Two assumptions make that true, and the test keeps to them:
// - Tasks are fine-grained: each needs at most 1% of the farm's capacity of every resource, so
//   one step moves a share by at most 0.01 (pure DRF with coarse tasks, say a third of the farm
//   each, is off by a whole task and cannot meet 5%).
// - Every queue needs some of every resource, so the resource that runs out first stops every
//   queue at once; a queue that needed none of it would go on alone and end above its weight.
TEST(SchedulePropertyTest, FairShareConvergesToTheWeightsUnderSaturation) {
  std::mt19937 rng(424242);
  double worst = 0;
  for (int i = 0; i < 1000; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    Snapshot snap;
    snap.policy = Policy::kFairShare;
    snap.pools.push_back(
        PoolView{"default", OneIn(rng, 2) ? HostChoice::kPack : HostChoice::kSpread, false});
    snap.tag_sets = {{}};
    Amount capacity;
    for (int h = Int(rng, 2, 4); h > 0; --h) {
      HostView host;
      host.name = "h" + std::to_string(snap.hosts.size());
      host.total = Amount{double(Int(rng, 64, 128)), Int(rng, 256, 512) * kG, Int(rng, 50, 100)};
      host.free = host.total;
      capacity = Plus(capacity, host.total);
      snap.hosts.push_back(host);
    }
    uint32_t instance = 0;
    for (int q = Int(rng, 2, 5); q > 0; --q) {
      uint32_t queue = static_cast<uint32_t>(snap.queues.size());
      snap.queues.push_back(
          QueueView{"q" + std::to_string(queue), double(Int(rng, 1, 4)), {}, false});
      // A few groups per queue, each of its own random mix, between 0.1% and 1% of capacity.
      for (int g = Int(rng, 1, 3); g > 0; --g) {
        auto fraction = [&] { return Int(rng, 10, 100) / 10000.0; };
        PendingGroup group;
        group.key = snap.pending.size() + 1;
        group.queue = queue;
        group.order = static_cast<uint64_t>(Int(rng, 0, 100));
        group.need = Amount{fraction() * capacity.cores,
                            static_cast<int64_t>(fraction() * static_cast<double>(capacity.memory)),
                            std::max(1, static_cast<int>(fraction() * capacity.gpus))};
        for (int n = 0; n < 1000; ++n) group.instances.push_back(instance++);
        snap.pending.push_back(group);
      }
    }

    std::vector<Amount> given(snap.queues.size());
    std::map<uint64_t, const PendingGroup*> groups;
    for (const PendingGroup& g : snap.pending) groups[g.key] = &g;
    for (const Placement& p : Schedule(snap).placements) {
      const PendingGroup& g = *groups[p.key];
      given[g.queue] = Plus(given[g.queue], g.need);
    }
    double shares = 0;
    double weights = 0;
    for (size_t q = 0; q < snap.queues.size(); ++q) {
      shares += DominantShare(given[q], capacity);
      weights += snap.queues[q].weight;
    }
    ASSERT_GT(shares, 0.5) << "the farm should be nearly full";
    for (size_t q = 0; q < snap.queues.size(); ++q) {
      double off =
          std::abs(DominantShare(given[q], capacity) / shares - snap.queues[q].weight / weights);
      worst = std::max(worst, off);
      EXPECT_LE(off, 0.05) << "queue " << q << " of weight " << snap.queues[q].weight;
    }
  }
  RecordProperty("worst_deviation", std::to_string(worst));
}

}  // namespace
}  // namespace rota::sched
