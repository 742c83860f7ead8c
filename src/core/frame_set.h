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
// Sections are separated by commas and trimmed of whitespace; each is one of
//   N        one frame                        "5", "-5"
//   A-B      A to B by 1, either direction    "1-10", "5-1", "-5--1"
//   A-BxS    every S-th frame from A          "1-10x3" = 1 4 7 10, "10-1x-2" = 10 8 6 4 2
//   A-ByS    the frames of A-B not in A-BxS   "1-10y3" = 2 3 5 6 8 9, "10-1y-3" = 9 8 6 5 3 2
//   A-B:S    A-BxS, then A-Bx(S/2), ... down to step 1, each frame once
//            "1-10:5" = 1 6 3 5 7 9 2 4 8 10
// Where OpenCue is silent or surprising we chose:
//   - A step of 1 follows the range's direction: "5-1x1" is 5 4 3 2 1 (OpenCue: nothing), and
//     "1-10x1" is "1-10". "5-1x-1" is the same as "5-1".
//   - A range with A == B is that one frame for any non-zero x or : step ("1-1", "1-1x-3").
//   - A section that selects no frames ("1-10y1", "3-3y2") is an error rather than silently
//     nothing, because it is almost certainly a typo; so a parsed set is never empty.
// Errors (code "invalid_frames") quote the expression and name the offending section and why:
// an empty expression or section, step 0, a step > 1 on a descending range, a negative step on an
// ascending range, a number out of 32-bit range, more than kMaxFramesPerSet frames in the whole
// set (counted before anything is allocated), anything unrecognised.
Result<std::vector<Frame>> ParseFrameSet(std::string_view expr);

// The most compact text for these frames that ParseFrameSet reads back to the same sequence:
// {1,2,3} -> "1-3", {3,5,7} -> "3-7x2", {1,3,5,10,11,12} -> "1-5x2,10-12", {7} -> "7", {} -> "".
// Greedy and O(n): a run of 3 or more frames with one non-zero step prints as "A-B" (step 1 or -1)
// or "A-BxS"; two frames 1 apart print as "A-B"; anything else as single numbers.
std::string FormatFrames(std::span<const Frame> frames);

// Cuts frames into consecutive chunks of `chunk` frames (the last may be shorter). The chunks are
// views into `frames`, which must outlive them.
// REQUIRES: chunk >= 1
std::vector<std::span<const Frame>> ChunkFrames(std::span<const Frame> frames, int chunk);

}  // namespace rota
