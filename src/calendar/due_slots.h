// DueSlots: which slots of a periodic schedule to fire now, and which were missed, given the
// last slot it handled and the time now. Pure: the engine proposes ScheduleFired / ScheduleMissed
// changes from the plan, and Apply (not this) is what makes a slot fire only once.
//
// A slot is due once its time plus its jitter has come. A due slot is on time when it came less
// than kOnTime ago (the server was up and looking); older ones were missed while nobody could
// fire them (the server down, the schedule's lease moving), and `catch_up` decides:
//   skip  none of them run;
//   once  the newest of them runs (Airflow's catchup=False), the others are missed;
//   all   each runs, the newest `catch_up_max` of them at most.
// Whatever `catch_up` says, a slot older than `start_window` (when set) is missed, not run.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "calendar/calendar_spec.h"
#include "calendar/next_fire.h"
#include "calendar/time_zone.h"

namespace rota {

enum class CatchUp { kSkip, kOnce, kAll };

// A due slot that came up to this long ago is on time, not caught up.
inline constexpr int64_t kOnTimeSeconds = 60;
// Missed slots beyond this many are not counted one by one (a per-second schedule after a month
// down): the plan says "more".
inline constexpr int64_t kMaxMissedCounted = 10000;

struct SlotPolicy {
  CatchUp catch_up = CatchUp::kOnce;
  int64_t catch_up_max = 100;    // kAll: at most this many missed slots run, the newest
  int64_t start_window = 0;      // seconds; 0: no window
  int64_t jitter = 0;            // seconds; each slot fires up to this much later (less than the gap to the next)
  DstRules dst;
};

struct DuePlan {
  std::vector<UnixSeconds> fire;        // slots to fire now, ascending
  int64_t missed = 0;                   // slots passed over, not run
  bool missed_more = false;             // more than kMaxMissedCounted: `missed` is a lower bound
  UnixSeconds missed_first = 0;
  UnixSeconds missed_last = 0;
  UnixSeconds through = 0;              // the newest slot handled (fired or missed); 0: none due
  std::optional<UnixSeconds> next_due;  // when the next slot (with its jitter) is due; nullopt: never
};

// The plan at `now` for the schedule `name` whose slots after `after` are not handled yet.
DuePlan DueSlots(const CalendarSpec& spec, const TimeZone& zone, const SlotPolicy& policy, std::string_view name,
                 UnixSeconds after, UnixSeconds now);

// The delay of `slot` for `name`: stable (a hash of both, the same on every server and every
// restart), below `jitter` and below the gap to the slot after it.
int64_t JitterOf(std::string_view name, UnixSeconds slot, int64_t jitter, std::optional<UnixSeconds> next_slot);

}  // namespace rota
