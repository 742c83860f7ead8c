// Next-fire times of cron expressions (issue 11): table tests in UTC and across the DST gaps and
// folds of Europe/Berlin, America/New_York and Australia/Lord_Howe (a 30-minute DST), leap days,
// month ends, cron's day-of-month OR weekday, every shorthand, and refusals with their messages.
// The zones are Debian's tzdata files, read as a server reads them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "calendar/cron_expr.h"
#include "calendar/next_fire.h"
#include "calendar/rfc3339.h"
#include "calendar/zoneinfo.h"

namespace rota {
namespace {

using ::testing::HasSubstr;

// "2026-03-29T01:00:00Z" <-> unix seconds.
UnixSeconds At(const std::string& rfc3339) {
  int y, mo, d, h, mi, s;
  EXPECT_EQ(std::sscanf(rfc3339.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6) << rfc3339;
  using namespace std::chrono;
  const sys_days day = sys_days(year(y) / month(static_cast<unsigned>(mo)) / static_cast<unsigned>(d));
  return int64_t{day.time_since_epoch().count()} * 86400 + h * 3600 + mi * 60 + s;
}
std::string Text(UnixSeconds t) {
  using namespace std::chrono;
  const sys_seconds at{seconds(t)};
  const sys_days day = floor<days>(at);
  const year_month_day ymd(day);
  const int64_t rest = t - int64_t{day.time_since_epoch().count()} * 86400;
  char out[96];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60));
  return out;
}

TimeZone Zone(const std::string& name) {
  Result<TimeZone> z = LoadTimeZone(name);
  EXPECT_TRUE(z.ok()) << z.error().message;
  return z.ok() ? *z : TimeZone::Utc();
}

// The next `n` fire times after `from`, as RFC 3339 UTC.
std::vector<std::string> Next(const std::string& cron, const std::string& zone, const std::string& from, int n,
                              DstRules rules = {}) {
  Result<CalendarSpec> spec = ParseCron(cron);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  if (!spec.ok()) return {};
  const TimeZone tz = Zone(zone);
  std::vector<std::string> out;
  UnixSeconds t = At(from);
  for (int i = 0; i < n; ++i) {
    std::optional<UnixSeconds> next = NextFire(*spec, tz, t, rules);
    if (!next) break;
    out.push_back(Text(*next));
    t = *next;
  }
  return out;
}

constexpr DstRules kSkipGap{false, false};
constexpr DstRules kFoldBoth{true, true};

using V = std::vector<std::string>;

TEST(NextFireTest, EveryFieldInUtc) {
  EXPECT_EQ(Next("*/20 * * * *", "UTC", "2026-01-01T00:00:00Z", 3),
            V({"2026-01-01T00:20:00Z", "2026-01-01T00:40:00Z", "2026-01-01T01:00:00Z"}));
  EXPECT_EQ(Next("5 4 * * *", "UTC", "2026-01-01T04:05:00Z", 2), V({"2026-01-02T04:05:00Z", "2026-01-03T04:05:00Z"}))
      << "strictly after";
  EXPECT_EQ(Next("0 9-17/4 * * mon-fri", "UTC", "2026-01-02T10:00:00Z", 4),   // a Friday
            V({"2026-01-02T13:00:00Z", "2026-01-02T17:00:00Z", "2026-01-05T09:00:00Z", "2026-01-05T13:00:00Z"}));
  EXPECT_EQ(Next("0 0 1 jan,jul *", "UTC", "2026-02-01T00:00:00Z", 2), V({"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
  EXPECT_EQ(Next("0 12 * * 7", "UTC", "2026-01-01T00:00:00Z", 1), V({"2026-01-04T12:00:00Z"})) << "7 is Sunday";
  EXPECT_EQ(Next("30 6 10/10 * *", "UTC", "2026-01-01T00:00:00Z", 3),
            V({"2026-01-10T06:30:00Z", "2026-01-20T06:30:00Z", "2026-01-30T06:30:00Z"}));
}

TEST(NextFireTest, LeapDaysAndMonthEnds) {
  EXPECT_EQ(Next("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", 2), V({"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}));
  EXPECT_EQ(Next("0 0 31 * *", "UTC", "2026-04-01T00:00:00Z", 3),
            V({"2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"}));
  EXPECT_EQ(Next("0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", 1), V({})) << "30 February never comes";
}

TEST(NextFireTest, DayOfMonthOrWeekdayWhenBothAreRestricted) {
  // The 13th, or any Friday (Vixie cron, POSIX).
  EXPECT_EQ(Next("0 0 13 * 5", "UTC", "2026-02-01T00:00:00Z", 4),
            V({"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z"}));
  EXPECT_EQ(Next("0 0 14 * 5", "UTC", "2026-02-07T00:00:00Z", 2), V({"2026-02-13T00:00:00Z", "2026-02-14T00:00:00Z"}));
  // A field starting with '*' is not restricted: then both must match (odd days that are Mondays).
  EXPECT_EQ(Next("0 0 */2 * mon", "UTC", "2026-02-01T00:00:00Z", 3),
            V({"2026-02-09T00:00:00Z", "2026-02-23T00:00:00Z", "2026-03-09T00:00:00Z"}));
}

TEST(NextFireTest, EveryShorthand) {
  EXPECT_EQ(Next("@hourly", "UTC", "2026-01-01T00:30:00Z", 1), V({"2026-01-01T01:00:00Z"}));
  EXPECT_EQ(Next("@daily", "UTC", "2026-01-01T00:30:00Z", 1), V({"2026-01-02T00:00:00Z"}));
  EXPECT_EQ(Next("@midnight", "UTC", "2026-01-01T00:30:00Z", 1), V({"2026-01-02T00:00:00Z"}));
  EXPECT_EQ(Next("@weekly", "UTC", "2026-01-01T00:30:00Z", 1), V({"2026-01-04T00:00:00Z"})) << "Sunday";
  EXPECT_EQ(Next("@monthly", "UTC", "2026-01-01T00:30:00Z", 1), V({"2026-02-01T00:00:00Z"}));
  EXPECT_EQ(Next("@yearly", "UTC", "2026-01-01T00:30:00Z", 1), V({"2027-01-01T00:00:00Z"}));
  EXPECT_EQ(Next("@annually", "UTC", "2026-01-01T00:30:00Z", 1), V({"2027-01-01T00:00:00Z"}));
}

// Berlin: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
TEST(NextFireTest, BerlinSpringGapRunsAtItsEndOnceOrIsSkipped) {
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2),
            V({"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}))
      << "02:30 does not exist that night: 03:00 CEST, then 02:30 CEST";
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2, kSkipGap),
            V({"2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}));
  // Every 15 minutes: the four times the gap swallows fire once, at its end.
  EXPECT_EQ(Next("*/15 * * * *", "Europe/Berlin", "2026-03-29T00:30:00Z", 4),
            V({"2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z"}));
}

TEST(NextFireTest, BerlinAutumnFoldFiresOnceOrTwice) {
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2),
            V({"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}))
      << "the first 02:30 (CEST), not the second";
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3, kFoldBoth),
            V({"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"}));
  EXPECT_EQ(Next("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:45:00Z", 4),
            V({"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z"}));
  EXPECT_EQ(Next("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:45:00Z", 6, kFoldBoth),
            V({"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z",
               "2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z"}));
}

// New York: 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z).
TEST(NextFireTest, NewYorkGapAndFold) {
  EXPECT_EQ(Next("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2),
            V({"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
  EXPECT_EQ(Next("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2),
            V({"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(Next("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2, kFoldBoth),
            V({"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"}));
  EXPECT_EQ(Next("0 12 * * *", "America/New_York", "2026-07-01T00:00:00Z", 1), V({"2026-07-01T16:00:00Z"}));
}

// Lord Howe moves its clocks by 30 minutes: 2026-10-04 02:00 (+10:30) -> 02:30 (+11) and
// 2026-04-05 02:00 (+11) -> 01:30 (+10:30).
TEST(NextFireTest, LordHoweHalfHourGapAndFold) {
  EXPECT_EQ(Next("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 2),
            V({"2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"}));
  EXPECT_EQ(Next("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2),
            V({"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"}));
  EXPECT_EQ(Next("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2, kFoldBoth),
            V({"2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z"}));
}

TEST(NextFireTest, FarFutureYearsFollowTheZonesRule) {
  // Past the TZif's listed transitions the footer's rule goes on: last Sunday of March 2150 is
  // the 29th, so 02:30 Berlin is in the gap.
  EXPECT_EQ(Next("30 2 29 3 *", "Europe/Berlin", "2150-01-01T00:00:00Z", 1), V({"2150-03-29T01:00:00Z"}));
}

TEST(CronExprTest, RefusalsNameTheFieldAndTheToken) {
  auto message = [](const std::string& cron) {
    Result<CalendarSpec> r = ParseCron(cron);
    EXPECT_FALSE(r.ok()) << cron;
    return r.ok() ? std::string() : r.error().code + ": " + r.error().message;
  };
  EXPECT_EQ(message("0 24 * * *"), "invalid_cron: cron '0 24 * * *': hour 24 is out of range 0-23");
  EXPECT_THAT(message("61 * * * *"), HasSubstr("minute 61 is out of range 0-59"));
  EXPECT_THAT(message("0 0 0 * *"), HasSubstr("day of the month 0 is out of range 1-31"));
  EXPECT_THAT(message("0 0 * 13 *"), HasSubstr("month 13 is out of range 1-12"));
  EXPECT_THAT(message("0 0 * * mnn"), HasSubstr("'mnn' is not a weekday; did you mean 'mon'?"));
  EXPECT_THAT(message("0 0 * jna *"), HasSubstr("did you mean 'jan'?"));
  EXPECT_THAT(message("0 5-3 * * *"), HasSubstr("the hour range 5-3 runs backwards"));
  EXPECT_THAT(message("*/0 * * * *"), HasSubstr("the step '0' of the minute must be a number of 1 or more"));
  EXPECT_THAT(message("0,,5 * * * *"), HasSubstr("has an empty entry"));
  EXPECT_THAT(message("0 0 * *"), HasSubstr("has 5 fields (minute hour day-of-month month weekday), this one has 4"));
  EXPECT_THAT(message("0 0 0 * * *"), HasSubstr("seconds and years are not cron's"));
  EXPECT_THAT(message("@dialy"), HasSubstr("unknown shorthand '@dialy'; did you mean '@daily'?"));
  EXPECT_THAT(message("@reboot"), HasSubstr("@reboot has no time"));
  EXPECT_THAT(message("x * * * *"), HasSubstr("'x' is not a minute"));
}

TEST(TimeZoneTest, UnknownAndUnsafeNamesAreRefused) {
  EXPECT_THAT(LoadTimeZone("Europe/Berln").error().message, HasSubstr("unknown time zone 'Europe/Berln'"));
  EXPECT_THAT(LoadTimeZone("../etc/passwd").error().message, HasSubstr("is not an IANA name"));
  EXPECT_EQ(LoadTimeZone("UTC")->OffsetAt(At("2026-07-01T00:00:00Z")), 0);
  EXPECT_EQ(Zone("Europe/Berlin").OffsetAt(At("2026-07-01T00:00:00Z")), 7200);
  EXPECT_EQ(Zone("Australia/Lord_Howe").OffsetAt(At("2026-07-01T00:00:00Z")), 37800);
  EXPECT_EQ(Zone("Asia/Tokyo").OffsetAt(At("2126-07-01T00:00:00Z")), 9 * 3600);
}

TEST(TimeZoneTest, APosixRuleAloneGivesTheSameTransitionsAsTheFile) {
  Result<TimeZone> rule = TimeZone::FromPosixRule("NY", "EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  const TimeZone file = Zone("America/New_York");
  for (const char* t : {"2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-11-01T05:59:59Z", "2026-11-01T06:00:00Z",
                        "2030-01-15T00:00:00Z"}) {
    EXPECT_EQ(rule->OffsetAt(At(t)), file.OffsetAt(At(t))) << t;
  }
  EXPECT_FALSE(TimeZone::FromPosixRule("bad", "EST5EDT,M13.2.0,M11.1.0").ok());
  EXPECT_FALSE(TimeZone::FromTzif("bad", "TZif2 but cut").ok());
}

TEST(NextFireTest, DstNotesSayWhatHappenedToTheTime) {
  const CalendarSpec daily = ParseCron("30 2 * * *").value();
  const TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_EQ(DstNote(daily, berlin, At("2026-03-29T01:00:00Z")),
            "the clocks jump forward over the time it matches: runs at 03:00, when the gap ends");
  EXPECT_EQ(DstNote(daily, berlin, At("2026-10-25T00:30:00Z")), "the first of two 02:30s (the clocks go back)");
  EXPECT_EQ(DstNote(daily, berlin, At("2026-10-25T01:30:00Z")), "the second of two 02:30s (the clocks go back)");
  EXPECT_EQ(DstNote(daily, berlin, At("2026-07-01T00:30:00Z")), "");
  EXPECT_EQ(NextFires(daily, berlin, At("2026-03-28T12:00:00Z"), 2).size(), 2u);
}

TEST(Rfc3339Test, ReadsAndWritesUtcAndOffsets) {
  EXPECT_EQ(FormatUtc(At("2026-03-29T01:00:00Z")), "2026-03-29T01:00:00Z");
  EXPECT_EQ(FormatWithOffset(At("2026-03-29T01:00:00Z"), 7200), "2026-03-29T03:00:00+02:00");
  EXPECT_EQ(FormatWithOffset(At("2026-03-29T01:00:00Z"), -16200), "2026-03-28T20:30:00-04:30");
  EXPECT_EQ(ParseRfc3339("2026-03-29T03:00:00+02:00").value(), At("2026-03-29T01:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-03-29t01:00:00.250z").value(), At("2026-03-29T01:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-03-29 01:00:00Z").value(), At("2026-03-29T01:00:00Z"));
  for (const char* bad : {"2026-02-30T00:00:00Z", "2026-03-29T01:00:00", "2026-03-29T25:00:00Z", "yesterday",
                          "2026-03-29T01:00:00+2:00"}) {
    Result<UnixSeconds> r = ParseRfc3339(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_time");
    EXPECT_THAT(r.error().message, HasSubstr("is not an RFC 3339 time"));
  }
}

}  // namespace
}  // namespace rota
