// ParseCalendarEvent: systemd.time(7) calendar events, as Proxmox Backup Server (PBS) schedules its
// jobs with them, read into a CalendarSpec. Pure, no I/O, safe to call from any thread.
#pragma once

#include <string_view>

#include "calendar/calendar_spec.h"
#include "core/result.h"

namespace rota {

// Reads "[WEEKDAYS] [[YEAR-]MONTH-DAY] [HOUR:MINUTE[:SECOND]] [TIME ZONE]", parts separated by
// whitespace, in that order, at least one of the first three present:
//   WEEKDAYS  names, full or 3 letters, any case ("Mon", "friday"), joined by "," with ranges
//             "Mon..Fri" (or systemd's older "Mon-Fri"); weeks run Monday to Sunday, so "Fri..Mon"
//             is refused rather than wrapped.
//   DATE      MONTH-DAY or YEAR-MONTH-DAY; "~" in place of the last "-" counts days from the
//             month's end ("*-02~03" is the third last day of February, "~1" the last day).
//   TIME      HOUR:MINUTE or HOUR:MINUTE:SECOND, whole seconds only.
//   TIME ZONE "UTC" (any case) or an IANA-style name ("Europe/Berlin", "Etc/GMT+5"), kept verbatim
//             in `zone` and not checked against the zone database here.
// Each date or time component is "*" or a ","-list of items: N, A..B, A/STEP, A..B/STEP, or the
// whole component "*/STEP" (PBS; systemd refuses it). Years have 4 digits and lie in 1970..2199
// (systemd's limits); other values need not be zero-padded. An open repetition A/STEP runs to the
// field's end: to 59, 23, 31, 12 or 2199; "~A/STEP" counts down toward the last day ("~07/2" is
// ~7, ~5, ~3, ~1) while "~A..B/STEP" counts up from ~A ("~2..5/2" is ~2, ~4), as systemd 252 does.
// "*/STEP" starts at the field's first value (0, or 1 for days and months); for years it is refused
// because where counting starts is unclear (write "2025/2").
//
// An omitted date is "*-*-*" and an omitted time "00:00:00"; HOUR:MINUTE means second 0. The whole
// expression may instead be one of minutely, hourly, daily, weekly (Mon 00:00:00), monthly,
// yearly/annually, quarterly, semiannually/semi-annually, optionally followed by a time zone.
//
// The result follows one convention: every field holds exactly the values that match, so a field
// the expression leaves open has all its bits set (seconds 0..59, days 1..31, months 1..12, all 7
// weekdays), except `years`, which is empty for every year. `days_from_end` is non-empty only when
// "~" was used, and `days` is then empty. `days_restricted` / `weekdays_restricted` say whether the
// field excludes any day (so "Mon..Sun" and "*-*-1..31" are unrestricted, as systemd normalises
// them). `day_or_weekday` is always false: systemd matches a day only if both fields match.
//
// Errors (code "invalid_calendar") quote the expression and name the offending part and its
// column: out-of-range values, empty items, backward ranges, a step of 0, unknown weekday names
// (with a did-you-mean), fractional seconds, parts out of order, anything unrecognised. A time with
// no ":" ("mon..fri 8..17/2") is refused too: PBS and Proxmox VE read it as minutes of every hour,
// systemd refuses it, and people write it meaning hours; the message spells out the readings and
// suggests the unambiguous spellings of both.
Result<CalendarSpec> ParseCalendarEvent(std::string_view text);

}  // namespace rota
