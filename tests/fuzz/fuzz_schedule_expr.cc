// libFuzzer target: schedule expressions and time zone files. The first byte picks the parser:
// cron, calendar event, or TZif bytes. A parsed expression must give next-fire times that only
// move forward (in UTC, where no local time is skipped or repeated: the next after t-1 of a fire
// time t is t) and in a DST zone; a TZif file that loads must answer offsets and local times.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "calendar/calendar_event.h"
#include "calendar/cron_expr.h"
#include "calendar/next_fire.h"
#include "calendar/time_zone.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view input, const std::string& detail) {
  std::fprintf(stderr, "fuzz_schedule_expr: %s\n  input: \"%.*s\"\n  %s\n", what, static_cast<int>(input.size()),
               input.data(), detail.c_str());
  std::abort();
}

constexpr rota::UnixSeconds kFrom = 1767225600;   // 2026-01-01T00:00:00Z

void CheckTimes(const rota::CalendarSpec& spec, std::string_view input) {
  const rota::TimeZone utc = rota::TimeZone::Utc();
  rota::UnixSeconds t = kFrom;
  for (int i = 0; i < 3; ++i) {
    std::optional<rota::UnixSeconds> next = rota::NextFire(spec, utc, t);
    if (!next) return;
    if (*next <= t) Fail("a fire time not after the last", input, std::to_string(*next));
    if (rota::NextFire(spec, utc, *next - 1) != next) Fail("the fire time after t-1 is not t", input, std::to_string(*next));
    t = *next;
  }
  static const rota::TimeZone berlin = rota::TimeZone::FromPosixRule("CET", "CET-1CEST,M3.5.0,M10.5.0/3").value();
  for (rota::DstRules rules : {rota::DstRules{true, false}, rota::DstRules{false, true}}) {
    std::optional<rota::UnixSeconds> next = rota::NextFire(spec, berlin, kFrom, rules);
    if (next && *next <= kFrom) Fail("a fire time not after `after` in a DST zone", input, std::to_string(*next));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      rota::Result<rota::CalendarSpec> spec = rota::ParseCron(input);
      if (!spec.ok()) {
        if (spec.error().code != "invalid_cron") Fail("wrong error code", input, spec.error().code);
        return 0;
      }
      CheckTimes(*spec, input);
      return 0;
    }
    case 1: {
      rota::Result<rota::CalendarSpec> spec = rota::ParseCalendarEvent(input);
      if (!spec.ok()) {
        if (spec.error().code != "invalid_calendar") Fail("wrong error code", input, spec.error().code);
        return 0;
      }
      CheckTimes(*spec, input);
      return 0;
    }
    default: {
      rota::Result<rota::TimeZone> zone = rota::TimeZone::FromTzif("fuzz", input);
      if (!zone.ok()) return 0;
      (void)zone->OffsetAt(kFrom);
      const rota::LocalTime local = zone->FromLocal(kFrom);
      if (local.kind == rota::LocalTime::Kind::kFold && local.second <= local.first) {
        Fail("a fold whose second instant is not after its first", input, "");
      }
      return 0;
    }
  }
}
