// Frame sets in OpenCue's syntax (DESIGN section 3): parsing, compact printing and chunking.
// Pure functions, no I/O, safe to call from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rota {

using Frame = int32_t;

// The most frames one set may expand to; a larger set is an error, never an out-of-memory.
inline constexpr int64_t kMaxFramesPerSet = 10'000'000;

// Parses "1-10x3,20,30-25" into its frames, in order, without de-duplication across sections.
// Errors (code "invalid_frames") name the offending section and why: step 0, a positive step on a
// descending range, a negative step on an ascending range, a number out of 32-bit range, more than
// kMaxFramesPerSet frames, anything unrecognised.
Result<std::vector<Frame>> ParseFrameSet(std::string_view expr);

// The most compact text for these frames that ParseFrameSet reads back to the same sequence:
// {1,2,3} -> "1-3", {3,5,7} -> "3-7x2", {1,3,5,10,11,12} -> "1-5x2,10-12", {7} -> "7".
std::string FormatFrames(std::span<const Frame> frames);

// Cuts frames into consecutive chunks of `chunk` frames (the last may be shorter).
// REQUIRES: chunk >= 1
std::vector<std::span<const Frame>> ChunkFrames(std::span<const Frame> frames, int chunk);

}  // namespace rota
