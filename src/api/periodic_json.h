// The JSON of schedules, watchdogs and hooks (docs/api.md "Schedules", "Watchdogs", "Hooks"): the
// definition as given, with defaults, then the state: for a schedule its next slot (UTC, local,
// and a DST note), the last slot handled and the counts; for a watchdog up | late | down; for a
// hook its delivery cursor (the secret is never shown).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "engine/periodic_state.h"

namespace rota {

nlohmann::ordered_json ScheduleJson(const ScheduleState& s);
// "up", "late" or "down" at `now_us`.
const char* ExpectationStatus(const ExpectationState& x, int64_t now_us);
nlohmann::ordered_json ExpectationJson(const ExpectationState& x, int64_t now_us);
nlohmann::ordered_json HookJson(const HookState& h);

}  // namespace rota
