// Schedule() and WhyNotPlaced() on small snapshots checked by hand: one test per rule of
// schedule.h. The random properties are in schedule_property_test.cc.
#include "sched/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/units.h"

namespace rota::sched {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

int64_t Size(std::string_view text) { return ParseSize(text).value(); }

// A snapshot in a few words. Modifiers apply to the host, group or run added last. Pools and
// queues are made on first mention; "default" of each is used when none is named. Groups get
// submission order as added, priority 50 and one instance unless Count() says otherwise.
class SnapshotBuilder {
 public:
  SnapshotBuilder() { snap_.tag_sets.push_back({}); }

  SnapshotBuilder& Policy(sched::Policy policy) {
    snap_.policy = policy;
    return *this;
  }
  SnapshotBuilder& Preempt(Preemption preemption, size_t max = 1000) {
    snap_.preemption = preemption;
    snap_.max_preemptions = max;
    return *this;
  }

  // --- Hosts ---
  SnapshotBuilder& Host(std::string name, double cores, std::string_view memory = "0",
                        int gpus = 0) {
    HostView h;
    h.name = std::move(name);
    h.total = Amount{cores, Size(memory), gpus};
    h.free = h.total;
    snap_.hosts.push_back(std::move(h));
    return *this;
  }
  SnapshotBuilder& Free(double cores, std::string_view memory = "0", int gpus = 0) {
    snap_.hosts.back().free = Amount{cores, Size(memory), gpus};
    return *this;
  }
  SnapshotBuilder& Tagged(std::vector<std::string> tags) {
    snap_.hosts.back().tags = std::move(tags);
    return *this;
  }
  SnapshotBuilder& Serves(std::vector<std::string> pools) {
    for (const std::string& p : pools) PoolIndex(p);
    snap_.hosts.back().pools = std::move(pools);
    return *this;
  }
  SnapshotBuilder& Dead() {
    snap_.hosts.back().alive = false;
    return *this;
  }

  // --- Pools and queues ---
  SnapshotBuilder& Placement(const std::string& pool, HostChoice choice) {
    snap_.pools[PoolIndex(pool)].choice = choice;
    return *this;
  }
  SnapshotBuilder& ExcludePool(const std::string& pool) {
    snap_.pools[PoolIndex(pool)].excluded = true;
    return *this;
  }
  SnapshotBuilder& Weight(const std::string& queue, double weight) {
    snap_.queues[QueueIndex(queue)].weight = weight;
    return *this;
  }
  SnapshotBuilder& History(const std::string& queue, double cores, std::string_view memory = "0",
                           int gpus = 0) {
    snap_.queues[QueueIndex(queue)].history = Amount{cores, Size(memory), gpus};
    return *this;
  }
  SnapshotBuilder& ExcludeQueue(const std::string& queue) {
    snap_.queues[QueueIndex(queue)].excluded = true;
    return *this;
  }
  SnapshotBuilder& Holds(const std::string& queue, const std::string& pool, double cores,
                         std::string_view memory = "0", int gpus = 0) {
    snap_.held.push_back(
        sched::Held{QueueIndex(queue), PoolIndex(pool), Amount{cores, Size(memory), gpus}});
    return *this;
  }
  SnapshotBuilder& Limit(const std::string& queue, const std::string& pool, double size,
                         double burst = std::numeric_limits<double>::infinity()) {
    snap_.limits.push_back(QueueLimit{QueueIndex(queue), PoolIndex(pool), size, burst});
    return *this;
  }

  // --- Pending groups ---
  SnapshotBuilder& Group(uint64_t key, double cores, std::string_view memory = "0", int gpus = 0) {
    PendingGroup g;
    g.key = key;
    g.queue = QueueIndex("default");
    g.pool = PoolIndex("default");
    g.order = snap_.pending.size();
    g.need = Amount{cores, Size(memory), gpus};
    g.instances = {0};
    snap_.pending.push_back(std::move(g));
    return *this;
  }
  SnapshotBuilder& Count(uint32_t instances) {
    std::vector<uint32_t>& all = snap_.pending.back().instances;
    all.clear();
    for (uint32_t i = 0; i < instances; ++i) all.push_back(i);
    return *this;
  }
  SnapshotBuilder& InQueue(const std::string& queue) {
    snap_.pending.back().queue = QueueIndex(queue);
    return *this;
  }
  SnapshotBuilder& InPool(const std::string& pool) {
    snap_.pending.back().pool = PoolIndex(pool);
    return *this;
  }
  SnapshotBuilder& Priority(int priority) {
    snap_.pending.back().priority = priority;
    return *this;
  }
  SnapshotBuilder& Order(uint64_t order) {
    snap_.pending.back().order = order;
    return *this;
  }
  SnapshotBuilder& Requires(const std::vector<std::string>& tags) {
    auto it = std::find(snap_.tag_sets.begin(), snap_.tag_sets.end(), tags);
    snap_.pending.back().tags = static_cast<uint32_t>(it - snap_.tag_sets.begin());
    if (it == snap_.tag_sets.end()) snap_.tag_sets.push_back(tags);
    return *this;
  }
  SnapshotBuilder& Gang() {
    snap_.pending.back().gang = true;
    return *this;
  }

  // --- Running runs (take from their host's free amount) ---
  SnapshotBuilder& Run(uint64_t id, const std::string& host, double cores,
                       std::string_view memory = "0", int gpus = 0) {
    RunningView r;
    r.run = id;
    r.queue = QueueIndex("default");
    r.pool = PoolIndex("default");
    r.host = HostIndex(host);
    r.started = id;
    r.need = Amount{cores, Size(memory), gpus};
    HostView& h = snap_.hosts[r.host];
    h.free = Amount{h.free.cores - r.need.cores, h.free.memory - r.need.memory,
                    h.free.gpus - r.need.gpus};
    snap_.running.push_back(r);
    return *this;
  }
  SnapshotBuilder& RunIn(const std::string& queue, const std::string& pool = "default") {
    snap_.running.back().queue = QueueIndex(queue);
    snap_.running.back().pool = PoolIndex(pool);
    return *this;
  }
  SnapshotBuilder& RunPriority(int priority) {
    snap_.running.back().priority = priority;
    return *this;
  }
  SnapshotBuilder& Started(uint64_t started) {
    snap_.running.back().started = started;
    return *this;
  }
  SnapshotBuilder& NotPreemptible() {
    snap_.running.back().preemptible = false;
    return *this;
  }

  Snapshot Build() const { return snap_; }

 private:
  uint32_t PoolIndex(const std::string& name) {
    for (uint32_t p = 0; p < snap_.pools.size(); ++p) {
      if (snap_.pools[p].name == name) return p;
    }
    snap_.pools.push_back(PoolView{name, HostChoice::kPack, false});
    return static_cast<uint32_t>(snap_.pools.size() - 1);
  }
  uint32_t QueueIndex(const std::string& name) {
    for (uint32_t q = 0; q < snap_.queues.size(); ++q) {
      if (snap_.queues[q].name == name) return q;
    }
    snap_.queues.push_back(QueueView{name, 1, {}, false});
    return static_cast<uint32_t>(snap_.queues.size() - 1);
  }
  uint32_t HostIndex(const std::string& name) const {
    for (uint32_t h = 0; h < snap_.hosts.size(); ++h) {
      if (snap_.hosts[h].name == name) return h;
    }
    ADD_FAILURE() << "no host " << name;
    return 0;
  }

  Snapshot snap_;
};

// Placements as "key on host" (single instances) or "key.instance on host", in the order made.
std::vector<std::string> Describe(const Snapshot& snap, const Decisions& decisions) {
  std::map<uint64_t, size_t> instances;
  for (const PendingGroup& g : snap.pending) instances[g.key] = g.instances.size();
  std::vector<std::string> out;
  for (const Placement& p : decisions.placements) {
    std::string what = std::to_string(p.key);
    if (instances[p.key] > 1) what += "." + std::to_string(p.instance);
    out.push_back(what + " on " + snap.hosts[p.host].name);
  }
  return out;
}

std::vector<std::string> Placed(const Snapshot& snap) { return Describe(snap, Schedule(snap)); }

// How many instances each queue got.
std::map<std::string, int> PlacedPerQueue(const Snapshot& snap) {
  std::map<uint64_t, std::string> queue_of;
  for (const PendingGroup& g : snap.pending) queue_of[g.key] = snap.queues[g.queue].name;
  std::map<std::string, int> count;
  for (const Placement& p : Schedule(snap).placements) ++count[queue_of[p.key]];
  return count;
}

// Builder chains read one host, group or run per line, with what applies to it.
// clang-format off

// --- Order: policies ---

TEST(ScheduleTest, NothingPendingOrNoHostsPlacesNothing) {
  EXPECT_THAT(Placed(SnapshotBuilder().Host("h1", 4).Build()), IsEmpty());
  EXPECT_THAT(Placed(SnapshotBuilder().Group(1, 1).Build()), IsEmpty());
  Decisions none = Schedule(Snapshot{});
  EXPECT_THAT(none.placements, IsEmpty());
  EXPECT_THAT(none.preempted, IsEmpty());
}

TEST(ScheduleTest, PriorityPolicyPlacesHigherPriorityFirst) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kPriority)
                      .Host("h1", 4)
                      .Group(1, 4).Priority(50)
                      .Group(2, 4).Priority(90)
                      .Group(3, 4).Priority(10)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1"));
}

TEST(ScheduleTest, PriorityPolicyTiesGoBySubmissionOrderThenKey) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 3)
                      .Group(1, 1).Order(9)
                      .Group(5, 1).Order(3)
                      .Group(4, 1).Order(3)
                      .Group(2, 1).Order(1)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1", "4 on h1", "5 on h1"));
}

TEST(ScheduleTest, PlacementsComeInTheOrderMadeNotTheSnapshotOrder) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 8)
                      .Group(1, 1).Priority(10)
                      .Group(2, 1).Priority(90)
                      .Group(3, 1).Priority(50)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1", "3 on h1", "1 on h1"));
}

TEST(ScheduleTest, FifoPolicyGoesBySubmissionOrderAloneAcrossQueues) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFifo)
                      .Host("h1", 3)
                      .Group(1, 1).Priority(90).Order(3).InQueue("film")
                      .Group(2, 1).Priority(10).Order(1).InQueue("tv")
                      .Group(3, 1).Priority(50).Order(2).InQueue("film")
                      .Group(4, 1).Priority(99).Order(4).InQueue("tv")
                      .Group(6, 1).Priority(99).Order(0).InQueue("tv")
                      .Group(5, 1).Priority(99).Order(0).InQueue("film")
                      .Build();
  // Key breaks the tie between the two groups submitted at order 0.
  EXPECT_THAT(Placed(snap), ElementsAre("5 on h1", "6 on h1", "2 on h1"));
}

TEST(ScheduleTest, AGroupGetsAsManyInstancesAsFitInItsTurn) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 4)
                      .Group(1, 1).Count(3)
                      .Group(2, 1).Count(3)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1.0 on h1", "1.1 on h1", "1.2 on h1", "2.0 on h1"));
}

TEST(ScheduleTest, FairShareAlternatesBetweenEqualQueues) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 5)
                      .Group(1, 1).Count(5).InQueue("b")
                      .Group(2, 1).Count(5).InQueue("a")
                      .Build();
  // Equal shares tie by queue name: "a" first.
  EXPECT_THAT(Placed(snap),
              ElementsAre("2.0 on h1", "1.0 on h1", "2.1 on h1", "1.1 on h1", "2.2 on h1"));
}

TEST(ScheduleTest, FairShareSplitsByWeight) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 9)
                      .Weight("heavy", 2).Weight("light", 1)
                      .Group(1, 1).Count(20).InQueue("light")
                      .Group(2, 1).Count(20).InQueue("heavy")
                      .Build();
  EXPECT_THAT(PlacedPerQueue(snap), (std::map<std::string, int>{{"heavy", 6}, {"light", 3}}));
}

TEST(ScheduleTest, FairShareUsesTheDominantResource) {
  // "mem" needs 1 core and 16G (a quarter of the memory): its dominant share grows 4x as fast
  // as "cpu"'s, whose tasks take 1 of 16 cores. cpu catches up to each of mem's steps (and wins
  // the tie by name) until the cores run out: 13 and 3, where sharing cores alone would be 8:8.
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 16, "64G")
                      .Group(1, 1, "16G").Count(20).InQueue("mem")
                      .Group(2, 1).Count(20).InQueue("cpu")
                      .Build();
  EXPECT_THAT(PlacedPerQueue(snap), (std::map<std::string, int>{{"cpu", 13}, {"mem", 3}}));
}

TEST(ScheduleTest, FairShareHistoryAndHeldShiftTheShares) {
  // "old" used 4 cores' worth lately and holds 2 more in another pool (6 of the farm's 10):
  // "new" gets the first 6 of the 8 free cores, wins the tie at 6 by name, then "old" gets one.
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 8).Serves({"default"})
                      .Host("other", 2).Free(0).Serves({"other"})
                      .History("old", 4)
                      .Holds("old", "other", 2)
                      .Group(1, 1).Count(10).InQueue("old")
                      .Group(2, 1).Count(10).InQueue("new")
                      .Build();
  EXPECT_THAT(PlacedPerQueue(snap), (std::map<std::string, int>{{"new", 7}, {"old", 1}}));
}

TEST(ScheduleTest, FairShareWithinAQueueGoesByPriorityThenOrder) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 3)
                      .Group(1, 1).InQueue("q").Priority(10).Order(0)
                      .Group(2, 1).InQueue("q").Priority(90).Order(5)
                      .Group(3, 1).InQueue("q").Priority(90).Order(2)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("3 on h1", "2 on h1", "1 on h1"));
}

TEST(ScheduleTest, FairShareQueueMovesOnWhenItsGroupCannotBePlaced) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 4)
                      .Group(1, 8).InQueue("a").Priority(90)
                      .Group(2, 1).InQueue("a").Count(4)
                      .Group(3, 1).InQueue("b").Count(4)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2.0 on h1", "3.0 on h1", "2.1 on h1", "3.1 on h1"));
}

TEST(ScheduleTest, FairShareQueueWithNothingPlaceableDropsOut) {
  // "a" can never place anything; "b" takes the whole host.
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 4).Tagged({"linux"})
                      .Group(1, 1).InQueue("a").Count(4).Requires({"windows"})
                      .Group(2, 1).InQueue("b").Count(4)
                      .Build();
  EXPECT_THAT(PlacedPerQueue(snap), (std::map<std::string, int>{{"b", 4}}));
}

// --- Hosts: pack and spread ---

TEST(ScheduleTest, PackPicksTheFittingHostWithTheFewestFreeCores) {
  Snapshot snap = SnapshotBuilder()
                      .Host("big", 16).Free(8)
                      .Host("small", 16).Free(2)
                      .Host("medium", 4)
                      .Group(1, 2)
                      .Group(2, 3)
                      .Group(3, 6)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on small", "2 on medium", "3 on big"));
}

TEST(ScheduleTest, PackLeavesRoomForALaterLargeInstance) {
  // First fit would put the 1-core instance on "a" and leave no room for the 8-core one.
  Snapshot snap = SnapshotBuilder()
                      .Host("a", 8)
                      .Host("b", 2)
                      .Group(1, 1)
                      .Group(2, 8)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on b", "2 on a"));
}

TEST(ScheduleTest, PackBreaksTiesByLeastMemoryThenLowestIndex) {
  Snapshot by_memory = SnapshotBuilder()
                           .Host("roomy", 4, "16G")
                           .Host("tight", 4, "4G")
                           .Group(1, 1, "1G")
                           .Build();
  EXPECT_THAT(Placed(by_memory), ElementsAre("1 on tight"));

  Snapshot by_index = SnapshotBuilder()
                          .Host("first", 4, "8G")
                          .Host("second", 4, "8G")
                          .Group(1, 1, "1G")
                          .Group(2, 1, "1G")
                          .Build();
  // After the first placement "first" is the tighter one, so it takes the second as well.
  EXPECT_THAT(Placed(by_index), ElementsAre("1 on first", "2 on first"));
}

TEST(ScheduleTest, SpreadPicksTheMostFreeCoresThenMostMemoryThenLowestIndex) {
  Snapshot snap = SnapshotBuilder()
                      .Placement("default", HostChoice::kSpread)
                      .Host("a", 4, "8G")
                      .Host("b", 4, "16G")
                      .Host("c", 4, "16G")
                      .Host("d", 2, "64G")
                      .Group(1, 1, "1G").Count(5)
                      .Build();
  // b and c tie on cores and memory (b has the lower index); then c is the only one with 4
  // cores and 16G, then a with 4 cores; then all have 3 and b and c tie on memory again.
  EXPECT_THAT(Placed(snap), ElementsAre("1.0 on b", "1.1 on c", "1.2 on a", "1.3 on b",
                                        "1.4 on c"));
}

TEST(ScheduleTest, HostChoiceIsPerPool) {
  Snapshot snap = SnapshotBuilder()
                      .Placement("render", HostChoice::kSpread)
                      .Placement("sim", HostChoice::kPack)
                      .Host("big", 8)
                      .Host("small", 2)
                      .Group(1, 1).InPool("render")
                      .Group(2, 1).InPool("sim")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on big", "2 on small"));
}

TEST(ScheduleTest, MemoryLimitsPlacementAndIsUsedUp) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 8, "4G").Free(8, "3584M")
                      .Group(1, 1, "3G")
                      .Group(2, 1, "1G")
                      .Group(3, 1, "512M")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on h1", "3 on h1"));
}

TEST(ScheduleTest, GpusLimitPlacementAndZeroGpusFitAnywhere) {
  Snapshot snap = SnapshotBuilder()
                      .Host("cpu", 4, "8G")
                      .Host("gpu", 8, "8G", 2)
                      .Group(1, 1, "1G", 1)
                      .Group(2, 1, "1G", 1)
                      .Group(3, 1, "1G", 1)
                      .Group(4, 1, "1G")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on gpu", "2 on gpu", "4 on cpu"));
}

TEST(ScheduleTest, RequiredTagsMustAllBeOnTheHost) {
  Snapshot snap = SnapshotBuilder()
                      .Host("plain", 2)
                      .Host("nvme", 8).Tagged({"nvme"})
                      .Host("both", 16).Tagged({"linux", "nvme", "ssd"})
                      .Group(1, 1).Requires({"nvme"})
                      .Group(2, 1).Requires({"linux", "nvme"})
                      .Group(3, 1).Requires({"windows"})
                      .Group(4, 1).Requires({})
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on nvme", "2 on both", "4 on plain"));
}

TEST(ScheduleTest, HostsWithoutPoolsServeEveryPool) {
  Snapshot snap = SnapshotBuilder()
                      .Host("render-only", 2).Serves({"render"})
                      .Host("gpu-only", 2).Serves({"gpu", "sim"})
                      .Host("any", 8)
                      .Group(1, 1).InPool("render")
                      .Group(2, 1).InPool("sim")
                      .Group(3, 1).InPool("comp")
                      .Group(4, 1)
                      .Build();
  EXPECT_THAT(Placed(snap),
              ElementsAre("1 on render-only", "2 on gpu-only", "3 on any", "4 on any"));
}

TEST(ScheduleTest, DeadHostsAreNeverChosen) {
  Snapshot snap = SnapshotBuilder()
                      .Host("lost", 1).Dead()
                      .Host("live", 2)
                      .Group(1, 1).Count(3)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1.0 on live", "1.1 on live"));
}

TEST(ScheduleTest, FractionalCoresAddUpWithoutDrift) {
  Snapshot quarters = SnapshotBuilder().Host("h1", 1).Group(1, 0.25).Count(5).Build();
  EXPECT_EQ(Placed(quarters).size(), 4u);

  // 0.1 is not exact in binary: 2 - 0.1 - ... (19 times) is a hair below 0.1, and the twentieth
  // must still fit; a twenty-first must not.
  Snapshot tenths = SnapshotBuilder().Host("h1", 2).Group(1, 0.1).Count(21).Build();
  EXPECT_EQ(Placed(tenths).size(), 20u);
  Snapshot spread = SnapshotBuilder()
                        .Placement("default", HostChoice::kSpread)
                        .Host("h1", 1).Host("h2", 1)
                        .Group(1, 0.1).Count(21)
                        .Build();
  EXPECT_EQ(Placed(spread).size(), 20u);
}

TEST(ScheduleTest, AZeroNeedFitsAFullHost) {
  Snapshot snap = SnapshotBuilder()
                      .Host("full", 4, "4G").Free(0, "2G")
                      .Host("overcommitted", 4, "4G").Free(-1, "0")
                      .Group(1, 1)
                      .Group(2, 0, "1G")
                      .Group(3, 0)
                      .Build();
  snap.hosts[1].free.memory = -Size("1G");  // the engine's view may be over-committed too
  snap.hosts[1].free.gpus = -1;
  EXPECT_THAT(Placed(snap), ElementsAre("2 on full", "3 on overcommitted"));
}

TEST(ScheduleTest, AFailedShapeDoesNotBlockOthers) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 4, "4G")
                      .Group(1, 8, "1G")
                      .Group(2, 2, "1G")
                      .Group(3, 8, "1G")
                      .Group(4, 2, "1G").InPool("other")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1", "4 on h1"));
}

// --- Burst limits ---

TEST(ScheduleTest, BurstLimitCapsWhatAQueueHoldsInAPoolCountingHeld) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 16)
                      .Limit("film", "default", 2, 5)
                      .Holds("film", "default", 2)
                      .Group(1, 1).InQueue("film").Count(6)
                      .Group(2, 1).InQueue("tv").Count(2)
                      .Build();
  // 2 held + 3 placed = 5; "tv" has no limit.
  EXPECT_THAT(PlacedPerQueue(snap), (std::map<std::string, int>{{"film", 3}, {"tv", 2}}));
}

TEST(ScheduleTest, BurstLimitIsPerPoolAndSkipsToTheQueuesNextGroup) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 16)
                      .Limit("film", "default", 0, 3)
                      .Group(1, 4).InQueue("film")
                      .Group(2, 2).InQueue("film")
                      .Group(3, 2).InQueue("film")
                      .Group(4, 4).InQueue("film").InPool("other")
                      .Group(5, 1).InQueue("film")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1", "4 on h1", "5 on h1"));
}

TEST(ScheduleTest, BurstLimitAlsoHoldsUnderFairShare) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 16)
                      .Limit("a", "default", 0, 2.5)
                      .Group(1, 0.5).InQueue("a").Count(10)
                      .Group(2, 1).InQueue("b").Count(3)
                      .Build();
  EXPECT_THAT(PlacedPerQueue(snap), (std::map<std::string, int>{{"a", 5}, {"b", 3}}));
}

// --- Gangs ---

TEST(ScheduleTest, AGangIsPlacedWholeAcrossHosts) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 2)
                      .Host("h2", 4)
                      .Group(1, 2).Count(3).Gang()
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1.0 on h1", "1.1 on h2", "1.2 on h2"));
}

TEST(ScheduleTest, AGangThatDoesNotFitPlacesNothingAndGivesItsRoomBack) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 2)
                      .Host("h2", 4)
                      .Group(1, 2).Count(4).Gang()
                      .Group(2, 4)
                      .Group(3, 2)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h2", "3 on h1"));
}

TEST(ScheduleTest, AGangOverItsBurstLimitPlacesNothing) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 16)
                      .Limit("q", "default", 0, 5)
                      .Holds("q", "default", 1)
                      .Group(1, 1).InQueue("q").Count(5).Gang()
                      .Group(2, 1).InQueue("q").Count(4).Gang()
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2.0 on h1", "2.1 on h1", "2.2 on h1", "2.3 on h1"));
}

TEST(ScheduleTest, FairShareGivesAGangInOneStep) {
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Host("h1", 8)
                      .Group(1, 1).InQueue("a").Count(3).Gang()
                      .Group(2, 1).InQueue("a").Count(3).Gang()
                      .Group(3, 1).InQueue("b").Count(8)
                      .Build();
  // a's first gang (3 cores); b catches up to 3 and a wins the tie by name, but its second gang
  // no longer fits in the 2 cores left, so a drops out and b takes the rest.
  EXPECT_THAT(Placed(snap), ElementsAre("1.0 on h1", "1.1 on h1", "1.2 on h1", "3.0 on h1",
                                        "3.1 on h1", "3.2 on h1", "3.3 on h1", "3.4 on h1"));
}

// --- Exclusions ---

TEST(ScheduleTest, ExcludedQueuesAndPoolsAreNotScheduled) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 16)
                      .ExcludeQueue("frozen")
                      .ExcludePool("drained")
                      .Group(1, 1).InQueue("frozen")
                      .Group(2, 1).InPool("drained")
                      .Group(3, 1)
                      .Build();
  for (Policy policy : {Policy::kFifo, Policy::kPriority, Policy::kFairShare}) {
    snap.policy = policy;
    EXPECT_THAT(Placed(snap), ElementsAre("3 on h1"));
  }
}

// --- Preemption ---

// Preempted run ids, in the order chosen.
std::vector<uint64_t> Preempted(const Snapshot& snap) { return Schedule(snap).preempted; }

TEST(ScheduleTest, PreemptionOffPreemptsNothing) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 4)
                      .Run(1, "h1", 4).RunPriority(10)
                      .Group(1, 4).Priority(90)
                      .Build();
  Decisions d = Schedule(snap);
  EXPECT_THAT(d.placements, IsEmpty());
  EXPECT_THAT(d.preempted, IsEmpty());
}

TEST(ScheduleTest, PriorityPreemptionTakesNewestLowerPriorityRunsAndPlacesNothing) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .Host("h1", 8)
                      .Run(1, "h1", 2).RunPriority(10).Started(1)
                      .Run(2, "h1", 2).RunPriority(10).Started(3)
                      .Run(3, "h1", 2).RunPriority(10).Started(2)
                      .Run(4, "h1", 2).RunPriority(90).Started(4)
                      .Group(7, 4).Priority(50)
                      .Build();
  Decisions d = Schedule(snap);
  EXPECT_THAT(d.preempted, ElementsAre(2, 3));  // newest first; run 4 ranks above
  EXPECT_THAT(d.placements, IsEmpty());         // placed next cycle, once they have exited
}

TEST(ScheduleTest, PreemptionChoosesTheHostNeedingFewestVictimsThenLowestIndex) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .Host("two", 4)
                      .Host("one-a", 4)
                      .Host("one-b", 4)
                      .Run(1, "two", 2).RunPriority(10)
                      .Run(2, "two", 2).RunPriority(10)
                      .Run(3, "one-a", 1).RunPriority(10)
                      .Run(4, "one-a", 3).RunPriority(10)
                      .Run(5, "one-b", 4).RunPriority(10)
                      .Group(7, 3).Priority(50)
                      .Build();
  // "two" needs both runs; "one-a" frees 3 with its newest run (4) alone, as does "one-b";
  // one-a has the lower index.
  EXPECT_THAT(Preempted(snap), ElementsAre(4));
}

TEST(ScheduleTest, PreemptionSparesNonPreemptibleExcludedAndEqualRuns) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .ExcludeQueue("frozen")
                      .ExcludePool("drained")
                      .Host("h1", 4)
                      .Run(1, "h1", 1).RunPriority(10).NotPreemptible()
                      .Run(2, "h1", 1).RunPriority(10).RunIn("frozen")
                      .Run(3, "h1", 1).RunPriority(10).RunIn("default", "drained")
                      .Run(4, "h1", 1).RunPriority(50)
                      .Group(7, 1).Priority(50)
                      .Build();
  EXPECT_THAT(Preempted(snap), IsEmpty());
  snap.running[3].priority = 49;
  EXPECT_THAT(Preempted(snap), ElementsAre(4));
}

TEST(ScheduleTest, PreemptionStopsAtMaxPreemptions) {
  SnapshotBuilder b;
  b.Preempt(Preemption::kPriority, 3).Host("h1", 8);
  for (uint64_t r = 1; r <= 8; ++r) b.Run(r, "h1", 1).RunPriority(10);
  b.Group(7, 1).Priority(90).Count(8);
  EXPECT_THAT(Preempted(b.Build()), ElementsAre(8, 7, 6));
  // A victim set larger than what is left of the budget is not taken at all.
  SnapshotBuilder two;
  two.Preempt(Preemption::kPriority, 1).Host("h1", 2);
  two.Run(1, "h1", 1).RunPriority(10).Run(2, "h1", 1).RunPriority(10);
  two.Group(7, 2).Priority(90);
  EXPECT_THAT(Preempted(two.Build()), IsEmpty());
}

TEST(ScheduleTest, RoomFreedByPreemptionGoesOnlyToInstancesThatPreempt) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .Host("h1", 4)
                      .Host("h2", 1)
                      .Run(1, "h1", 4).RunPriority(10)
                      .Group(7, 2).Priority(90)
                      .Group(8, 1).Priority(80)
                      .Group(9, 1).Priority(70)
                      .Build();
  Decisions d = Schedule(snap);
  // Run 1 frees 4 cores for 7's 2. 8 goes to h2's free core. 9 is not placed on the 2 cores
  // run 1 still holds: it claims them, like an instance that preempts, for a later cycle.
  EXPECT_THAT(d.preempted, ElementsAre(1));
  EXPECT_THAT(Describe(snap, d), ElementsAre("8 on h2"));
}

TEST(ScheduleTest, RoomFreedByPreemptionBeyondTheNeedGoesToTheNextInstanceThatPreempts) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .Host("h1", 4)
                      .Host("h2", 2)
                      .Run(1, "h1", 4).RunPriority(10)
                      .Run(2, "h2", 2).RunPriority(10)
                      .Group(7, 2).Priority(90).Count(2)
                      .Build();
  // One victim either way; h1 has the lower index. The second instance then takes the other
  // half of what run 1 frees instead of preempting run 2.
  Decisions d = Schedule(snap);
  EXPECT_THAT(d.preempted, ElementsAre(1));
  EXPECT_THAT(d.placements, IsEmpty());
}

TEST(ScheduleTest, PreemptionOnlyForWhatSomeHostCouldEverHold) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .Host("h1", 4).Tagged({"linux"})
                      .Run(1, "h1", 4).RunPriority(10)
                      .Group(7, 8).Priority(90)
                      .Group(8, 1).Priority(90).Requires({"windows"})
                      .Group(9, 1).Priority(90).InPool("other")
                      .Build();
  snap.hosts[0].pools = {"default"};
  EXPECT_THAT(Preempted(snap), IsEmpty());
}

TEST(ScheduleTest, PreemptionCountsVictimsAgainstTheirQueuesBurstLimit) {
  // "low" is at its burst limit with run 1; once run 1 is preempted, its other group fits on h2.
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .Host("h1", 2)
                      .Host("h2", 1)
                      .Limit("low", "default", 0, 2)
                      .Holds("low", "default", 2)
                      .Run(1, "h1", 2).RunPriority(10).RunIn("low")
                      .Group(7, 2).Priority(90).InQueue("high")
                      .Group(8, 1).Priority(10).InQueue("low")
                      .Build();
  Decisions d = Schedule(snap);
  EXPECT_THAT(d.preempted, ElementsAre(1));
  EXPECT_THAT(Describe(snap, d), ElementsAre("8 on h2"));
}

TEST(ScheduleTest, GangsNeverPreempt) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kPriority)
                      .Host("h1", 2)
                      .Run(1, "h1", 2).RunPriority(10)
                      .Group(7, 1).Priority(90).Count(2).Gang()
                      .Build();
  Decisions d = Schedule(snap);
  EXPECT_THAT(d.preempted, IsEmpty());
  EXPECT_THAT(d.placements, IsEmpty());
}

TEST(ScheduleTest, FairSharePreemptionTakesFromAQueueThatStaysAbove) {
  // "hog" holds the whole host; "starved" holds nothing. After the move starved has 2 of 8 and
  // hog 6 of 8: still below, so hog's newest run goes; a second instance would make them 4
  // and 4, not strictly below, so it stops there.
  Snapshot snap = SnapshotBuilder()
                      .Policy(Policy::kFairShare)
                      .Preempt(Preemption::kFairShare)
                      .Host("h1", 8)
                      .Holds("hog", "default", 8)
                      .Run(1, "h1", 2).RunIn("hog").Started(1)
                      .Run(2, "h1", 2).RunIn("hog").Started(2)
                      .Run(3, "h1", 2).RunIn("hog").Started(3)
                      .Run(4, "h1", 2).RunIn("hog").Started(4)
                      .Group(7, 2).InQueue("starved").Count(3)
                      .Build();
  EXPECT_THAT(Preempted(snap), ElementsAre(4));
  // With twice the weight, starved may go on to 4 of 8 against hog's 4 (4/2 < 4/1), not to 6.
  snap.queues[snap.pending[0].queue].weight = 2;
  EXPECT_THAT(Preempted(snap), ElementsAre(4, 3));
}

TEST(ScheduleTest, FairSharePreemptionBySize) {
  // By share entitled (history 3 of the 4 cores) would end above over, but it holds less than
  // its size in the pool and over holds more than its own, so over's newest run goes.
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kFairShare)
                      .Host("h1", 4)
                      .History("entitled", 3)
                      .Holds("over", "default", 4)
                      .Limit("entitled", "default", 2)
                      .Limit("over", "default", 2)
                      .Run(1, "h1", 2).RunIn("over").Started(1)
                      .Run(2, "h1", 2).RunIn("over").Started(2)
                      .Group(7, 2).InQueue("entitled").Count(2)
                      .Build();
  // The second instance would need run 1, but by then entitled holds its size and over no more
  // than its own.
  EXPECT_THAT(Preempted(snap), ElementsAre(2));
  snap.limits[0].size = 0;  // entitled is not under its size any more
  EXPECT_THAT(Preempted(snap), IsEmpty());
}

TEST(ScheduleTest, FairSharePreemptionNeverTakesFromTheSameQueue) {
  Snapshot snap = SnapshotBuilder()
                      .Preempt(Preemption::kFairShare)
                      .Host("h1", 2)
                      .Holds("q", "default", 2)
                      .Run(1, "h1", 2).RunIn("q")
                      .Group(7, 2).InQueue("q")
                      .Build();
  EXPECT_THAT(Preempted(snap), IsEmpty());
}

// --- Determinism and cancellation ---

TEST(ScheduleTest, SameSnapshotGivesSameDecisionsWhateverTheOrderOfItsLists) {
  SnapshotBuilder b;
  b.Policy(Policy::kFairShare).Preempt(Preemption::kPriority);
  b.Host("a", 4, "8G").Host("b", 4, "8G").Host("c", 6, "4G");
  b.Holds("q1", "default", 1).Holds("q2", "default", 2).Limit("q1", "default", 0, 6);
  b.Run(1, "c", 1).RunIn("q1").RunPriority(10).Run(2, "c", 1).RunIn("q2").RunPriority(10);
  for (uint64_t key = 1; key <= 12; ++key) {
    b.Group(key, static_cast<double>(1 + key % 3), "1G").Order(key % 4).Count(2)
        .InQueue(key % 2 == 0 ? "q1" : "q2").Priority(key == 12 ? 90 : 50);
  }
  Snapshot snap = b.Build();
  Decisions first = Schedule(snap);
  ASSERT_FALSE(first.placements.empty());
  ASSERT_FALSE(first.preempted.empty());
  std::reverse(snap.pending.begin(), snap.pending.end());
  std::reverse(snap.held.begin(), snap.held.end());
  std::reverse(snap.running.begin(), snap.running.end());
  for (Policy policy : {Policy::kFifo, Policy::kPriority, Policy::kFairShare}) {
    snap.policy = policy;
    Snapshot shuffled = snap;
    std::reverse(shuffled.pending.begin(), shuffled.pending.end());
    std::reverse(shuffled.held.begin(), shuffled.held.end());
    std::reverse(shuffled.running.begin(), shuffled.running.end());
    EXPECT_EQ(Describe(snap, Schedule(snap)), Describe(snap, Schedule(shuffled)));
    EXPECT_EQ(Schedule(snap).preempted, Schedule(shuffled).preempted);
  }
}

TEST(ScheduleTest, CancellationReturnsEarly) {
  SnapshotBuilder b;
  for (int h = 0; h < 10; ++h) b.Host("h" + std::to_string(h), 1000);
  b.Group(1, 1).Count(5000);
  Snapshot snap = b.Build();
  std::atomic<bool> cancelled{false};
  EXPECT_EQ(Schedule(snap, &cancelled).placements.size(), 5000u);
  cancelled = true;
  for (Policy policy : {Policy::kFifo, Policy::kPriority, Policy::kFairShare}) {
    snap.policy = policy;
    EXPECT_THAT(Schedule(snap, &cancelled).placements, IsEmpty());
  }
}

// clang-format on

// --- WhyNotPlaced ---

std::string Why(const SnapshotBuilder& b) {
  Snapshot snap = b.Build();
  return WhyNotPlaced(snap, snap.pending.back());
}

TEST(ScheduleWhyNotPlacedTest, ExcludedQueueThenPool) {
  SnapshotBuilder b;
  b.Host("h1", 8).ExcludeQueue("frozen").ExcludePool("drained");
  b.Group(1, 1).InQueue("frozen").InPool("drained");
  EXPECT_EQ(Why(b), "queue frozen is excluded from scheduling");
  SnapshotBuilder pool;
  pool.Host("h1", 8).ExcludePool("drained").Group(1, 1).InPool("drained");
  EXPECT_EQ(Why(pool), "pool drained is excluded from scheduling");
}

TEST(ScheduleWhyNotPlacedTest, AtTheBurstLimit) {
  SnapshotBuilder b;
  b.Host("h1", 16).Limit("film", "dr1", 4, 8).Holds("film", "dr1", 8);
  b.Group(1, 1).InQueue("film").InPool("dr1");
  EXPECT_EQ(Why(b), "queue film is at its burst limit in pool dr1 (8 of 8 cores)");

  SnapshotBuilder gang;  // a gang counts all of its instances
  gang.Host("h1", 16).Limit("film", "dr1", 0, 8).Holds("film", "dr1", 2.5);
  gang.Group(1, 2).InQueue("film").InPool("dr1").Count(3).Gang();
  EXPECT_EQ(Why(gang), "queue film is at its burst limit in pool dr1 (2.5 of 8 cores)");
  gang.Count(2);
  EXPECT_EQ(Why(gang), "");
}

TEST(ScheduleWhyNotPlacedTest, NoLiveHostServesThePool) {
  SnapshotBuilder b;
  b.Host("cpu", 8).Serves({"cpu"}).Host("lost", 8).Serves({"gpu"}).Dead();
  b.Group(1, 1).InPool("gpu");
  EXPECT_EQ(Why(b), "no live host serves pool gpu");
}

TEST(ScheduleWhyNotPlacedTest, NoHostInThePoolHasTheTags) {
  SnapshotBuilder b;
  b.Host("n1", 8).Tagged({"linux"}).Host("n2", 8).Tagged({"nvme"});
  b.Host("n3", 8).Tagged({"linux", "nvme"}).Serves({"other"});
  b.Group(1, 1).InPool("dr1").Requires({"linux", "nvme"});
  EXPECT_EQ(Why(b), "no live host in pool dr1 has tags [linux, nvme]");
}

TEST(ScheduleWhyNotPlacedTest, NoHostIsBigEnoughNamesTheFirstResourceShort) {
  SnapshotBuilder cores;
  cores.Host("n1", 8, "64G").Host("n2", 4, "64G").Host("huge", 64, "64G").Dead();
  cores.Group(1, 16, "128G").InPool("dr1");
  EXPECT_EQ(Why(cores),
            "no live host in pool dr1 is big enough: needs 16 cores, the largest has 8");

  SnapshotBuilder memory;
  memory.Host("n1", 8, "32G").Host("n2", 4, "48G");
  memory.Group(1, 1, "64G").InPool("dr1");
  EXPECT_EQ(Why(memory),
            "no live host in pool dr1 is big enough: needs 64G memory, the largest has 48G");

  SnapshotBuilder gpus;
  gpus.Host("n1", 8, "8G", 1);
  gpus.Group(1, 0.5, "512M", 2).InPool("dr1");
  EXPECT_EQ(Why(gpus), "no live host in pool dr1 is big enough: needs 2 gpus, the largest has 1");

  SnapshotBuilder one;
  one.Host("n1", 0.5).Group(1, 1).InPool("dr1");
  EXPECT_EQ(Why(one), "no live host in pool dr1 is big enough: needs 1 core, the largest has 0.5");
}

TEST(ScheduleWhyNotPlacedTest, NoHostIsBigEnoughForEverythingTogether) {
  SnapshotBuilder b;
  b.Host("wide", 16, "8G").Host("deep", 4, "64G");
  b.Group(1, 8, "32G").InPool("dr1");
  EXPECT_EQ(Why(b),
            "no live host in pool dr1 is big enough: needs 8 cores and 32G memory together");
}

TEST(ScheduleWhyNotPlacedTest, NotEnoughFreeRightNowNamesTheMostFreeHost) {
  SnapshotBuilder cores;
  cores.Host("node1", 8).Free(1).Host("node2", 8).Free(2).Host("node3", 8).Free(2);
  cores.Group(1, 4).InPool("dr1");
  EXPECT_EQ(Why(cores),
            "no live host in pool dr1 has 4 cores free right now (most free: 2 on node2)");

  SnapshotBuilder memory;
  memory.Host("node1", 8, "8G").Free(8, "1536M").Host("node2", 8, "8G").Free(1, "512M");
  memory.Group(1, 0.5, "2G").InPool("dr1");
  EXPECT_EQ(Why(memory),
            "no live host in pool dr1 has 2G memory free right now (most free: 1.5G on node1)");

  SnapshotBuilder gpus;
  gpus.Host("node1", 8, "8G", 4).Free(8, "8G", 0).Host("node2", 8, "8G", 4).Free(8, "8G", 1);
  gpus.Group(1, 1, "1G", 3).InPool("dr1");
  EXPECT_EQ(Why(gpus),
            "no live host in pool dr1 has 3 gpus free right now (most free: 1 on node2)");

  SnapshotBuilder overcommitted;
  overcommitted.Host("node1", 8).Free(-2).Group(1, 0.5).InPool("dr1");
  EXPECT_EQ(Why(overcommitted),
            "no live host in pool dr1 has 0.5 cores free right now (most free: 0 on node1)");
}

TEST(ScheduleWhyNotPlacedTest, EachFreeSomewhereButNotTogether) {
  SnapshotBuilder b;
  b.Host("node1", 8, "8G").Free(4, "1G").Host("node2", 8, "8G").Free(1, "6G");
  b.Group(1, 2, "4G").InPool("dr1");
  EXPECT_EQ(Why(b), "no live host in pool dr1 has 2 cores and 4G memory free together right now");
}

TEST(ScheduleWhyNotPlacedTest, EmptyWhenItCouldBePlacedNow) {
  SnapshotBuilder b;
  b.Host("node1", 8, "8G", 1).Tagged({"linux"}).Serves({"dr1"});
  b.Group(1, 8, "8G", 1).InPool("dr1").Requires({"linux"});
  EXPECT_EQ(Why(b), "");
}

}  // namespace
}  // namespace rota::sched
