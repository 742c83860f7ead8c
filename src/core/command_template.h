// Command templating: replaces rota's placeholders in a task's command (DESIGN section 2).
// A pure function over values, no I/O; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/frame_set.h"

namespace rota {

// What the placeholders of one run expand to. Views must outlive the ExpandCommand call only.
struct TemplateVars {
  std::string_view job;   // {job}
  std::string_view task;  // {task}
  // {frames}: the instance's frames in compact text ("1-4", "3-7x2"). Empty for a task without
  // frames; then {frames}, {frame_start} and {frame_end} all expand to "" (frame_start and
  // frame_end below are ignored), so `render --frames={frames}` still runs and the command can
  // tell the case apart.
  std::string_view frames;
  Frame frame_start = 0;  // {frame_start}: the instance's first frame, in frame-set order
  Frame frame_end = 0;    // {frame_end}: its last frame, in frame-set order
  int chunk_index = 0;    // {chunk_index}: the instance's index within its task
};

// Replaces {frames} {frame_start} {frame_end} {chunk_index} {task} {job} in `command`, in one
// left-to-right pass; replacement text is never scanned again. Every other brace is kept as
// written, so awk's `{print $1}`, find's `{}` and shell `${HOME}` pass through untouched. There
// is no escape: a command that needs a literal "{frames}" can write "{""frames}" in the shell.
std::string ExpandCommand(std::string_view command, const TemplateVars& vars);

}  // namespace rota
