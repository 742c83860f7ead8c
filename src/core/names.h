// The one name rule of jobs, tasks, pools, queues and agents (DESIGN section 2): 1 to 128 of
// letters, digits, '_' and '-', and '.' where `dots` allows it (not inside a config key, where it
// separates the parts), never "." or "..", so that a name is safe as a path component.
#pragma once

#include <cstddef>
#include <string_view>

namespace rota {

inline constexpr size_t kMaxNameLength = 128;

constexpr bool IsNameChar(char c, bool dots) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (dots && c == '.');
}

constexpr bool IsValidName(std::string_view name, bool dots = true) {
  if (name.empty() || name.size() > kMaxNameLength || name == "." || name == "..") return false;
  for (char c : name) {
    if (!IsNameChar(c, dots)) return false;
  }
  return true;
}

}  // namespace rota
