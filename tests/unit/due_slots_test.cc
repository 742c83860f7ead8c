// DueSlots (issue 11): what a periodic schedule fires and misses when its server comes back after
// three days down, per catch-up policy; the start window; a clock stepped back; jitter; and the
// collapse of a huge number of missed slots.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "calendar/cron_expr.h"
#include "calendar/due_slots.h"

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

UnixSeconds At(const char* rfc3339) {
  int y, mo, d, h, mi, s;
  EXPECT_EQ(std::sscanf(rfc3339, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6) << rfc3339;
  using namespace std::chrono;
  const sys_days day = sys_days(year(y) / month(static_cast<unsigned>(mo)) / static_cast<unsigned>(d));
  return int64_t{day.time_since_epoch().count()} * 86400 + h * 3600 + mi * 60 + s;
}

CalendarSpec Cron(const char* text) {
  Result<CalendarSpec> spec = ParseCron(text);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  return spec.ok() ? *spec : CalendarSpec{};
}

DuePlan Plan(const char* cron, SlotPolicy policy, const char* after, const char* now) {
  return DueSlots(Cron(cron), TimeZone::Utc(), policy, "nightly", At(after), At(now));
}

SlotPolicy Policy(CatchUp catch_up, int64_t max = 100, int64_t window = 0) {
  SlotPolicy p;
  p.catch_up = catch_up;
  p.catch_up_max = max;
  p.start_window = window;
  return p;
}

// The server handled 2026-01-01 02:00, then was down until 2026-01-04 12:00: three slots passed.
constexpr const char* kLast = "2026-01-01T02:00:00Z";
constexpr const char* kBack = "2026-01-04T12:00:00Z";

TEST(DueSlotsTest, SkipRunsNoneOfTheSlotsMissedWhileDown) {
  const DuePlan plan = Plan("0 2 * * *", Policy(CatchUp::kSkip), kLast, kBack);
  EXPECT_THAT(plan.fire, IsEmpty());
  EXPECT_EQ(plan.missed, 3);
  EXPECT_EQ(plan.missed_first, At("2026-01-02T02:00:00Z"));
  EXPECT_EQ(plan.missed_last, At("2026-01-04T02:00:00Z"));
  EXPECT_EQ(plan.through, At("2026-01-04T02:00:00Z"));
  EXPECT_EQ(plan.next_due, At("2026-01-05T02:00:00Z"));
}

TEST(DueSlotsTest, OnceRunsTheNewestMissedSlot) {
  const DuePlan plan = Plan("0 2 * * *", Policy(CatchUp::kOnce), kLast, kBack);
  EXPECT_THAT(plan.fire, ElementsAre(At("2026-01-04T02:00:00Z")));
  EXPECT_EQ(plan.missed, 2);
  EXPECT_EQ(plan.missed_last, At("2026-01-03T02:00:00Z"));
}

TEST(DueSlotsTest, AllRunsEveryMissedSlotUpToItsMaximum) {
  EXPECT_THAT(Plan("0 2 * * *", Policy(CatchUp::kAll), kLast, kBack).fire,
              ElementsAre(At("2026-01-02T02:00:00Z"), At("2026-01-03T02:00:00Z"), At("2026-01-04T02:00:00Z")));
  const DuePlan capped = Plan("0 2 * * *", Policy(CatchUp::kAll, 2), kLast, kBack);
  EXPECT_THAT(capped.fire, ElementsAre(At("2026-01-03T02:00:00Z"), At("2026-01-04T02:00:00Z")));
  EXPECT_EQ(capped.missed, 1);
  EXPECT_EQ(capped.missed_first, At("2026-01-02T02:00:00Z"));
}

TEST(DueSlotsTest, ASlotThatJustCameIsOnTimeWhateverThePolicy) {
  for (CatchUp c : {CatchUp::kSkip, CatchUp::kOnce, CatchUp::kAll}) {
    const DuePlan plan = Plan("0 2 * * *", Policy(c), kLast, "2026-01-02T02:00:30Z");
    EXPECT_THAT(plan.fire, ElementsAre(At("2026-01-02T02:00:00Z")));
    EXPECT_EQ(plan.missed, 0);
  }
  EXPECT_THAT(Plan("0 2 * * *", Policy(CatchUp::kSkip), kLast, "2026-01-02T02:01:01Z").fire, IsEmpty())
      << "61 s late is missed, not on time";
}

TEST(DueSlotsTest, ASlotOlderThanTheStartWindowIsMissedNotRun) {
  const DuePlan all = Plan("0 2 * * *", Policy(CatchUp::kAll, 100, 3600), kLast, "2026-01-04T02:30:00Z");
  EXPECT_THAT(all.fire, ElementsAre(At("2026-01-04T02:00:00Z"))) << "30 minutes late, within the hour";
  EXPECT_EQ(all.missed, 2);
  const DuePlan late = Plan("0 2 * * *", Policy(CatchUp::kAll, 100, 3600), kLast, "2026-01-04T03:30:00Z");
  EXPECT_THAT(late.fire, IsEmpty());
  EXPECT_EQ(late.missed, 3);
  EXPECT_EQ(late.through, At("2026-01-04T02:00:00Z"));
}

TEST(DueSlotsTest, AClockSteppedBackFiresNothingTwice) {
  // Slot 02:00 was handled; the clock then went back an hour: nothing is due until 02:01.
  const DuePlan back = Plan("* * * * *", Policy(CatchUp::kAll), "2026-01-01T02:00:00Z", "2026-01-01T01:00:00Z");
  EXPECT_THAT(back.fire, IsEmpty());
  EXPECT_EQ(back.through, 0);
  EXPECT_EQ(back.next_due, At("2026-01-01T02:01:00Z"));
}

TEST(DueSlotsTest, JitterIsStablePerSlotAndBelowTheNextSlot) {
  const UnixSeconds slot = At("2026-01-01T03:00:00Z");
  const int64_t j = JitterOf("nightly", slot, 600, slot + 3600);
  EXPECT_EQ(JitterOf("nightly", slot, 600, slot + 3600), j) << "the same on every server and restart";
  EXPECT_GE(j, 0);
  EXPECT_LT(j, 600);
  int differ = 0;
  for (int i = 0; i < 20; ++i) differ += JitterOf("nightly", slot + 3600 * i, 600, std::nullopt) != j;
  EXPECT_GT(differ, 15) << "spread over slots";
  for (int i = 0; i < 100; ++i) {
    EXPECT_LT(JitterOf("per-minute", slot + 60 * i, 600, slot + 60 * (i + 1)), 60) << "below the gap to the next slot";
  }
  SlotPolicy p = Policy(CatchUp::kOnce);
  p.jitter = 600;
  const CalendarSpec hourly = Cron("0 * * * *");
  const int64_t delay = JitterOf("nightly", slot, 600, slot + 3600);
  EXPECT_THAT(DueSlots(hourly, TimeZone::Utc(), p, "nightly", slot - 3600, slot + delay - 1).fire, IsEmpty());
  EXPECT_EQ(DueSlots(hourly, TimeZone::Utc(), p, "nightly", slot - 3600, slot + delay - 1).next_due, slot + delay);
  EXPECT_THAT(DueSlots(hourly, TimeZone::Utc(), p, "nightly", slot - 3600, slot + delay).fire, ElementsAre(slot));
}

TEST(DueSlotsTest, MoreThanTenThousandMissedSlotsAreCountedAsMore) {
  // A per-minute schedule after two months down: 84,960 slots.
  const DuePlan plan = Plan("* * * * *", Policy(CatchUp::kSkip), "2026-01-01T00:00:00Z", "2026-03-01T12:00:30Z");
  EXPECT_TRUE(plan.missed_more);
  EXPECT_GE(plan.missed, kMaxMissedCounted);
  EXPECT_THAT(plan.fire, ElementsAre(At("2026-03-01T12:00:00Z"))) << "the slot of this minute is on time";
  EXPECT_EQ(plan.through, At("2026-03-01T12:00:00Z"));
  EXPECT_EQ(plan.missed_last, At("2026-03-01T11:59:00Z"));
}

}  // namespace
}  // namespace rota
