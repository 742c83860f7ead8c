// What of a run's log the agent ships when the run ends: the whole file, or its last `max_bytes`
// after a line saying how much was left out. Reads the file; safe on any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rota::agent {

inline constexpr int64_t kMaxShippedLog = int64_t{64} << 20;

// nullopt when the file does not exist (or cannot be read).
std::optional<std::string> ReadLogForShipping(const std::string& path,
                                              int64_t max_bytes = kMaxShippedLog);

}  // namespace rota::agent
