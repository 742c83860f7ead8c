#include "core/units.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace rota {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr int64_t kK = 1024;
constexpr int64_t kM = kK * 1024;
constexpr int64_t kG = kM * 1024;
constexpr int64_t kT = kG * 1024;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

struct ErrorCase {
  std::string_view text;
  std::string_view message;  // A substring of the message, or all of it when it starts "invalid".
};

void ExpectError(const Error& error, std::string_view code, std::string_view message) {
  EXPECT_EQ(error.code, code);
  if (message.starts_with("invalid")) {
    EXPECT_EQ(error.message, message);
  } else {
    EXPECT_THAT(error.message, HasSubstr(message));
  }
}

TEST(DurationTest, ParsesGroupsAndBareSeconds) {
  const std::pair<std::string_view, Duration> kCases[] = {
      {"90s", 90s},
      {"10m", 10min},
      {"1h30m", 90min},
      {"250ms", 250ms},
      {"15us", 15us},
      {"1h", 1h},
      {"1s500ms", 1500ms},
      {"2h3m4s5ms6us", 2h + 3min + 4s + 5ms + 6us},
      {"30m1h", 90min},  // Any order, summed, as Go does.
      {"0s", 0s},
      {"0", 0s},
      {"45", 45s},
      {"007s", 7s},
      {"2562047788h", 2562047788h},  // Near the top of int64 microseconds.
  };
  for (const auto& [text, want] : kCases) {
    SCOPED_TRACE(text);
    Result<Duration> got = ParseDuration(text);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, want);
  }
}

TEST(DurationTest, RefusesBadTextSayingWhy) {
  const ErrorCase kCases[] = {
      {"10x", R"(invalid duration "10x": unknown unit "x" (use h, m, s, ms, us))"},
      {"10M", R"(unknown unit "M")"},
      {"5sec", R"(unknown unit "sec")"},
      {"1d", R"(unknown unit "d")"},
      {"", R"(invalid duration "": empty (write e.g. 90s, 10m, 1h30m, 250ms))"},
      {"-5s", R"(invalid duration "-5s": negative durations are not allowed)"},
      {"-5", R"(negative durations are not allowed)"},
      {"9999999999999999999s", R"(invalid duration "9999999999999999999s": too large)"},
      {"2562047789h", R"(too large)"},
      {"2562047788h2562047788h", R"(too large)"},
      {"1h30", R"(invalid duration "1h30": missing unit after "30" (use h, m, s, ms, us))"},
      {"1.5s",
       R"(invalid duration "1.5s": unexpected ".5s" after "1" (write whole groups like 1s500ms))"},
      {"s", R"(invalid duration "s": expected a number at "s")"},
      {"1h m", R"(expected a number at " m")"},
      {" 5s", R"(expected a number at " 5s")"},
      {"5s ", R"(expected a number at " ")"},
      {"+5s", R"(expected a number)"},
  };
  for (const ErrorCase& c : kCases) {
    SCOPED_TRACE(c.text);
    Result<Duration> got = ParseDuration(c.text);
    ASSERT_FALSE(got.ok());
    ExpectError(got.error(), "invalid_duration", c.message);
  }
}

TEST(DurationTest, FormatsExactlyLargestUnitFirst) {
  const std::pair<Duration, std::string_view> kCases[] = {
      {90s, "1m30s"},      {0s, "0s"},          {1h, "1h"},         {250ms, "250ms"},
      {1500ms, "1s500ms"}, {1us, "1us"},        {25h, "25h"},       {3601s, "1h1s"},
      {-90s, "-1m30s"},    {1h + 1us, "1h1us"}, {1001us, "1ms1us"},
  };
  for (const auto& [d, want] : kCases) {
    SCOPED_TRACE(want);
    EXPECT_EQ(FormatDuration(d), want);
  }
  EXPECT_EQ(FormatDuration(Duration::min()), "-2562047788h54s775ms808us");
}

TEST(DurationTest, FormatThenParseGivesBackTheSameDuration) {
  for (Duration d : std::initializer_list<Duration>{
           1us, 999ms, 1s, 59s, 61s, 1h + 59min + 59s + 999ms + 999us, Duration::max()}) {
    Result<Duration> back = ParseDuration(FormatDuration(d));
    ASSERT_TRUE(back.ok()) << FormatDuration(d);
    EXPECT_EQ(*back, d);
  }
}

TEST(SizeTest, ParsesUnitsInPowersOf1024) {
  const std::pair<std::string_view, int64_t> kCases[] = {
      {"1024", 1024},
      {"0", 0},
      {"100B", 100},
      {"100b", 100},
      {"1K", kK},
      {"512M", 512 * kM},
      {"4G", 4 * kG},
      {"2T", 2 * kT},
      {"4GiB", 4 * kG},
      {"4Gi", 4 * kG},
      {"4GB", 4 * kG},
      {"4gib", 4 * kG},
      {"4gb", 4 * kG},
      {"4g", 4 * kG},
      {"512m", 512 * kM},
      {"8KiB", 8 * kK},
      {"9223372036854775807", kInt64Max},
      {"8388607T", 8388607 * kT},
  };
  for (const auto& [text, want] : kCases) {
    SCOPED_TRACE(text);
    Result<int64_t> got = ParseSize(text);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, want);
  }
}

TEST(SizeTest, RefusesBadTextSayingWhy) {
  const ErrorCase kCases[] = {
      {"4X", R"(invalid size "4X": unknown unit "X" (use K, M, G or T, as in 4G))"},
      {"4P", R"(unknown unit "P")"},
      {"4GiBs", R"(unknown unit "GiBs")"},
      {"4iB", R"(unknown unit "iB")"},
      {"4BB", R"(unknown unit "BB")"},
      {"4 G", R"(unknown unit " G")"},
      {"1.5G", R"(unknown unit ".5G")"},
      {"", R"(invalid size "": empty (write e.g. 512M, 4G, 1024))"},
      {"-1G", R"(invalid size "-1G": negative sizes are not allowed)"},
      {"G", R"(invalid size "G": expected a number at "G")"},
      {"9223372036854775808", R"(invalid size "9223372036854775808": too large)"},
      {"8388608T", R"(too large)"},
  };
  for (const ErrorCase& c : kCases) {
    SCOPED_TRACE(c.text);
    Result<int64_t> got = ParseSize(c.text);
    ASSERT_FALSE(got.ok());
    ExpectError(got.error(), "invalid_size", c.message);
  }
}

TEST(SizeTest, FormatsForDisplay) {
  const std::pair<int64_t, std::string_view> kCases[] = {
      {100, "100"},
      {0, "0"},
      {1023, "1023"},
      {1024, "1K"},
      {512 * kM, "512M"},
      {4 * kG, "4G"},
      {3 * kG / 2, "1.5G"},
      {kG + 1 * kM, "1025M"},  // Exact one unit down beats a rounded "1.0G".
      {4 * kG + 1, "4.0G"},    // Otherwise rounded to one decimal.
      {kG + kG / 10 + 1, "1.1G"},
      {kG - 1, "1.0G"},  // Not "1024.0M".
      {2 * kT, "2T"},
      {2048 * kT, "2048T"},
      {1536, "1.5K"},
      {-512 * kM, "-512M"},
      {std::numeric_limits<int64_t>::min(), "-8388608T"},
  };
  for (const auto& [bytes, want] : kCases) {
    SCOPED_TRACE(want);
    EXPECT_EQ(FormatSize(bytes), want);
  }
}

TEST(SizeTest, ExactFormsParseBack) {
  for (int64_t bytes : {int64_t{100}, kK, 512 * kM, 4 * kG, kG + kM, 7 * kT}) {
    Result<int64_t> back = ParseSize(FormatSize(bytes));
    ASSERT_TRUE(back.ok()) << FormatSize(bytes);
    EXPECT_EQ(*back, bytes);
  }
}

}  // namespace
}  // namespace rota
