#include "calendar/next_fire.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace rota {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
// No zone's offset moves by this much or more: a local time this much later than another is an
// instant later than it.
constexpr int64_t kMaxShift = 3 * kHour;

bool DayMatches(const CalendarSpec& spec, std::chrono::sys_days day) {
  using namespace std::chrono;
  const year_month_day ymd(day);
  if (!spec.months[static_cast<unsigned>(ymd.month())]) return false;
  if (!spec.years.empty() && !std::binary_search(spec.years.begin(), spec.years.end(), static_cast<int>(ymd.year()))) {
    return false;
  }
  const unsigned d = static_cast<unsigned>(ymd.day());
  const unsigned last = static_cast<unsigned>(year_month_day_last(ymd.year(), month_day_last(ymd.month())).day());
  const bool day_ok = spec.days[d] || (spec.days_from_end.any() && spec.days_from_end[last - d + 1]);
  const bool weekday_ok = spec.weekdays[weekday(day).c_encoding()];
  if (spec.day_or_weekday && spec.days_restricted && spec.weekdays_restricted) return day_ok || weekday_ok;
  return day_ok && weekday_ok;
}

template <size_t N>
std::vector<int> Members(const std::bitset<N>& bits) {
  std::vector<int> out;
  for (size_t i = 0; i < N; ++i) {
    if (bits[i]) out.push_back(static_cast<int>(i));
  }
  return out;
}

}  // namespace

std::optional<UnixSeconds> NextFire(const CalendarSpec& spec, const TimeZone& zone, UnixSeconds after,
                                    DstRules rules) {
  using namespace std::chrono;
  const std::vector<int> hours = Members(spec.hours), minutes = Members(spec.minutes), seconds = Members(spec.seconds);
  if (hours.empty() || minutes.empty() || seconds.empty()) return std::nullopt;
  const LocalSeconds local_after = zone.ToLocal(after);
  // Local times before this are instants before `after`, whatever the offsets did meanwhile; with
  // no transition within a day of `after`, local time is instant time plus one offset there, and
  // the search starts right after it (an every-second schedule would otherwise look at three
  // hours of seconds each time).
  const LocalSeconds earliest =
      zone.SteadyBetween(after - kDay, after + kDay) ? local_after + 1 : local_after - kMaxShift;
  const sys_days last_day = sys_days(year(2200) / December / 31);
  // Around a transition local order is not instant order (a repeated hour's second pass comes
  // after the local hour that follows it): once a candidate is found, local times up to
  // kMaxShift later are looked at too and the earliest instant wins.
  std::optional<UnixSeconds> best;
  LocalSeconds look_until = 0;
  for (sys_days day = floor<days>(sys_seconds(std::chrono::seconds(earliest))); day <= last_day; day += days(1)) {
    const LocalSeconds midnight = int64_t{day.time_since_epoch().count()} * kDay;
    if (best && midnight > look_until) break;
    if (!DayMatches(spec, day)) continue;
    for (int h : hours) {
      if (midnight + h * kHour + kHour <= earliest) continue;
      for (int m : minutes) {
        if (midnight + h * kHour + m * 60 + 60 <= earliest) continue;
        for (int s : seconds) {
          const LocalSeconds local = midnight + h * kHour + m * 60 + s;
          if (local < earliest) continue;
          if (best && local > look_until) return best;
          const LocalTime t = zone.FromLocal(local);
          std::optional<UnixSeconds> candidate;
          if (t.first > after && (t.kind != LocalTime::Kind::kGap || rules.gap_run)) {
            candidate = t.first;
          } else if (t.kind == LocalTime::Kind::kFold && rules.fold_both && t.second > after) {
            candidate = t.second;
          }
          if (!candidate) continue;
          if (!best) {
            // Away from any transition the first candidate is the earliest.
            if (zone.SteadyBetween(*candidate - kDay, *candidate + kDay)) return candidate;
            look_until = local + kMaxShift;
          }
          best = best ? std::min(*best, *candidate) : *candidate;
        }
      }
    }
  }
  return best;
}

std::vector<UnixSeconds> NextFires(const CalendarSpec& spec, const TimeZone& zone, UnixSeconds after, int n,
                                   DstRules rules) {
  std::vector<UnixSeconds> out;
  for (UnixSeconds t = after; static_cast<int>(out.size()) < n;) {
    std::optional<UnixSeconds> next = NextFire(spec, zone, t, rules);
    if (!next) break;
    out.push_back(*next);
    t = *next;
  }
  return out;
}

std::string DstNote(const CalendarSpec& spec, const TimeZone& zone, UnixSeconds t) {
  const LocalSeconds local = zone.ToLocal(t);
  const int64_t of_day = ((local % kDay) + kDay) % kDay;
  char hhmm[16];
  std::snprintf(hhmm, sizeof hhmm, "%02d:%02d", static_cast<int>(of_day / kHour), static_cast<int>(of_day / 60 % 60));
  const bool matches = spec.hours[static_cast<size_t>(of_day / kHour)] && spec.minutes[static_cast<size_t>(of_day / 60 % 60)] &&
                       spec.seconds[static_cast<size_t>(of_day % 60)];
  if (!matches) return std::string("the clocks jump forward over the time it matches: runs at ") + hhmm + ", when the gap ends";
  const LocalTime twice = zone.FromLocal(local);
  if (twice.kind != LocalTime::Kind::kFold) return "";
  return std::string(twice.first == t ? "the first" : "the second") + " of two " + hhmm + "s (the clocks go back)";
}

}  // namespace rota
