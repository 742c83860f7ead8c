// CalendarSpec: what a periodic schedule's expression matches, field by field, in local wall-clock
// time. Both expression languages rota reads (cron, and systemd.time calendar events as Proxmox
// Backup Server uses them) parse into this one value; next-fire times are computed from it alone
// (calendar/next_fire.h), so both languages share one implementation of time zones and DST.
// Pure values, no I/O.
#pragma once

#include <bitset>
#include <string>
#include <vector>

namespace rota {

struct CalendarSpec {
  std::bitset<60> seconds;         // 0..59 (cron: {0})
  std::bitset<60> minutes;         // 0..59
  std::bitset<24> hours;           // 0..23
  std::bitset<32> days;            // 1..31, bit 0 unused: day of the month counted from its start
  // systemd "~": bit k (1..31) = the k-th last day of the month (~1 is the last day, ~2 the one
  // before). A day matches if it is in `days` or in `days_from_end`. Every field holds exactly the
  // values that match: "*" is all of 1..31 in `days` (and `days_from_end` empty), and a field both
  // empty matches nothing.
  std::bitset<32> days_from_end;
  std::bitset<13> months;          // 1..12, bit 0 unused
  std::bitset<7> weekdays;         // 0 = Sunday .. 6 = Saturday
  // Years the expression names, ascending; empty: every year.
  std::vector<int> years;
  // cron's rule (Vixie cron, POSIX): when both the day of the month and the weekday are restricted
  // (neither is "*"), a day matches if EITHER matches. systemd ANDs them. `days_restricted` and
  // `weekdays_restricted` say which fields the expression restricted.
  bool day_or_weekday = false;
  bool days_restricted = false;
  bool weekdays_restricted = false;
  // A time zone the expression itself names (systemd: a trailing "UTC" or IANA name such as
  // "Europe/Berlin"); "" = the schedule's `timezone`.
  std::string zone;

  bool operator==(const CalendarSpec&) const = default;
};

}  // namespace rota
