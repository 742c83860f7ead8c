// GET /v1/schedules/preview: the next fire times of an expression not saved as a schedule, so a
// person can try one before adding it (`rota schedules next --cron EXPR`). Reads the zone file;
// otherwise pure.
#pragma once

#include <map>
#include <string>

#include "calendar/time_zone.h"
#include "core/result.h"

namespace rota {

// `query`: cron=EXPR or calendar=EXPR (one of them), timezone (default: the calendar event's own
// zone, else UTC), n (1..1000, default 5), from (RFC 3339, default `now`), dst_gap (run|skip),
// dst_fold (once|both). The answer's JSON: {"timezone", "next": [UTC], "local": [with offset],
// "notes": ["" or what DST did]}. Errors name the parameter and the problem (HTTP 400).
Result<std::string> PreviewSchedule(const std::map<std::string, std::string>& query, UnixSeconds now);

}  // namespace rota
