#include "sched/fair_share.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace rota::sched {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

constexpr int64_t kG = int64_t{1} << 30;

Amount Res(double cores, int64_t memory_gib = 0, int gpus = 0) {
  return Amount{cores, memory_gib * kG, gpus};
}

FairClock::time_point At(double seconds) {
  return FairClock::time_point{} +
         std::chrono::duration_cast<FairClock::duration>(std::chrono::duration<double>(seconds));
}

// --- DominantShare ---

TEST(FairShareDominantShare, TakesTheLargestResourceFraction) {
  EXPECT_DOUBLE_EQ(DominantShare(Res(1, 4), Res(9, 18)), 4.0 / 18);
  EXPECT_DOUBLE_EQ(DominantShare(Res(3, 1), Res(9, 18)), 3.0 / 9);
  EXPECT_DOUBLE_EQ(DominantShare(Res(2, 1, 3), Res(8, 16, 4)), 0.75);
}

TEST(FairShareDominantShare, IgnoresResourcesWithNoCapacity) {
  EXPECT_DOUBLE_EQ(DominantShare(Res(2, 1, 5), Res(8, 16, 0)), 0.25);
  EXPECT_DOUBLE_EQ(DominantShare(Res(2, 1, 5), Amount{}), 0.0);
  EXPECT_DOUBLE_EQ(DominantShare(Amount{}, Res(8, 16, 4)), 0.0);
}

TEST(FairShareDominantShare, AcceptsFractionalUsage) {
  EXPECT_DOUBLE_EQ(DominantShare(Usage{0, 0, 0.5}, Res(8, 16, 4)), 0.125);
}

// --- DecayingUsage ---

TEST(FairShareDecayingUsage, HalvesAfterOneHalfLifeAndQuartersAfterTwo) {
  DecayingUsage usage(60s);
  usage.Add("film", Res(8, 32, 4), At(0));
  Usage one = usage.Value("film", At(60));
  EXPECT_DOUBLE_EQ(one.cores, 4);
  EXPECT_DOUBLE_EQ(one.memory, 16.0 * kG);
  EXPECT_DOUBLE_EQ(one.gpus, 2);
  Usage two = usage.Value("film", At(120));
  EXPECT_DOUBLE_EQ(two.cores, 2);
  EXPECT_DOUBLE_EQ(two.gpus, 1);
  EXPECT_DOUBLE_EQ(usage.Value("film", At(0)).cores, 8);
}

TEST(FairShareDecayingUsage, AddAccumulatesOnTheDecayedValue) {
  DecayingUsage usage(60s);
  usage.Add("film", Res(8), At(0));
  usage.Add("film", Res(8), At(0));
  EXPECT_DOUBLE_EQ(usage.Value("film", At(0)).cores, 16);
  usage.Add("film", Res(4), At(60));  // 16 -> 8, plus 4
  EXPECT_DOUBLE_EQ(usage.Value("film", At(60)).cores, 12);
  EXPECT_DOUBLE_EQ(usage.Value("film", At(120)).cores, 6);
}

TEST(FairShareDecayingUsage, KeepsQueuesApartAndUnknownQueuesAtZero) {
  DecayingUsage usage(60s);
  usage.Add("film", Res(8), At(0));
  usage.Add("tv", Res(2), At(0));
  EXPECT_DOUBLE_EQ(usage.Value("film", At(60)).cores, 4);
  EXPECT_DOUBLE_EQ(usage.Value("tv", At(60)).cores, 1);
  EXPECT_DOUBLE_EQ(usage.Value("ads", At(60)).cores, 0);
}

TEST(FairShareDecayingUsage, HalfLifeZeroRemembersOnlyTheCurrentInstant) {
  DecayingUsage usage;  // half-life 0
  usage.Add("film", Res(8), At(10));
  EXPECT_DOUBLE_EQ(usage.Value("film", At(10)).cores, 8);
  EXPECT_DOUBLE_EQ(usage.Value("film", At(10.001)).cores, 0);
  usage.Add("film", Res(2), At(11));
  EXPECT_DOUBLE_EQ(usage.Value("film", At(11)).cores, 2);
}

TEST(FairShareDecayingUsage, EarlierTimeDoesNotGrowTheValue) {
  DecayingUsage usage(60s);
  usage.Add("film", Res(8), At(60));
  EXPECT_DOUBLE_EQ(usage.Value("film", At(0)).cores, 8);
  usage.Add("film", Res(2), At(0));  // treated as at 60
  EXPECT_DOUBLE_EQ(usage.Value("film", At(120)).cores, 5);
}

TEST(FairShareDecayingUsage, NewHalfLifeAppliesFromTheLastUpdate) {
  DecayingUsage usage(60s);
  usage.Add("film", Res(8), At(0));
  usage.SetHalfLife(30s);
  EXPECT_EQ(usage.half_life(), FairClock::duration(30s));
  EXPECT_DOUBLE_EQ(usage.Value("film", At(60)).cores, 2);
}

// --- FairOrder ---

TEST(FairShareFairOrder, LowestShareOverWeightFirst) {
  std::vector<QueueShare> queues = {{"film", 3, 0.6}, {"tv", 1, 0.3}, {"ads", 1, 0.1}};
  // film 0.2, tv 0.3, ads 0.1
  EXPECT_THAT(FairOrder(queues), ElementsAre(2, 0, 1));
}

TEST(FairShareFairOrder, EqualRatiosTieByName) {
  std::vector<QueueShare> queues = {{"tv", 2, 0.2}, {"film", 1, 0.1}, {"ads", 1, 0.5}};
  EXPECT_THAT(FairOrder(queues), ElementsAre(1, 0, 2));
  std::vector<QueueShare> zero = {{"c", 1, 0}, {"a", 5, 0}, {"b", 2, 0}};
  EXPECT_THAT(FairOrder(zero), ElementsAre(1, 2, 0));
}

TEST(FairShareFairOrder, EmptyAndDeterministic) {
  EXPECT_TRUE(FairOrder({}).empty());
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> share(0, 1);
  std::vector<QueueShare> queues;
  for (int i = 0; i < 50; ++i) {
    queues.push_back({"q" + std::to_string(i % 10), 1.0 + i % 3, std::round(share(rng) * 4) / 4});
  }
  std::vector<size_t> first = FairOrder(queues);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(FairOrder(queues), first);
}

// --- Allocate ---

TEST(FairShareAllocate, DrfPaperExample) {
  // Ghodsi et al.: 9 CPUs, 18 GB; A <1 CPU, 4 GB>, B <3 CPU, 1 GB>.
  std::vector<QueueDemand> queues = {{"A", 1, Res(1, 4)}, {"B", 1, Res(3, 1)}};
  EXPECT_THAT(Allocate(queues, Res(9, 18)), ElementsAre(3, 2));
}

TEST(FairShareAllocate, WeightsSplitInProportion) {
  std::vector<QueueDemand> queues = {{"film", 3, Res(1)}, {"tv", 1, Res(1)}};
  EXPECT_THAT(Allocate(queues, Res(8)), ElementsAre(6, 2));
}

TEST(FairShareAllocate, GivesTheRestToQueuesThatStillFit) {
  // 10 cores. "big" (4 a task) wins the tie at 0 by name; "small" (1 a task) catches up to 0.4
  // at 4 tasks; the tie goes to "big" again but only 2 cores are left, so "small" takes them.
  std::vector<QueueDemand> queues = {{"big", 1, Res(4)}, {"small", 1, Res(1)}};
  EXPECT_THAT(Allocate(queues, Res(10)), ElementsAre(1, 6));
  std::vector<QueueDemand> gpu = {{"gpu", 1, Res(1, 0, 1)}, {"cpu", 1, Res(1)}};
  EXPECT_THAT(Allocate(gpu, Res(10, 0, 2)), ElementsAre(2, 8));
}

TEST(FairShareAllocate, EmptyTasksAndNothingThatFits) {
  std::vector<QueueDemand> queues = {{"none", 1, Amount{}}, {"huge", 1, Res(100)}};
  EXPECT_THAT(Allocate(queues, Res(10)), ElementsAre(0, 0));
  EXPECT_TRUE(Allocate({}, Res(10)).empty());
}

TEST(FairShareAllocate, TiesGoByName) {
  // Only one task fits; both queues are at share 0 with equal weight: "a" wins wherever it is.
  std::vector<QueueDemand> queues = {{"b", 1, Res(1)}, {"a", 1, Res(1)}};
  EXPECT_THAT(Allocate(queues, Res(1)), ElementsAre(0, 1));
}

// Property (issue 4): under saturation each queue's dominant share, as a fraction of the sum of
// dominant shares, is within 5% (absolute) of its weight share. The generator keeps tasks
// fine-grained: every resource a task uses is between 0.5% and 1% of capacity. With coarser tasks,
// or tasks that need (almost) nothing of the bottleneck resource, pure DRF lets the queues that
// still fit keep taking tasks after the others are blocked, and the property does not hold.
TEST(FairShareAllocate, PropertyDominantSharesFollowWeights) {
  std::mt19937 rng(20261124);
  std::uniform_int_distribution<int> queue_count(2, 5);
  std::uniform_real_distribution<double> weight(0.5, 10);
  std::uniform_real_distribution<double> fraction(0.005, 0.01);
  std::bernoulli_distribution with_gpus(0.5);
  double worst = 0;
  for (int c = 0; c < 3000; ++c) {
    bool gpus = with_gpus(rng);
    Amount capacity{10000, 10000 * kG, gpus ? 2000 : 0};
    std::vector<QueueDemand> queues;
    int n = queue_count(rng);
    double weight_sum = 0;
    for (int i = 0; i < n; ++i) {
      Amount task{std::round(fraction(rng) * capacity.cores),
                  static_cast<int64_t>(fraction(rng) * static_cast<double>(capacity.memory)),
                  gpus ? static_cast<int>(std::round(fraction(rng) * capacity.gpus)) : 0};
      queues.push_back({"q" + std::to_string(i), weight(rng), task});
      weight_sum += queues.back().weight;
    }
    std::vector<int64_t> tasks = Allocate(queues, capacity);
    ASSERT_EQ(Allocate(queues, capacity), tasks) << "case " << c;  // deterministic
    std::vector<double> shares;
    double share_sum = 0;
    Amount used;
    for (int i = 0; i < n; ++i) {
      const Amount& t = queues[i].task;
      Amount held{t.cores * static_cast<double>(tasks[i]), t.memory * tasks[i],
                  static_cast<int>(t.gpus * tasks[i])};
      used.cores += held.cores;
      used.memory += held.memory;
      used.gpus += held.gpus;
      shares.push_back(DominantShare(held, capacity));
      share_sum += shares.back();
    }
    ASSERT_LE(used.cores, capacity.cores) << "case " << c;
    ASSERT_LE(used.memory, capacity.memory) << "case " << c;
    ASSERT_LE(used.gpus, capacity.gpus) << "case " << c;
    for (int i = 0; i < n; ++i) {
      // Saturated: no queue's next task fits any more.
      const Amount& t = queues[i].task;
      ASSERT_FALSE(used.cores + t.cores <= capacity.cores &&
                   used.memory + t.memory <= capacity.memory && used.gpus + t.gpus <= capacity.gpus)
          << "case " << c << " queue " << i;
      double error = std::abs(shares[i] / share_sum - queues[i].weight / weight_sum);
      worst = std::max(worst, error);
      ASSERT_LE(error, 0.05) << "case " << c << " queue " << i;
    }
  }
  RecordProperty("worst_error", std::to_string(worst));
  std::printf("worst |share fraction - weight fraction| = %.4f\n", worst);
}

}  // namespace
}  // namespace rota::sched
