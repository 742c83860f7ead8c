// NextFire: the next time a CalendarSpec matches in a time zone, with the DST rules a schedule
// chose. A spec matches local wall-clock times; the zone says which instant each one is:
// - a time in a spring-forward gap (02:30 on the night Berlin goes from 02:00 to 03:00) does not
//   exist: with `gap_run` it fires at the gap's end (03:00 local, the instant the clocks jumped),
//   once however many matching times the gap swallowed; otherwise it is skipped;
// - a time in a repeated hour (02:30 on the night Berlin goes back from 03:00 to 02:00) happens
//   twice: it fires at the first, and with `fold_both` at the second too.
// The defaults never skip and never double. Pure: the zone and the instant come from the caller.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calendar/calendar_spec.h"
#include "calendar/time_zone.h"

namespace rota {

struct DstRules {
  bool gap_run = true;     // dst_gap: run (true) | skip
  bool fold_both = false;  // dst_fold: both (true) | once
};

// The first instant strictly after `after` at which `spec` fires; nullopt when it never does
// again (before the year 2200: "30 February", or a year list that has passed).
std::optional<UnixSeconds> NextFire(const CalendarSpec& spec, const TimeZone& zone, UnixSeconds after,
                                    DstRules rules = {});

// The next `n` fire times after `after`, ascending (fewer when the spec runs out).
std::vector<UnixSeconds> NextFires(const CalendarSpec& spec, const TimeZone& zone, UnixSeconds after, int n,
                                   DstRules rules = {});

// What a person should know about fire time `t` of `spec` in `zone`, "" mostly: that it is the
// end of a DST gap a matching time fell into, or the first or second of a local time that
// happens twice.
std::string DstNote(const CalendarSpec& spec, const TimeZone& zone, UnixSeconds t);

}  // namespace rota
