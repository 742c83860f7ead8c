#include "sched/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/units.h"

namespace rota::sched {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kG = int64_t{1} << 30;

int64_t Size(std::string_view text) { return ParseSize(text).value(); }

// PendingView points at its pool and tags; these keep them alive for the whole test binary.
std::string_view InternPool(const std::string& pool) {
  static std::set<std::string> pools;
  return *pools.insert(pool).first;
}
const std::vector<std::string>* InternTags(const std::vector<std::string>& tags) {
  static std::set<std::vector<std::string>> all;
  return &*all.insert(tags).first;
}

// Hosts and pending instances in a few words. Modifiers apply to the host or instance added last.
// Pending instances default to pool "default", priority 50 and submission order as added.
class SnapshotBuilder {
 public:
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
    snap_.hosts.back().pools = std::move(pools);
    return *this;
  }
  SnapshotBuilder& Dead() {
    snap_.hosts.back().alive = false;
    return *this;
  }

  SnapshotBuilder& Pending(uint64_t ref, double cores, std::string_view memory = "0",
                           int gpus = 0) {
    PendingView p;
    p.ref = ref;
    p.pool = InternPool("default");
    p.order = snap_.pending.size();
    p.need = Amount{cores, Size(memory), gpus};
    snap_.pending.push_back(p);
    return *this;
  }
  SnapshotBuilder& Pool(const std::string& pool) {
    snap_.pending.back().pool = InternPool(pool);
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
    snap_.pending.back().tags = InternTags(tags);
    return *this;
  }

  Snapshot Build() const { return snap_; }

 private:
  Snapshot snap_;
};

// Placements as "ref on host", in the order made.
std::vector<std::string> Placed(const Snapshot& snap) {
  std::vector<std::string> out;
  for (const Placement& p : Schedule(snap)) {
    out.push_back(std::to_string(p.ref) + " on " + snap.hosts[p.host].name);
  }
  return out;
}

// Builder chains read one host or instance per line, with what applies to it.
// clang-format off
TEST(ScheduleTest, NothingPendingOrNoHostsPlacesNothing) {
  EXPECT_THAT(Placed(SnapshotBuilder().Host("h1", 4).Build()), IsEmpty());
  EXPECT_THAT(Placed(SnapshotBuilder().Pending(1, 1).Build()), IsEmpty());
}

TEST(ScheduleTest, HigherPriorityGoesFirst) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 4)
                      .Pending(1, 4).Priority(50)
                      .Pending(2, 4).Priority(90)
                      .Pending(3, 4).Priority(10)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1"));
}

TEST(ScheduleTest, EqualPriorityGoesBySubmissionOrderThenRef) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 3)
                      .Pending(1, 1).Order(9)
                      .Pending(5, 1).Order(3)
                      .Pending(4, 1).Order(3)
                      .Pending(2, 1).Order(1)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1", "4 on h1", "5 on h1"));
}

TEST(ScheduleTest, PlacementsComeInTheOrderMadeNotTheSnapshotOrder) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 8)
                      .Pending(1, 1).Priority(10)
                      .Pending(2, 1).Priority(90)
                      .Pending(3, 1).Priority(50)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1", "3 on h1", "1 on h1"));
}

TEST(ScheduleTest, BestFitPicksTheHostLeftWithTheFewestFreeCores) {
  Snapshot snap = SnapshotBuilder()
                      .Host("big", 16).Free(8)
                      .Host("small", 16).Free(2)
                      .Host("medium", 4)
                      .Pending(1, 2)
                      .Pending(2, 3)
                      .Pending(3, 6)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on small", "2 on medium", "3 on big"));
}

TEST(ScheduleTest, BestFitPacksSoThatALaterLargeInstanceStillFits) {
  // First fit would put the 1-core instance on "a" and leave no room for the 8-core one.
  Snapshot snap = SnapshotBuilder()
                      .Host("a", 8)
                      .Host("b", 2)
                      .Pending(1, 1)
                      .Pending(2, 8)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on b", "2 on a"));
}

TEST(ScheduleTest, EqualCoresLeftBreakTiesByMemoryThenHostIndex) {
  Snapshot by_memory = SnapshotBuilder()
                           .Host("roomy", 4, "16G")
                           .Host("tight", 4, "4G")
                           .Pending(1, 1, "1G")
                           .Build();
  EXPECT_THAT(Placed(by_memory), ElementsAre("1 on tight"));

  Snapshot by_index = SnapshotBuilder()
                          .Host("first", 4, "8G")
                          .Host("second", 4, "8G")
                          .Pending(1, 1, "1G")
                          .Pending(2, 1, "1G")
                          .Build();
  // After the first placement "first" is the tighter one, so it takes the second as well.
  EXPECT_THAT(Placed(by_index), ElementsAre("1 on first", "2 on first"));
}

TEST(ScheduleTest, MemoryLimitsPlacementAndIsUsedUp) {
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 8, "4G").Free(8, "3584M")
                      .Pending(1, 1, "3G")
                      .Pending(2, 1, "1G")
                      .Pending(3, 1, "512M")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on h1", "3 on h1"));
}

TEST(ScheduleTest, GpuLimitsPlacementAndZeroGpusFitAnywhere) {
  Snapshot snap = SnapshotBuilder()
                      .Host("cpu", 4, "8G")
                      .Host("gpu", 8, "8G", 2)
                      .Pending(1, 1, "1G", 1)
                      .Pending(2, 1, "1G", 1)
                      .Pending(3, 1, "1G", 1)
                      .Pending(4, 1, "1G")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on gpu", "2 on gpu", "4 on cpu"));
}

TEST(ScheduleTest, RequiredTagsMustAllBeOnTheHost) {
  Snapshot snap = SnapshotBuilder()
                      .Host("plain", 2)
                      .Host("nvme", 8).Tagged({"nvme"})
                      .Host("both", 16).Tagged({"linux", "nvme", "ssd"})
                      .Pending(1, 1).Requires({"nvme"})
                      .Pending(2, 1).Requires({"linux", "nvme"})
                      .Pending(3, 1).Requires({"windows"})
                      .Pending(4, 1).Requires({})
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on nvme", "2 on both", "4 on plain"));
}

TEST(ScheduleTest, HostsWithoutPoolsServeEveryPool) {
  Snapshot snap = SnapshotBuilder()
                      .Host("render-only", 2).Serves({"render"})
                      .Host("gpu-only", 2).Serves({"gpu", "sim"})
                      .Host("any", 8)
                      .Pending(1, 1).Pool("render")
                      .Pending(2, 1).Pool("sim")
                      .Pending(3, 1).Pool("comp")
                      .Pending(4, 1)
                      .Build();
  EXPECT_THAT(Placed(snap),
              ElementsAre("1 on render-only", "2 on gpu-only", "3 on any", "4 on any"));
}

TEST(ScheduleTest, DeadHostsAreNeverChosen) {
  Snapshot snap = SnapshotBuilder()
                      .Host("lost", 1).Dead()
                      .Host("live", 2)
                      .Pending(1, 1)
                      .Pending(2, 1)
                      .Pending(3, 1)
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("1 on live", "2 on live"));
}

TEST(ScheduleTest, FractionalCoresAddUpWithoutDrift) {
  SnapshotBuilder quarters;
  quarters.Host("h1", 1);
  for (uint64_t ref = 1; ref <= 5; ++ref) quarters.Pending(ref, 0.25);
  EXPECT_THAT(Placed(quarters.Build()),
              ElementsAre("1 on h1", "2 on h1", "3 on h1", "4 on h1"));

  // 0.1 is not exact in binary: 2 - 0.1 - ... (19 times) is a hair below 0.1, and the twentieth
  // must still fit; a twenty-first must not.
  SnapshotBuilder tenths;
  tenths.Host("h1", 2);
  for (uint64_t ref = 1; ref <= 21; ++ref) tenths.Pending(ref, 0.1);
  EXPECT_EQ(Placed(tenths.Build()).size(), 20u);
}

TEST(ScheduleTest, AZeroNeedFitsAFullHost) {
  Snapshot snap = SnapshotBuilder()
                      .Host("full", 4, "4G").Free(0, "2G")
                      .Host("overcommitted", 4, "4G").Free(-1, "0")
                      .Pending(1, 1)
                      .Pending(2, 0, "1G")
                      .Pending(3, 0)
                      .Build();
  snap.hosts[1].free.memory = -kG;  // the engine's view may be over-committed too
  snap.hosts[1].free.gpus = -1;
  EXPECT_THAT(Placed(snap), ElementsAre("2 on full", "3 on overcommitted"));

  Snapshot only_overcommitted = SnapshotBuilder()
                                    .Host("h1", 4).Free(-1)
                                    .Pending(1, 1)
                                    .Pending(2, 0)
                                    .Build();
  EXPECT_THAT(Placed(only_overcommitted), ElementsAre("2 on h1"));
}

TEST(ScheduleTest, AFailedShapeDoesNotBlockOthers) {
  // 1 and 3 are the same shape: once 1 fails, 3 is skipped; 2 and 4 still go.
  Snapshot snap = SnapshotBuilder()
                      .Host("h1", 4, "4G")
                      .Pending(1, 8, "1G")
                      .Pending(2, 2, "1G")
                      .Pending(3, 8, "1G")
                      .Pending(4, 2, "1G").Pool("other")
                      .Build();
  EXPECT_THAT(Placed(snap), ElementsAre("2 on h1", "4 on h1"));
}

TEST(ScheduleTest, SameSnapshotGivesSamePlacementsWhateverThePendingOrder) {
  SnapshotBuilder b;
  b.Host("a", 4, "8G").Host("b", 4, "8G").Host("c", 6, "4G");
  for (uint64_t ref = 1; ref <= 12; ++ref) b.Pending(ref, static_cast<double>(1 + ref % 3), "1G").Order(ref % 4);
  Snapshot snap = b.Build();
  std::vector<std::string> first = Placed(snap);
  EXPECT_EQ(Placed(snap), first);
  std::reverse(snap.pending.begin(), snap.pending.end());
  EXPECT_EQ(Placed(snap), first);
  // By order then ref: 4 8 12 | 1 5 9 | 2 6 10 | 3 7 11, needing 2 3 1 | 2 3 1 | 3 1 2 | 1 2 3.
  EXPECT_THAT(first, ElementsAre("4 on a", "8 on b", "12 on b", "1 on a", "5 on c", "9 on c",
                                 "6 on c", "3 on c"));
}

// clang-format on

// --- Property: over many random snapshots, a naive replay agrees with every decision. ---

const std::vector<std::string> kTagSets[] = {{}, {"x"}, {"y"}, {"x", "y"}, {"x", "y", "z"}};
const std::string kPools[] = {"a", "b", "c"};

int Int(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// Amounts in quarters of a core and halves of a gigabyte: sums are exact, so the replay can
// compare with ==.
Amount RandomAmount(std::mt19937& rng, int max_quarters, int max_half_gigs, int max_gpus) {
  return Amount{Int(rng, 0, max_quarters) * 0.25, Int(rng, 0, max_half_gigs) * (kG / 2),
                Int(rng, 0, max_gpus)};
}

Snapshot RandomSnapshot(std::mt19937& rng) {
  Snapshot snap;
  int hosts = Int(rng, 0, 6);
  for (int i = 0; i < hosts; ++i) {
    HostView h;
    h.name = "h" + std::to_string(i);
    h.total = RandomAmount(rng, 32, 16, 2);
    h.free = Amount{h.total.cores * Int(rng, 0, 4) / 4, h.total.memory / Int(rng, 1, 2),
                    Int(rng, 0, h.total.gpus)};
    if (Int(rng, 0, 2) == 0) h.tags = kTagSets[Int(rng, 0, 4)];
    for (const std::string& p : kPools) {
      if (Int(rng, 0, 2) == 0) h.pools.push_back(p);
    }
    h.alive = Int(rng, 0, 9) != 0;
    snap.hosts.push_back(h);
  }
  int pending = Int(rng, 0, 40);
  for (int i = 0; i < pending; ++i) {
    PendingView p;
    p.ref = 1000 - i;  // unique, and not in snapshot order
    p.pool = kPools[Int(rng, 0, 2)];
    p.priority = Int(rng, 0, 2) * 40 + 10;
    p.order = Int(rng, 0, 10);
    p.need = RandomAmount(rng, 12, 6, 1);
    int tags = Int(rng, -1, 4);
    p.tags = tags < 0 ? nullptr : &kTagSets[tags];
    snap.pending.push_back(p);
  }
  return snap;
}

bool Fits(const HostView& h, const Amount& free, const PendingView& p) {
  bool pool = h.pools.empty() || std::count(h.pools.begin(), h.pools.end(), p.pool) > 0;
  bool tags =
      p.tags == nullptr || std::all_of(p.tags->begin(), p.tags->end(), [&](const std::string& t) {
        return std::count(h.tags.begin(), h.tags.end(), t) > 0;
      });
  return h.alive && pool && tags && free.cores >= p.need.cores && free.memory >= p.need.memory &&
         free.gpus >= p.need.gpus;
}

// Walks the pending instances in the documented order with the placements made, checking each
// decision against a brute-force best fit on what is left at that point.
void CheckAgainstReplay(const Snapshot& snap, const std::vector<Placement>& placements) {
  std::map<uint64_t, size_t> placed_at;  // ref -> position in `placements`
  for (size_t i = 0; i < placements.size(); ++i) {
    ASSERT_TRUE(placed_at.emplace(placements[i].ref, i).second) << "placed twice";
    ASSERT_LT(placements[i].host, snap.hosts.size());
  }
  std::vector<PendingView> order = snap.pending;
  std::sort(order.begin(), order.end(), [](const PendingView& a, const PendingView& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.order != b.order) return a.order < b.order;
    return a.ref < b.ref;
  });
  std::vector<Amount> free;
  for (const HostView& h : snap.hosts) free.push_back(h.free);
  size_t next = 0;
  for (const PendingView& p : order) {
    int best = -1;
    for (size_t h = 0; h < snap.hosts.size(); ++h) {
      if (!Fits(snap.hosts[h], free[h], p)) continue;
      if (best < 0 || free[h].cores < free[best].cores ||
          (free[h].cores == free[best].cores && free[h].memory < free[best].memory)) {
        best = static_cast<int>(h);
      }
    }
    auto it = placed_at.find(p.ref);
    if (it == placed_at.end()) {
      EXPECT_EQ(best, -1) << "ref " << p.ref << " was skipped but fits " << snap.hosts[best].name;
      continue;
    }
    ASSERT_EQ(it->second, next++) << "ref " << p.ref << " placed out of order";
    uint32_t host = placements[it->second].host;
    ASSERT_TRUE(Fits(snap.hosts[host], free[host], p)) << "ref " << p.ref << " does not fit";
    EXPECT_EQ(static_cast<int>(host), best) << "ref " << p.ref << " is not on the best fit";
    free[host].cores -= p.need.cores;
    free[host].memory -= p.need.memory;
    free[host].gpus -= p.need.gpus;
    EXPECT_GE(free[host].cores, 0);
    EXPECT_GE(free[host].memory, 0);
    EXPECT_GE(free[host].gpus, 0);
  }
  EXPECT_EQ(next, placements.size()) << "placed a ref that is not pending";
}

TEST(SchedulePropertyTest, RandomSnapshotsAgreeWithANaiveReplay) {
  std::mt19937 rng(20260301);
  for (int i = 0; i < 3000; ++i) {
    Snapshot snap = RandomSnapshot(rng);
    SCOPED_TRACE("case " + std::to_string(i));
    std::vector<Placement> placements = Schedule(snap);
    CheckAgainstReplay(snap, placements);
    if (HasFatalFailure() || HasFailure()) return;
  }
}

// --- WhyNotPlaced ---

std::string Why(const SnapshotBuilder& b) {
  Snapshot snap = b.Build();
  return WhyNotPlaced(snap, snap.pending.back());
}

TEST(ScheduleWhyNotPlacedTest, NoLiveHostServesThePool) {
  SnapshotBuilder b;
  b.Host("cpu", 8).Serves({"cpu"}).Host("lost", 8).Serves({"gpu"}).Dead();
  b.Pending(1, 1).Pool("gpu");
  EXPECT_EQ(Why(b), "no live host serves pool gpu");
}

TEST(ScheduleWhyNotPlacedTest, NoHostInThePoolHasTheTags) {
  SnapshotBuilder b;
  b.Host("n1", 8).Tagged({"linux"}).Host("n2", 8).Tagged({"nvme"});
  b.Host("n3", 8).Tagged({"linux", "nvme"}).Serves({"other"});
  b.Pending(1, 1).Pool("dr1").Requires({"linux", "nvme"});
  EXPECT_EQ(Why(b), "no live host in pool dr1 has tags [linux, nvme]");
}

TEST(ScheduleWhyNotPlacedTest, NoHostIsBigEnoughNamesTheFirstResourceShort) {
  SnapshotBuilder cores;
  cores.Host("n1", 8, "64G").Host("n2", 4, "64G").Host("huge", 64, "64G").Dead();
  cores.Pending(1, 16, "128G").Pool("dr1");
  EXPECT_EQ(Why(cores),
            "no live host in pool dr1 is big enough: needs 16 cores, the largest has 8");

  SnapshotBuilder memory;
  memory.Host("n1", 8, "32G").Host("n2", 4, "48G");
  memory.Pending(1, 1, "64G").Pool("dr1");
  EXPECT_EQ(Why(memory),
            "no live host in pool dr1 is big enough: needs 64G memory, the largest has 48G");

  SnapshotBuilder gpus;
  gpus.Host("n1", 8, "8G", 1);
  gpus.Pending(1, 0.5, "512M", 2).Pool("dr1");
  EXPECT_EQ(Why(gpus), "no live host in pool dr1 is big enough: needs 2 gpus, the largest has 1");

  SnapshotBuilder one;
  one.Host("n1", 0.5).Pending(1, 1).Pool("dr1");
  EXPECT_EQ(Why(one), "no live host in pool dr1 is big enough: needs 1 core, the largest has 0.5");
}

TEST(ScheduleWhyNotPlacedTest, NoHostIsBigEnoughForEverythingTogether) {
  SnapshotBuilder b;
  b.Host("wide", 16, "8G").Host("deep", 4, "64G");
  b.Pending(1, 8, "32G").Pool("dr1");
  EXPECT_EQ(Why(b),
            "no live host in pool dr1 is big enough: needs 8 cores and 32G memory together");
}

TEST(ScheduleWhyNotPlacedTest, NotEnoughFreeRightNowNamesTheMostFreeHost) {
  SnapshotBuilder cores;
  cores.Host("node1", 8).Free(1).Host("node2", 8).Free(2).Host("node3", 8).Free(2);
  cores.Pending(1, 4).Pool("dr1");
  EXPECT_EQ(Why(cores),
            "no live host in pool dr1 has 4 cores free right now (most free: 2 on node2)");

  SnapshotBuilder memory;
  memory.Host("node1", 8, "8G").Free(8, "1536M").Host("node2", 8, "8G").Free(1, "512M");
  memory.Pending(1, 0.5, "2G").Pool("dr1");
  EXPECT_EQ(Why(memory),
            "no live host in pool dr1 has 2G memory free right now (most free: 1.5G on node1)");

  SnapshotBuilder gpus;
  gpus.Host("node1", 8, "8G", 4).Free(8, "8G", 0).Host("node2", 8, "8G", 4).Free(8, "8G", 1);
  gpus.Pending(1, 1, "1G", 3).Pool("dr1");
  EXPECT_EQ(Why(gpus),
            "no live host in pool dr1 has 3 gpus free right now (most free: 1 on node2)");

  SnapshotBuilder overcommitted;
  overcommitted.Host("node1", 8).Free(-2).Pending(1, 0.5).Pool("dr1");
  EXPECT_EQ(Why(overcommitted),
            "no live host in pool dr1 has 0.5 cores free right now (most free: 0 on node1)");
}

TEST(ScheduleWhyNotPlacedTest, EachFreeSomewhereButNotTogether) {
  SnapshotBuilder b;
  b.Host("node1", 8, "8G").Free(4, "1G").Host("node2", 8, "8G").Free(1, "6G");
  b.Pending(1, 2, "4G").Pool("dr1");
  EXPECT_EQ(Why(b), "no live host in pool dr1 has 2 cores and 4G memory free together right now");
}

TEST(ScheduleWhyNotPlacedTest, EmptyWhenItCouldBePlacedNow) {
  SnapshotBuilder b;
  b.Host("node1", 8, "8G", 1).Tagged({"linux"}).Serves({"dr1"});
  b.Pending(1, 8, "8G", 1).Pool("dr1").Requires({"linux"});
  EXPECT_EQ(Why(b), "");

  // And whenever Schedule places an instance alone, WhyNotPlaced agrees.
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    Snapshot snap = RandomSnapshot(rng);
    for (const PendingView& p : snap.pending) {
      Snapshot alone = snap;
      alone.pending = {p};
      EXPECT_EQ(WhyNotPlaced(snap, p).empty(), !Schedule(alone).empty()) << "case " << i;
    }
  }
}

}  // namespace
}  // namespace rota::sched
