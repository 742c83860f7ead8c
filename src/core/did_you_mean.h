// "Did you mean ...?" suggestions for misspelled field and task names. Pure, thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rota {

// The optimal-string-alignment distance (Levenshtein plus swapping two neighbours) between a and b;
// case matters.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is within max(1, word.size() / 3) edits; ties go to the
// earlier candidate, so callers list candidates in the order they want them preferred. Words or
// candidates longer than 256 characters are never suggested (the table would only cost time).
std::optional<std::string> DidYouMean(std::string_view word,
                                      std::span<const std::string_view> candidates);

}  // namespace rota
