#include "core/did_you_mean.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace rota {
namespace {

constexpr size_t kMaxWordLength = 256;

}  // namespace

int EditDistance(std::string_view a, std::string_view b) {
  // Three rolling rows are enough: a transposition looks two rows back.
  const size_t n = b.size();
  std::vector<int> before(n + 1), prev(n + 1), cur(n + 1);
  for (size_t j = 0; j <= n; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= n; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[n];
}

std::optional<std::string> DidYouMean(std::string_view word,
                                      std::span<const std::string_view> candidates) {
  if (word.size() > kMaxWordLength) return std::nullopt;
  const int limit = std::max<int>(1, static_cast<int>(word.size() / 3));
  std::optional<std::string_view> best;
  int best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    if (candidate.size() > kMaxWordLength) continue;
    // Lengths alone bound the distance from below; skipping early keeps big jobs cheap.
    const int length_gap =
        std::abs(static_cast<int>(candidate.size()) - static_cast<int>(word.size()));
    if (length_gap >= best_distance) continue;
    const int distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (!best) return std::nullopt;
  return std::string(*best);
}

}  // namespace rota
