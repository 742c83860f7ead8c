// Durations ("90s", "10m", "1h30m", "250ms") and sizes ("512M", "4G") as written in specs and
// flags. Pure functions, no I/O, safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rota {

using Duration = std::chrono::microseconds;

// Accepts one or more <integer><unit> groups with units h, m, s, ms, us ("1h30m", "90s", "250ms"),
// summed in any order as Go's time.ParseDuration does, or a bare integer meaning seconds. No sign,
// no fractions, no spaces. Error code "invalid_duration", quoting the text and saying what is
// wrong.
Result<Duration> ParseDuration(std::string_view text);

// ParseDuration's syntax plus a leading whole-days group ("7d", "1d12h"), for what is usually
// days: fair-share half-lives, retention, watchdog intervals. Errors as ParseDuration's.
Result<Duration> ParseDurationWithDays(std::string_view text);

// Exact text in whole h, m, s, ms and us groups, largest first, so that ParseDuration reads it back
// unchanged: 90s -> "1m30s", 0 -> "0s", 3600s -> "1h", 1500ms -> "1s500ms" (never "1.5s").
// Negative durations print with a leading "-", which ParseDuration refuses.
std::string FormatDuration(Duration d);

// Accepts <integer>[K|M|G|T][i][B], either case, in powers of 1024 (Slurm's convention: "512M",
// "4G", "4GiB", "4gb"); a bare integer or "<integer>B" is bytes. Error code "invalid_size",
// quoting the text and saying what is wrong.
Result<int64_t> ParseSize(std::string_view text);

// For display: "100" below 1K, else exact in the largest unit that fits ("512M", "4G"), or with
// one exact decimal ("1.5G"), or exact in the next unit down ("1025M"), or rounded ("1.1G").
std::string FormatSize(int64_t bytes);

}  // namespace rota
