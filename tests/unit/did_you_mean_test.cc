#include "core/did_you_mean.h"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace rota {
namespace {

constexpr std::array<std::string_view, 5> kFields = {"name", "command", "pool", "frames",
                                                     "retry_delay"};

TEST(DidYouMeanTest, EditDistance) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
  EXPECT_EQ(EditDistance("comand", "command"), 1);   // a letter missing
  EXPECT_EQ(EditDistance("commadn", "command"), 1);  // two neighbours swapped
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("ca", "abc"), 3);  // optimal string alignment, not full Damerau
}

struct SuggestCase {
  std::string_view word;
  std::optional<std::string> want;
};

TEST(DidYouMeanTest, SuggestsCloseWordsOnly) {
  const SuggestCase cases[] = {
      {"comand", "command"}, {"commnad", "command"}, {"Command", "command"},
      {"frame", "frames"},   {"nmae", "name"},       {"retry-delay", "retry_delay"},
      {"pol", "pool"},       {"x", std::nullopt},    {"timeout", std::nullopt},
      {"cmd", std::nullopt}, {"", std::nullopt},
  };
  for (const SuggestCase& c : cases) {
    EXPECT_EQ(DidYouMean(c.word, kFields), c.want) << c.word;
  }
}

TEST(DidYouMeanTest, TiesGoToTheEarlierCandidate) {
  constexpr std::array<std::string_view, 2> names = {"fetch", "fetcj"};
  EXPECT_EQ(DidYouMean("fetck", names), "fetch");
}

TEST(DidYouMeanTest, IgnoresHugeWords) {
  const std::string huge(1000, 'a');
  const std::array<std::string_view, 1> candidates = {huge};
  EXPECT_EQ(DidYouMean(huge, candidates), std::nullopt);
}

}  // namespace
}  // namespace rota
