// TimeZone: an IANA time zone read from its TZif bytes (RFC 8536, what /usr/share/zoneinfo holds),
// answering the two questions periodic schedules ask: what is the UTC offset at an instant, and
// which instant(s) is a local wall-clock time (none in a spring-forward gap, two in a repeated
// hour). g++ 12's libstdc++ has no std::chrono time zone database, hence this. Pure: the bytes
// come from the caller (calendar/zoneinfo.h reads the files). Past the TZif's last transition the
// POSIX TZ rule of its footer (e.g. "CET-1CEST,M3.5.0,M10.5.0/3") generates transitions up to
// the year 2200, so every lookup is one binary search.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rota {

// Seconds since 1970-01-01T00:00:00 UTC ("unix seconds").
using UnixSeconds = int64_t;
// Local wall-clock seconds: the same count, as if the local date and time were UTC.
using LocalSeconds = int64_t;

// What a local wall-clock time is in UTC.
struct LocalTime {
  enum class Kind {
    kUnique,   // `first` is the instant
    kGap,      // it does not exist (clocks jumped over it): `first` is the instant the gap ends
    kFold,     // it happens twice: `first` and then `second`
  };
  Kind kind = Kind::kUnique;
  UnixSeconds first = 0;
  UnixSeconds second = 0;
};

class TimeZone {
 public:
  // UTC: no transitions.
  static TimeZone Utc();
  // Parses TZif bytes (version 1, 2, 3 or 4). `name` is kept for messages ("Europe/Berlin").
  static Result<TimeZone> FromTzif(std::string_view name, std::string_view bytes);
  // A zone from a POSIX TZ rule alone ("EST5EDT,M3.2.0,M11.1.0"); for tests and the TZif footer.
  static Result<TimeZone> FromPosixRule(std::string_view name, std::string_view rule);

  const std::string& name() const { return name_; }
  // The UTC offset in seconds (east positive: +3600 for CET) in effect at `t`.
  int32_t OffsetAt(UnixSeconds t) const;
  LocalSeconds ToLocal(UnixSeconds t) const { return t + OffsetAt(t); }
  LocalTime FromLocal(LocalSeconds local) const;
  // Whether the zone ever changes its offset after `t` (a DST zone, or a change announced).
  bool ChangesAfter(UnixSeconds t) const;
  // Whether the offset stays the same from `from` through `to`.
  bool SteadyBetween(UnixSeconds from, UnixSeconds to) const;

 private:
  struct Transition {
    UnixSeconds at;
    int32_t offset_after;
  };
  std::string name_;
  int32_t initial_offset_ = 0;            // before the first transition
  std::vector<Transition> transitions_;   // ascending by `at`
};

}  // namespace rota
