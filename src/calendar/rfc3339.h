// RFC 3339 times, as the schedules API speaks them: "2026-03-29T01:00:00Z" (UTC, whole seconds:
// the form slots and job names use) and "2026-03-29T03:00:00+02:00" (a local time with its offset).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "calendar/time_zone.h"
#include "core/result.h"

namespace rota {

std::string FormatUtc(UnixSeconds t);
// `t` as local time at `offset` seconds east of UTC.
std::string FormatWithOffset(UnixSeconds t, int32_t offset);
// "YYYY-MM-DDTHH:MM:SS" then "Z" or "+HH:MM"/"-HH:MM"; "t"/"z" and a space for "T" are read too;
// a fraction of a second is dropped. Errors: code "invalid_time".
Result<UnixSeconds> ParseRfc3339(std::string_view text);

}  // namespace rota
