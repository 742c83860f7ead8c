#include "core/frame_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr Frame kMin = std::numeric_limits<Frame>::min();
constexpr Frame kMax = std::numeric_limits<Frame>::max();

std::vector<Frame> Iota(Frame first, Frame last) {
  std::vector<Frame> v(static_cast<size_t>(last - first + 1));
  std::iota(v.begin(), v.end(), first);
  return v;
}

struct ParseCase {
  std::string_view expr;
  std::vector<Frame> frames;
};

TEST(FrameSetTest, ParsesEveryForm) {
  const ParseCase kCases[] = {
      // DESIGN section 3.
      {"5", {5}},
      {"-5", {-5}},
      {"1-10", Iota(1, 10)},
      {"5-1", {5, 4, 3, 2, 1}},
      {"-5--1", {-5, -4, -3, -2, -1}},
      {"-1--5", {-1, -2, -3, -4, -5}},
      {"-2-2", {-2, -1, 0, 1, 2}},
      {"1-10x3", {1, 4, 7, 10}},
      {"1-10y3", {2, 3, 5, 6, 8, 9}},
      {"10-1x-2", {10, 8, 6, 4, 2}},
      {"1-10:5", {1, 6, 3, 5, 7, 9, 2, 4, 8, 10}},
      // Sections concatenate in order, without de-duplication, whitespace trimmed.
      {"1-3,2-4", {1, 2, 3, 2, 3, 4}},
      {" 1-3 ,\t7 ", {1, 2, 3, 7}},
      {"5,5", {5, 5}},
      {"10-1x-2,1-10x3", {10, 8, 6, 4, 2, 1, 4, 7, 10}},
      // Steps that do not land on the end frame stop before it.
      {"1-10x4", {1, 5, 9}},
      {"1-10x100", {1}},
      {"1-10y4", {2, 3, 4, 6, 7, 8, 10}},
      // Decisions documented in frame_set.h.
      {"1-1", {1}},
      {"1-10x1", Iota(1, 10)},
      {"5-1x-1", {5, 4, 3, 2, 1}},
      {"5-1x1", {5, 4, 3, 2, 1}},
      {"1-1x5", {1}},
      {"1-1x-5", {1}},
      {"1-1:3", {1}},
      {"10-1y-3", {9, 8, 6, 5, 3, 2}},
      // Interleave: each pass halves the step, every frame exactly once.
      {"10-1:-5", {10, 5, 8, 6, 4, 2, 9, 7, 3, 1}},
      {"1-10:1", Iota(1, 10)},
      {"1-10:50", {1, 7, 4, 10, 2, 3, 5, 6, 8, 9}},
      {"5-1:1", {5, 4, 3, 2, 1}},
      // The edges of 32 bits, where a naive int32 step would overflow.
      {"2147483647", {kMax}},
      {"-2147483648", {kMin}},
      {"2147483645-2147483647", {kMax - 2, kMax - 1, kMax}},
      {"-2147483648--2147483646", {kMin, kMin + 1, kMin + 2}},
      {"2147483640-2147483647x5", {kMax - 7, kMax - 2}},
      {"-2147483648-2147483647x2147483647", {kMin, -1, kMax - 1}},
      {"2147483647--2147483648x-2147483648", {kMax, -1}},
      {"007", {7}},
  };
  for (const ParseCase& c : kCases) {
    SCOPED_TRACE(c.expr);
    Result<std::vector<Frame>> got = ParseFrameSet(c.expr);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_THAT(*got, ElementsAreArray(c.frames));
  }
}

struct ErrorCase {
  std::string_view expr;
  std::string_view message;  // A substring of the message, or all of it when it starts "invalid".
};

TEST(FrameSetTest, RefusesBadExpressionsSayingWhy) {
  const ErrorCase kCases[] = {
      {"1-10x0", R"(invalid frame set "1-10x0": step 0 in section "1-10x0")"},
      {"1-10y0", R"(step 0 in section "1-10y0")"},
      {"1-10:0", R"(step 0 in section "1-10:0")"},
      {"1,10-1x2", R"(invalid frame set "1,10-1x2": positive step 2 on a descending range )"
                   R"(in section "10-1x2")"},
      {"10-1y3", R"(positive step 3 on a descending range in section "10-1y3")"},
      {"10-1:5", R"(positive step 5 on a descending range in section "10-1:5")"},
      {"1-10x-2", R"(invalid frame set "1-10x-2": negative step -2 on an ascending range )"
                  R"(in section "1-10x-2")"},
      {"1-10y-3", R"(negative step -3 on an ascending range in section "1-10y-3")"},
      {"1-10:-1", R"(negative step -1 on an ascending range in section "1-10:-1")"},
      {"2147483648", R"(invalid frame set "2147483648": number 2147483648 out of 32-bit range )"
                     R"(in section "2147483648")"},
      {"-2147483649", R"(number -2147483649 out of 32-bit range)"},
      {"1-99999999999999999999999", R"(number 99999999999999999999999 out of 32-bit range)"},
      {"1-10x4294967296", R"(number 4294967296 out of 32-bit range)"},
      {"1-10000001", R"(invalid frame set "1-10000001": more than 10000000 frames )"
                     R"((section "1-10000001" brings the total to 10000001))"},
      {"1-5000000,1-5000001", R"(more than 10000000 frames (section "1-5000001")"},
      {"-2147483648-2147483647", R"(brings the total to 4294967296)"},
      {"1-100000000:7", R"(more than 10000000 frames)"},
      {"", R"(invalid frame set "": empty expression)"},
      {" \t ", R"(empty expression)"},
      {"1,,2", R"(invalid frame set "1,,2": section 2 is empty (a stray comma?))"},
      {"1,", R"(section 2 is empty)"},
      {",1", R"(section 1 is empty)"},
      {"1-10y1", R"(invalid frame set "1-10y1": no frames selected in section "1-10y1")"},
      {"3-3y2", R"(no frames selected in section "3-3y2")"},
      {"abc",
       R"(invalid frame set "abc": unrecognised syntax (expected N, A-B, A-BxS, A-ByS or A-B:S) )"
       R"(in section "abc")"},
      {"1-", R"(unrecognised syntax)"},
      {"-", R"(unrecognised syntax)"},
      {"1-10x", R"(unrecognised syntax)"},
      {"1-10z2", R"(unrecognised syntax)"},
      {"1-10X2", R"(unrecognised syntax)"},
      {"1-10x2x3", R"(unrecognised syntax)"},
      {"1-10x2-4", R"(unrecognised syntax)"},
      {"1 - 10", R"(in section "1 - 10")"},
      {"+5", R"(unrecognised syntax)"},
      {"1-+5", R"(unrecognised syntax)"},
      {"1.5", R"(unrecognised syntax)"},
      {"1-2-3", R"(unrecognised syntax)"},
      {"--5", R"(unrecognised syntax)"},
      {"1;2", R"(unrecognised syntax)"},
  };
  for (const ErrorCase& c : kCases) {
    SCOPED_TRACE(c.expr);
    Result<std::vector<Frame>> got = ParseFrameSet(c.expr);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, "invalid_frames");
    if (c.message.starts_with("invalid")) {
      EXPECT_EQ(got.error().message, c.message);
    } else {
      EXPECT_THAT(got.error().message, HasSubstr(c.message));
    }
  }
}

// OpenCue's FrameRange written the slow, obvious way (filter the whole range, a seen-list for
// interleave), plus the three choices frame_set.h documents. nullopt means "an error".
std::optional<std::vector<Frame>> Reference(int start, int end, char op, int step) {
  if (step == 0) return std::nullopt;
  if (end < start && step > 1) return std::nullopt;
  if (end > start && step < 0) return std::nullopt;
  if (end < start && step == 1) step = -1;  // Choice 1: x1 follows the range's direction.
  int direction = end < start ? -1 : 1;
  auto stepped = [&](int by) {
    std::vector<Frame> v;
    for (int f = start;; f += direction) {
      if ((f - start) % by == 0) v.push_back(f);
      if (f == end) break;
    }
    return v;
  };
  std::vector<Frame> out;
  if (op == 'x') out = stepped(step);
  if (op == 'y') {
    std::vector<Frame> skip = stepped(step);
    for (Frame f : stepped(1)) {
      if (std::find(skip.begin(), skip.end(), f) == skip.end()) out.push_back(f);
    }
  }
  if (op == ':') {
    for (int by = step; by != 0; by /= 2) {
      for (Frame f : stepped(by)) {
        if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
      }
    }
  }
  if (out.empty()) return std::nullopt;  // Choice 3: selecting nothing is an error.
  return out;
}

TEST(FrameSetTest, SteppedSectionsMatchAReferenceImplementation) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> frame(-25, 25);
  std::uniform_int_distribution<int> step(-12, 12);
  for (int i = 0; i < 3000; ++i) {
    int a = frame(rng);
    int b = rng() % 8 == 0 ? a : frame(rng);  // Choice 2, A == B, needs to come up often.
    char op = "xy:"[rng() % 3];
    int s = step(rng);
    std::string expr = std::to_string(a) + "-" + std::to_string(b) + op + std::to_string(s);
    SCOPED_TRACE(expr);
    Result<std::vector<Frame>> got = ParseFrameSet(expr);
    std::optional<std::vector<Frame>> want = Reference(a, b, op, s);
    ASSERT_EQ(got.ok(), want.has_value()) << (got.ok() ? "" : got.error().message);
    if (want) {
      EXPECT_EQ(*got, *want);
    }
  }
}

// Speed is a benchmark's business, not a test's: this checks the size and the single allocation.
TEST(FrameSetTest, ParsesTheLargestAllowedSetInOneAllocation) {
  Result<std::vector<Frame>> got = ParseFrameSet("1-10000000");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 10'000'000u);
  EXPECT_EQ(got->front(), 1);
  EXPECT_EQ(got->back(), 10'000'000);
  EXPECT_EQ(got->capacity(), got->size());  // Reserved once, never regrown.
}

TEST(FrameSetTest, InterleaveOfALargeRangeEmitsEveryFrameOnce) {
  Result<std::vector<Frame>> got = ParseFrameSet("1000000-1:-1000");
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(std::vector<Frame>(got->begin(), got->begin() + 3),
              ElementsAre(1'000'000, 999'000, 998'000));
  std::vector<Frame> sorted = *got;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, Iota(1, 1'000'000));
}

TEST(FrameSetTest, FormatsCompactly) {
  const std::pair<std::vector<Frame>, std::string_view> kCases[] = {
      {{1, 2, 3}, "1-3"},
      {{3, 5, 7}, "3-7x2"},
      {{1, 3, 5, 10, 11, 12}, "1-5x2,10-12"},
      {{7}, "7"},
      {{}, ""},
      {{1, 2}, "1-2"},
      {{2, 1}, "2-1"},
      {{5, 4, 3}, "5-3"},
      {{10, 8, 6}, "10-6x-2"},
      {{1, 3}, "1,3"},
      {{5, 5, 5}, "5,5,5"},
      {{-5, -4, -3}, "-5--3"},
      {{-1, 1, 3}, "-1-3x2"},
      {{1, 2, 4, 6}, "1-2,4,6"},
      {{1, 2, 3, 2, 3, 4}, "1-3,2-4"},
      {{1, 4, 7, 10, 11}, "1-10x3,11"},
      {{kMin, kMax}, "-2147483648,2147483647"},
      {{kMax, kMin, 0}, "2147483647,-2147483648,0"},
      {{kMin, -1, kMax - 1}, "-2147483648-2147483646x2147483647"},
  };
  for (const auto& [frames, text] : kCases) {
    SCOPED_TRACE(text);
    EXPECT_EQ(FormatFrames(frames), text);
  }
}

// A list mixing runs of every step, repeats and 32-bit extremes, as a fuzzer would.
std::vector<Frame> RandomFrames(std::mt19937& rng) {
  std::uniform_int_distribution<int> pieces(1, 6);
  std::uniform_int_distribution<int> kind(0, 4);
  std::uniform_int_distribution<int> small(-20, 20);
  std::uniform_int_distribution<int> length(1, 6);
  std::uniform_int_distribution<Frame> any(kMin, kMax);
  std::vector<Frame> frames;
  for (int p = pieces(rng); p > 0; --p) {
    switch (kind(rng)) {
      case 0:
        frames.push_back(small(rng));
        break;
      case 1:
        frames.push_back(any(rng));
        break;
      case 2:
        frames.push_back(rng() % 2 ? kMin : kMax);
        break;
      default: {
        int64_t start = small(rng);
        int step = small(rng) / 4;
        for (int n = length(rng); n > 0; --n)
          frames.push_back(static_cast<Frame>(start + n * step));
      }
    }
  }
  return frames;
}

TEST(FrameSetTest, FormatThenParseGivesBackTheSameFrames) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 5000; ++i) {
    std::vector<Frame> frames = RandomFrames(rng);
    std::string text = FormatFrames(frames);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + text);
    Result<std::vector<Frame>> back = ParseFrameSet(text);
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_EQ(*back, frames);
  }
}

TEST(FrameSetTest, ChunksCoverEveryFrameInOrder) {
  std::vector<Frame> frames = Iota(1, 10);
  std::vector<std::span<const Frame>> chunks = ChunkFrames(frames, 3);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_THAT(chunks[0], ElementsAre(1, 2, 3));
  EXPECT_THAT(chunks[1], ElementsAre(4, 5, 6));
  EXPECT_THAT(chunks[2], ElementsAre(7, 8, 9));
  EXPECT_THAT(chunks[3], ElementsAre(10));
  EXPECT_EQ(chunks[0].data(), frames.data());  // Views, not copies.
}

TEST(FrameSetTest, ChunkSizes) {
  const struct {
    int frames;
    int chunk;
    std::vector<size_t> sizes;
  } kCases[] = {
      {0, 1, {}},        {1, 1, {1}},  {3, 1, {1, 1, 1}}, {4, 2, {2, 2}},
      {5, 2, {2, 2, 1}}, {3, 10, {3}}, {10, 10, {10}},    {11, 10, {10, 1}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::to_string(c.frames) + " frames by " + std::to_string(c.chunk));
    std::vector<Frame> frames(static_cast<size_t>(c.frames));
    std::vector<size_t> sizes;
    for (std::span<const Frame> chunk : ChunkFrames(frames, c.chunk)) sizes.push_back(chunk.size());
    EXPECT_EQ(sizes, c.sizes);
  }
}

TEST(FrameSetTest, ChunksOfAParsedSetPrintCompactly) {
  Result<std::vector<Frame>> frames = ParseFrameSet("1-10x3,20-25");
  ASSERT_TRUE(frames.ok());
  std::vector<std::string> printed;
  for (std::span<const Frame> chunk : ChunkFrames(*frames, 4))
    printed.push_back(FormatFrames(chunk));
  EXPECT_THAT(printed, ElementsAre("1-10x3", "20-23", "24-25"));
  EXPECT_THAT(ChunkFrames({}, 4), IsEmpty());
}

}  // namespace
}  // namespace rota
