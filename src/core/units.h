// Durations ("90s", "10m", "1h30m", "250ms") and sizes ("512M", "4G") as written in specs and flags.
// Pure functions, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rota {

using Duration = std::chrono::microseconds;

// Accepts one or more <integer><unit> groups with units h, m, s, ms, us ("1h30m", "90s", "250ms"),
// or a bare integer meaning seconds. Error code "invalid_duration", naming the text.
Result<Duration> ParseDuration(std::string_view text);

// Shortest exact text: 90s -> "1m30s", 0 -> "0s", 1500ms -> "1.5s" is NOT used: "1s500ms".
std::string FormatDuration(Duration d);

// Accepts <integer>[K|M|G|T][i][B] in powers of 1024 (Slurm's convention: "512M", "4G", "1024"),
// bare integers are bytes. Error code "invalid_size", naming the text.
Result<int64_t> ParseSize(std::string_view text);

// "512M", "4G", "1.5G" style, for display.
std::string FormatSize(int64_t bytes);

}  // namespace rota
