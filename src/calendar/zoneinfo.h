// Loading IANA time zones by name from the system's zoneinfo directory (Debian's tzdata package,
// /usr/share/zoneinfo). The one file of src/calendar that does I/O; everything else takes a
// TimeZone value.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "calendar/time_zone.h"
#include "core/result.h"

namespace rota {

inline constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo";

// "UTC" (also "Etc/UTC", "Z") or an IANA name such as "Europe/Berlin". Errors: code
// "invalid_timezone": "unknown time zone 'Europe/Berln'; did you mean ...?" is not attempted (the
// directory holds ~600 names), but the message says where names come from.
Result<TimeZone> LoadTimeZone(std::string_view name, std::string_view dir = kZoneinfoDir);

// The same, loaded once per process and shared: a farm's 100,000 schedules use a handful of zones,
// and each zone holds its transitions up to the year 2200 (a few KB). Thread-safe. A zone that
// failed to load is tried again next time (the tzdata package may have come meanwhile).
Result<std::shared_ptr<const TimeZone>> SharedTimeZone(std::string_view name);

}  // namespace rota
