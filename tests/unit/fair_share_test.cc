#include "sched/fair_share.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>


namespace rota::sched {
namespace {


constexpr int64_t kG = int64_t{1} << 30;

Amount Res(double cores, int64_t memory_gib = 0, int gpus = 0) {
  return Amount{cores, memory_gib * kG, gpus};
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

}  // namespace
}  // namespace rota::sched
