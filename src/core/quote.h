// Quote: how every message of rota shows a value the user wrote: in double quotes, cut after
// kMaxQuoted characters ("..." marks the cut), control characters as '?', so that a message stays
// one readable line whatever the value held. Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rota {

inline constexpr size_t kMaxQuoted = 40;

std::string Quote(std::string_view text);

}  // namespace rota
