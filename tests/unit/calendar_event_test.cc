#include "calendar/calendar_event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bitset>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

namespace rota {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<int> Iota(int first, int last) {
  std::vector<int> v(static_cast<size_t>(last - first + 1));
  std::iota(v.begin(), v.end(), first);
  return v;
}

template <size_t N>
std::vector<int> Values(const std::bitset<N>& bits) {
  std::vector<int> values;
  for (size_t i = 0; i < N; ++i) {
    if (bits[i]) values.push_back(static_cast<int>(i));
  }
  return values;
}

const std::vector<int> kEverySecond = Iota(0, 59);
const std::vector<int> kEveryMinute = Iota(0, 59);
const std::vector<int> kEveryHour = Iota(0, 23);
const std::vector<int> kEveryDay = Iota(1, 31);
const std::vector<int> kEveryMonth = Iota(1, 12);
const std::vector<int> kEveryWeekday = Iota(0, 6);  // 0 = Sunday

// What one expression must parse to, field by field; the defaults are "*-*-* 00:00:00".
struct ParseCase {
  std::string_view expr;
  std::vector<int> weekdays = kEveryWeekday;
  std::vector<int> years = {};
  std::vector<int> months = kEveryMonth;
  std::vector<int> days = kEveryDay;
  std::vector<int> days_from_end = {};
  std::vector<int> hours = {0};
  std::vector<int> minutes = {0};
  std::vector<int> seconds = {0};
  std::string zone = "";
};

void ExpectParsesTo(const ParseCase& c) {
  SCOPED_TRACE(std::string(c.expr));
  Result<CalendarSpec> spec = ParseCalendarEvent(c.expr);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(Values(spec->weekdays), c.weekdays);
  EXPECT_EQ(spec->years, c.years);
  EXPECT_EQ(Values(spec->months), c.months);
  EXPECT_EQ(Values(spec->days), c.days);
  EXPECT_EQ(Values(spec->days_from_end), c.days_from_end);
  EXPECT_EQ(Values(spec->hours), c.hours);
  EXPECT_EQ(Values(spec->minutes), c.minutes);
  EXPECT_EQ(Values(spec->seconds), c.seconds);
  EXPECT_EQ(spec->zone, c.zone);
  EXPECT_FALSE(spec->day_or_weekday);
}

TEST(CalendarEventTest, ParsesWeekdays) {
  const ParseCase kCases[] = {
      {.expr = "Mon..Fri *-*-* 8:00", .weekdays = {1, 2, 3, 4, 5}, .hours = {8}},
      {.expr = "Mon,Wed..Fri", .weekdays = {1, 3, 4, 5}},
      {.expr = "Sat,Sun", .weekdays = {0, 6}},
      {.expr = "sunday", .weekdays = {0}},
      {.expr = "MONDAY..friday", .weekdays = {1, 2, 3, 4, 5}},
      {.expr = "tue,Thursday", .weekdays = {2, 4}},
      // systemd's older range spelling, which it still reads.
      {.expr = "Mon-Fri", .weekdays = {1, 2, 3, 4, 5}},
      {.expr = "Mon..Mon", .weekdays = {1}},
      {.expr = "Mon..Sun", .weekdays = kEveryWeekday},
      {.expr = "Sat..Sun,Mon", .weekdays = {0, 1, 6}},
      {.expr = "sat 18:15", .weekdays = {6}, .hours = {18}, .minutes = {15}},
      {.expr = "mon..fri 8:00", .weekdays = {1, 2, 3, 4, 5}, .hours = {8}},
  };
  for (const ParseCase& c : kCases) ExpectParsesTo(c);
}

TEST(CalendarEventTest, ParsesTimes) {
  const ParseCase kCases[] = {
      {.expr = "12:30", .hours = {12}, .minutes = {30}},
      {.expr = "8:00", .hours = {8}, .minutes = {0}},
      {.expr = "12:30:45", .hours = {12}, .minutes = {30}, .seconds = {45}},
      {.expr = "01:02:03", .hours = {1}, .minutes = {2}, .seconds = {3}},
      {.expr = "*:0/15", .hours = kEveryHour, .minutes = {0, 15, 30, 45}},
      {.expr = "*:0/5",
       .hours = kEveryHour,
       .minutes = {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55}},
      {.expr = "*:*", .hours = kEveryHour, .minutes = kEveryMinute},
      {.expr = "*:*:*", .hours = kEveryHour, .minutes = kEveryMinute, .seconds = kEverySecond},
      {.expr = "*-*-* 8..17/2:00", .hours = {8, 10, 12, 14, 16}},
      {.expr = "*/6:*/20:*/30",
       .hours = {0, 6, 12, 18},
       .minutes = {0, 20, 40},
       .seconds = {0, 30}},
      {.expr = "0/10:00", .hours = {0, 10, 20}},
      {.expr = "*:30/10", .hours = kEveryHour, .minutes = {30, 40, 50}},
      {.expr = "*:0/59", .hours = kEveryHour, .minutes = {0, 59}},
      {.expr = "12:00:00,30", .hours = {12}, .seconds = {0, 30}},
      // Examples from the PBS documentation.
      {.expr = "fri 12..13:5/20", .weekdays = {5}, .hours = {12, 13}, .minutes = {5, 25, 45}},
      {.expr = "mon..fri 8..17,22:0/15",
       .weekdays = {1, 2, 3, 4, 5},
       .hours = {8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 22},
       .minutes = {0, 15, 30, 45}},
      {.expr = "12,14,16,18,20,22:5", .hours = {12, 14, 16, 18, 20, 22}, .minutes = {5}},
      {.expr = "12/2:5", .hours = {12, 14, 16, 18, 20, 22}, .minutes = {5}},
      // Values need not be padded, and padding is not limited to two digits (as in systemd).
      {.expr = "005:7", .hours = {5}, .minutes = {7}},
      // Overlapping items and lists out of order collapse into one set.
      {.expr = "3,1,2..3:00", .hours = {1, 2, 3}},
  };
  for (const ParseCase& c : kCases) ExpectParsesTo(c);
}

TEST(CalendarEventTest, ParsesDates) {
  const ParseCase kCases[] = {
      {.expr = "2015-10-21", .years = {2015}, .months = {10}, .days = {21}},
      {.expr = "*-05", .days = {5}},
      {.expr = "Sat *-1..7 15:00", .weekdays = {6}, .days = Iota(1, 7), .hours = {15}},
      {.expr = "*-1..12/3-1", .months = {1, 4, 7, 10}, .days = {1}},
      {.expr = "*-*-01/5", .days = {1, 6, 11, 16, 21, 26, 31}},
      {.expr = "*-*-01..07/2", .days = {1, 3, 5, 7}},
      {.expr = "*-*-*", .days = kEveryDay},
      {.expr = "*-*-1..31", .days = kEveryDay},
      // Years: lists and ranges, ascending, open repetitions stop at 2199.
      {.expr = "2023,2025-01-01", .years = {2023, 2025}, .months = {1}, .days = {1}},
      {.expr = "2025,2023..2024-*-*", .years = {2023, 2024, 2025}},
      {.expr = "2020..2030/5-*-*", .years = {2020, 2025, 2030}},
      {.expr = "2190/4-01-01", .years = {2190, 2194, 2198}, .months = {1}, .days = {1}},
      {.expr = "1970..1972-*-*", .years = {1970, 1971, 1972}},
      {.expr = "2199-12-31", .years = {2199}, .months = {12}, .days = {31}},
      {.expr = "*-*-* 12:00", .hours = {12}},
  };
  for (const ParseCase& c : kCases) ExpectParsesTo(c);
}

TEST(CalendarEventTest, ParsesDaysFromTheMonthsEnd) {
  // The days each expression fires on in May 2030 (31 days), as systemd 252 lists them
  // (systemd-analyze calendar --iterations=8), are noted beside each case.
  const ParseCase kCases[] = {
      {.expr = "*-02~03", .months = {2}, .days = {}, .days_from_end = {3}},
      // 25, 26, ..., 31: the last 7 days of May.
      {.expr = "*-05~07/1", .months = {5}, .days = {}, .days_from_end = {1, 2, 3, 4, 5, 6, 7}},
      // 25, 27, 29, 31: an open repetition counts toward the month's end.
      {.expr = "*-05~07/2", .months = {5}, .days = {}, .days_from_end = {1, 3, 5, 7}},
      // 26, 28, 30
      {.expr = "*-05~06/2", .months = {5}, .days = {}, .days_from_end = {2, 4, 6}},
      // 29, 31: a range counts up from its first value.
      {.expr = "*-05~1..3/2", .months = {5}, .days = {}, .days_from_end = {1, 3}},
      // 28, 30
      {.expr = "*-05~2..5/2", .months = {5}, .days = {}, .days_from_end = {2, 4}},
      // 26, 29
      {.expr = "*-05~3..8/3", .months = {5}, .days = {}, .days_from_end = {3, 6}},
      {.expr = "*~1", .days = {}, .days_from_end = {1}},
      {.expr = "05~1", .months = {5}, .days = {}, .days_from_end = {1}},
      {.expr = "2030-*~1,2", .years = {2030}, .days = {}, .days_from_end = {1, 2}},
      // "~*" is every day, as systemd normalises it.
      {.expr = "*-*~*", .days = kEveryDay, .days_from_end = {}},
  };
  for (const ParseCase& c : kCases) ExpectParsesTo(c);
}

TEST(CalendarEventTest, ParsesShorthands) {
  const ParseCase kCases[] = {
      {.expr = "minutely", .hours = kEveryHour, .minutes = kEveryMinute},
      {.expr = "hourly", .hours = kEveryHour},
      {.expr = "daily"},
      {.expr = "Daily"},
      {.expr = "weekly", .weekdays = {1}},
      {.expr = "monthly", .days = {1}},
      {.expr = "yearly", .months = {1}, .days = {1}},
      {.expr = "annually", .months = {1}, .days = {1}},
      {.expr = "quarterly", .months = {1, 4, 7, 10}, .days = {1}},
      {.expr = "semiannually", .months = {1, 7}, .days = {1}},
      {.expr = "semi-annually", .months = {1, 7}, .days = {1}},
      {.expr = "HOURLY", .hours = kEveryHour},
      {.expr = "daily UTC", .zone = "UTC"},
      {.expr = "weekly Europe/Berlin", .weekdays = {1}, .zone = "Europe/Berlin"},
  };
  for (const ParseCase& c : kCases) ExpectParsesTo(c);
}

TEST(CalendarEventTest, ParsesTimeZones) {
  const ParseCase kCases[] = {
      {.expr = "Mon *-*-* 8:00 Europe/Berlin",
       .weekdays = {1},
       .hours = {8},
       .zone = "Europe/Berlin"},
      {.expr = "*-*-* 8:00 UTC", .hours = {8}, .zone = "UTC"},
      {.expr = "Mon 8:00 utc", .weekdays = {1}, .hours = {8}, .zone = "UTC"},
      {.expr = "Mon 8:00 Etc/GMT+5", .weekdays = {1}, .hours = {8}, .zone = "Etc/GMT+5"},
      {.expr = "12:00 America/Port-au-Prince", .hours = {12}, .zone = "America/Port-au-Prince"},
      {.expr = "Mon Europe/Berlin", .weekdays = {1}, .zone = "Europe/Berlin"},
      {.expr = "2025-01-01 America/Argentina/Buenos_Aires",
       .years = {2025},
       .months = {1},
       .days = {1},
       .zone = "America/Argentina/Buenos_Aires"},
      // Not checked against the zone database here.
      {.expr = "8:00 Nowhere/Special", .hours = {8}, .zone = "Nowhere/Special"},
      // Whitespace between and around the parts.
      {.expr = "  Mon\t 8:00   UTC ", .weekdays = {1}, .hours = {8}, .zone = "UTC"},
  };
  for (const ParseCase& c : kCases) ExpectParsesTo(c);
}

TEST(CalendarEventTest, SetsRestrictedFlags) {
  struct FlagCase {
    std::string_view expr;
    bool weekdays_restricted;
    bool days_restricted;
  };
  const FlagCase kCases[] = {
      {"12:00", false, false},    {"Mon..Fri", true, false},
      {"Mon..Sun", false, false}, {"Mon,Tue,Wed,Thu,Fri,Sat,Sun", false, false},
      {"*-*-15", false, true},    {"*-*-1..31", false, false},
      {"*-02~03", false, true},   {"*-*~*", false, false},
      {"monthly", false, true},   {"weekly", true, false},
      {"Fri *-*-13", true, true}, {"*-02-*", false, false},
  };
  for (const FlagCase& c : kCases) {
    SCOPED_TRACE(std::string(c.expr));
    Result<CalendarSpec> spec = ParseCalendarEvent(c.expr);
    ASSERT_TRUE(spec.ok()) << spec.error().message;
    EXPECT_EQ(spec->weekdays_restricted, c.weekdays_restricted);
    EXPECT_EQ(spec->days_restricted, c.days_restricted);
    EXPECT_FALSE(spec->day_or_weekday);
  }
}

// Expressions and the normalized form systemd 252 printed for them (systemd-analyze calendar):
// rota must read both the same way.
TEST(CalendarEventTest, AgreesWithSystemdNormalizedForms) {
  const std::pair<std::string_view, std::string_view> kPairs[] = {
      {"*:0/15", "*-*-* *:00/15:00"},
      {"mon..fri 8:00", "Mon..Fri *-*-* 08:00:00"},
      {"monday..Friday 8:00", "Mon..Fri *-*-* 08:00:00"},
      {"Mon,Wed..Fri", "Mon,Wed..Fri *-*-* 00:00:00"},
      {"Mon-Fri", "Mon..Fri *-*-* 00:00:00"},
      {"Mon..Sun", "*-*-* 00:00:00"},
      {"sat 18:15", "Sat *-*-* 18:15:00"},
      {"12:30", "*-*-* 12:30:00"},
      {"*:*", "*-*-* *:*:00"},
      {"minutely", "*-*-* *:*:00"},
      {"hourly", "*-*-* *:00:00"},
      {"weekly", "Mon *-*-* 00:00:00"},
      {"quarterly", "*-01,04,07,10-01 00:00:00"},
      {"semiannually", "*-01,07-01 00:00:00"},
      {"2020..2030/3-*-*", "2020..2029/3-*-* 00:00:00"},
      {"2023,2021-*-*", "2021,2023-*-* 00:00:00"},
      {"*-1..12/3-1", "*-01..10/3-01 00:00:00"},
      {"8..17/2:00", "*-*-* 08..16/2:00:00"},
      {"*~1", "*-*~01 00:00:00"},
      {"05~1", "*-05~01 00:00:00"},
      {"*-*~*", "*-*-* 00:00:00"},
      {"Mon 8:00 utc", "Mon *-*-* 08:00:00 UTC"},
  };
  for (const auto& [expr, normalized] : kPairs) {
    SCOPED_TRACE(std::string(expr) + " vs " + std::string(normalized));
    Result<CalendarSpec> a = ParseCalendarEvent(expr);
    Result<CalendarSpec> b = ParseCalendarEvent(normalized);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(a->seconds, b->seconds);
    EXPECT_EQ(a->minutes, b->minutes);
    EXPECT_EQ(a->hours, b->hours);
    EXPECT_EQ(a->days, b->days);
    EXPECT_EQ(a->days_from_end, b->days_from_end);
    EXPECT_EQ(a->months, b->months);
    EXPECT_EQ(a->weekdays, b->weekdays);
    EXPECT_EQ(a->years, b->years);
    EXPECT_EQ(a->days_restricted, b->days_restricted);
    EXPECT_EQ(a->weekdays_restricted, b->weekdays_restricted);
    EXPECT_EQ(a->zone, b->zone);
  }
}

struct RefusalCase {
  std::string_view expr;
  std::vector<std::string> substrings;
};

void ExpectRefused(const RefusalCase& c) {
  SCOPED_TRACE(std::string(c.expr));
  Result<CalendarSpec> spec = ParseCalendarEvent(c.expr);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code, "invalid_calendar");
  EXPECT_THAT(spec.error().message, HasSubstr("calendar event \""));
  for (const std::string& s : c.substrings) EXPECT_THAT(spec.error().message, HasSubstr(s));
}

TEST(CalendarEventTest, RefusesOutOfRangeValues) {
  const RefusalCase kCases[] = {
      {"mon..fri 25:00",
       {"calendar event \"mon..fri 25:00\": hour 25 is out of range 0..23 (at column 10, in "
        "\"25:00\")"}},
      {"*:60", {"minute 60 is out of range 0..59 (at column 3, in \"*:60\")"}},
      {"*:*:60", {"second 60 is out of range 0..59"}},
      {"*-13-01", {"month 13 is out of range 1..12 (at column 3, in \"*-13-01\")"}},
      {"*-*-0", {"day 0 is out of range 1..31"}},
      {"*-*-32", {"day 32 is out of range 1..31"}},
      {"*-*~32", {"day counted from the month's end 32 is out of range 1..31"}},
      {"*-*~0", {"day counted from the month's end 0 is out of range 1..31"}},
      {"1969-01-01", {"year 1969 is out of range 1970..2199"}},
      {"2200-01-01", {"year 2200 is out of range 1970..2199"}},
      {"2020..2200-*-*", {"year 2200 is out of range 1970..2199 (at column 7"}},
      {"23-01-01", {"a year needs 4 digits, not \"23\""}},
      {"99999-01-01", {"a year needs 4 digits, not \"99999\""}},
      {"*:99999999999999999999", {"minute 99999999999999999999 is out of range 0..59"}},
  };
  for (const RefusalCase& c : kCases) ExpectRefused(c);
}

TEST(CalendarEventTest, RefusesMalformedLists) {
  const RefusalCase kCases[] = {
      {"*:0,,30",
       {"an empty item in the minute list (a stray \",\"?) (at column 5, in \"*:0,,30\")"}},
      {"*:0,15,", {"an empty item in the minute list"}},
      {"Mon,,Tue", {"an empty item in the weekday list"}},
      {"Mon,", {"an empty item in the weekday list"}},
      {"*-*-5..3", {"the day range \"5..3\" runs backwards (at column 5, in \"*-*-5..3\")"}},
      {"5..3:00", {"the hour range \"5..3\" runs backwards"}},
      {"2025..2023-*-*", {"the year range \"2025..2023\" runs backwards"}},
      {"*:0/0", {"a step of 0 never advances (at column 5, in \"*:0/0\")"}},
      {"*/0:00", {"a step of 0 never advances"}},
      {"*:0/60", {"step 60 is out of range 1..59 for the minute"}},
      {"0/24:00", {"step 24 is out of range 1..23 for the hour"}},
      {"*:0/", {"expected a step after \"/\""}},
      {"*:0,*", {"\"*\" must stand alone as the minute (or as \"*/STEP\")"}},
      {"*:5*", {"\"*\" must stand alone as the minute"}},
      {"*:5x", {"unexpected \"x\" in the minute (at column 4"}},
      {"*:..5", {"expected a number for the minute, found \".\""}},
      {"*/2-01-01", {"\"*/STEP\" leaves unclear where counting starts for a year; write a start"}},
      {"*-*-* 8:", {"the minute is missing (at column 9, in \"8:\")"}},
      {"*-*-* :00", {"the hour is missing"}},
      {"*-*-", {"the day is missing"}},
      {"1:2:3:4", {"the time \"1:2:3:4\" at column 1 has more than three parts"}},
      {"*-*-*-*", {"the date \"*-*-*-*\" at column 1 has more than three parts"}},
      {"1~2-3", {"\"~\" may only stand before the day"}},
  };
  for (const RefusalCase& c : kCases) ExpectRefused(c);
}

TEST(CalendarEventTest, RefusesFractionalSeconds) {
  ExpectRefused({"*-*-* 12:00:00.5",
                 {"fractions of a second are not supported; write whole seconds (at column 15"}});
  ExpectRefused({"*:*:5.25", {"fractions of a second are not supported"}});
}

TEST(CalendarEventTest, RefusesUnknownWeekdaysWithASuggestion) {
  const RefusalCase kCases[] = {
      {"Mnday 8:00", {"\"Mnday\" at column 1 is not a weekday; did you mean \"Mon\"?"}},
      {"mon,Wendesday", {"\"Wendesday\" at column 5 is not a weekday; did you mean \"Wed\"?"}},
      {"Thurs", {"did you mean \"Thu\"?"}},
      {"Tues..Fri", {"\"Tues\" at column 1 is not a weekday; did you mean \"Tue\"?"}},
      {"Mon..Fro", {"\"Fro\" at column 6 is not a weekday; did you mean \"Fri\"?"}},
      {"dayly", {"\"dayly\" at column 1 is not a weekday; did you mean \"daily\"?"}},
      {"Xyzzy", {"\"Xyzzy\" at column 1 is not a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun"}},
      {"UTC", {"\"UTC\" at column 1 is not a weekday"}},
      {"Mon..", {"the weekday range \"Mon..\" at column 1 needs a day on both sides"}},
  };
  for (const RefusalCase& c : kCases) ExpectRefused(c);
}

TEST(CalendarEventTest, RefusesBackwardWeekdayRangesWithTheWrapSpelledOut) {
  ExpectRefused({"Fri..Mon",
                 {"the weekday range \"Fri..Mon\" at column 1 runs backwards (weeks run Mon..Sun); "
                  "did you mean \"Fri..Sun,Mon\"?"}});
  ExpectRefused({"Sun..Sat 8:00", {"did you mean \"Sun,Mon..Sat\"?"}});
  ExpectRefused({"Sat..Tue", {"did you mean \"Sat..Sun,Mon..Tue\"?"}});
}

TEST(CalendarEventTest, RefusesPartsOutOfPlace) {
  const RefusalCase kCases[] = {
      {"", {"the expression is empty"}},
      {"   ", {"the expression is empty"}},
      {"8:00 Mon",
       {"the weekday list \"Mon\" at column 6 comes after the time; the order is WEEKDAYS"}},
      {"2023-01-01 Mon", {"the weekday list \"Mon\" at column 12 comes after the date"}},
      {"8:00 2023-01-01", {"the date \"2023-01-01\" at column 6 comes after the time"}},
      {"Mon Tue", {"a second weekday list, \"Tue\" at column 5; an expression has at most one"}},
      {"8:00 9:00", {"a second time, \"9:00\" at column 6"}},
      {"*-*-* *-*-*", {"a second date"}},
      {"2023-01-01T08:00", {"\"2023-01-01T08:00\" at column 1 runs a date and a time together"}},
      {"mon daily", {"\"daily\" at column 5 stands for \"*-*-* 00:00:00\" and cannot be combined"}},
      {"daily 8:00", {"\"daily\" at column 1 stands for"}},
      {"@daily", {"\"@daily\" at column 1 is cron's spelling; did you mean \"daily\"?"}},
      {"%%", {"\"%%\" at column 1 is not a weekday list, a date or a time"}},
      {"Mon 8:00 Europe/Ber;lin",
       {"the time zone \"Europe/Ber;lin\" at column 10 may hold only letters, digits"}},
  };
  for (const RefusalCase& c : kCases) ExpectRefused(c);
}

// A time without ":" reads as minutes of every hour in PBS and Proxmox VE, is refused by systemd,
// and is easily meant as hours: refused, with both readings spelled out.
TEST(CalendarEventTest, RefusesATimeWithoutAColonWithBothReadings) {
  Result<CalendarSpec> spec = ParseCalendarEvent("mon..fri 8..17/2");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code, "invalid_calendar");
  EXPECT_EQ(
      spec.error().message,
      "calendar event \"mon..fri 8..17/2\": a time needs HOUR:MINUTE, and \"8..17/2\" at column 10 "
      "has no \":\". Proxmox Backup Server and Proxmox VE read it as minutes of every hour, "
      "systemd refuses it, and it is easily meant as hours. Did you mean \"mon..fri 8..17/2:00\" "
      "(at 8:00, 10:00, 12:00, 14:00, 16:00) or \"mon..fri *:8..17/2\" (every hour at :08, :10, "
      ":12, :14, :16, as Proxmox reads it)?");

  // Both suggestions parse, to what they say.
  Result<CalendarSpec> hours = ParseCalendarEvent("mon..fri 8..17/2:00");
  ASSERT_TRUE(hours.ok());
  EXPECT_THAT(Values(hours->hours), ElementsAre(8, 10, 12, 14, 16));
  EXPECT_THAT(Values(hours->minutes), ElementsAre(0));
  Result<CalendarSpec> minutes = ParseCalendarEvent("mon..fri *:8..17/2");
  ASSERT_TRUE(minutes.ok());
  EXPECT_EQ(Values(minutes->hours), kEveryHour);
  EXPECT_THAT(Values(minutes->minutes), ElementsAre(8, 10, 12, 14, 16));
}

TEST(CalendarEventTest, RefusesOtherTimesWithoutAColon) {
  const RefusalCase kCases[] = {
      {"mon..fri 8",
       {"Did you mean \"mon..fri 8:00\" (at 8:00) or \"mon..fri *:8\" (every hour at :08"}},
      {"Mon *-*-* 22",
       {"\"22\" at column 11 has no \":\"", "Did you mean \"Mon *-*-* 22:00\" (at 22:00) or"}},
      // Not an hour: only the minutes reading is offered.
      {"mon 30",
       {"minutes of every hour and systemd refuses it. Did you mean \"mon *:30\" (every hour at "
        ":30, as Proxmox reads it)?"}},
      // PBS's "*/5" is suggested in the spelling systemd reads too.
      {"*/5",
       {"Did you mean \"0/5:00\" (at 0:00, 5:00, 10:00, 15:00, 20:00) or \"*:0/5\" (every hour at "
        ":00, :05, :10, ..., :55, as Proxmox reads it)?"}},
      {"*",
       {"\"*:00\" (at 0:00, 1:00, 2:00, ..., 23:00) or \"*:*\" (every hour at :00, :01, :02, ..., "
        ":59"}},
      {"8 UTC", {"Did you mean \"8:00\" (at 8:00) or \"*:8\""}},
      // Neither reading is in range.
      {"75", {"\"75\" at column 1 has no \":\"; read as minutes: minute 75 is out of range 0..59"}},
  };
  for (const RefusalCase& c : kCases) ExpectRefused(c);
  Result<CalendarSpec> spec = ParseCalendarEvent("mon 30");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.error().message, Not(HasSubstr("30:00")));
}

TEST(CalendarEventTest, QuotesLongExpressionsCutButSuggestionsWhole) {
  const std::string expr = "Mon,Tue,Wed,Thu,Fri *-01,04,07,10-01..07 8..17/2";
  Result<CalendarSpec> spec = ParseCalendarEvent(expr);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.error().message,
              AllOf(HasSubstr("calendar event \"Mon,Tue,Wed,Thu,Fri *-01,04,07,10-01..07...\": "),
                    HasSubstr("\"Mon,Tue,Wed,Thu,Fri *-01,04,07,10-01..07 8..17/2:00\"")));
}

}  // namespace
}  // namespace rota
