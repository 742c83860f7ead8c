// Cron expressions, as Vixie cron and its descendants read them: five fields, "MINUTE HOUR
// DAY-OF-MONTH MONTH DAY-OF-WEEK", each `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or
// `a/n` (from a to the field's end), or a comma list of those; month and weekday names (`jan`,
// `mon`; case-insensitive); weekday 7 is Sunday too; and the shorthands `@yearly` (`@annually`),
// `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly`. When both the day of the month
// and the weekday are restricted (neither field starts with `*`), a day matches if either does.
// Pure: no I/O, no clock.
#pragma once

#include <string_view>

#include "calendar/calendar_spec.h"
#include "core/result.h"

namespace rota {

// Errors: code "invalid_cron", with the field and the token at fault:
// "cron '0 25 * * *': hour 25 is out of range 0-23".
Result<CalendarSpec> ParseCron(std::string_view text);

}  // namespace rota
