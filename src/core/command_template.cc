#include "core/command_template.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace rota {
namespace {

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// Appends the expansion of `name` (the text between the braces) and returns true, or returns
// false when `name` is not one of ours.
bool AppendPlaceholder(std::string& out, std::string_view name, const TemplateVars& vars) {
  const bool has_frames = !vars.frames.empty();
  if (name == "frames") {
    out.append(vars.frames);
  } else if (name == "frame_start") {
    if (has_frames) AppendInt(out, vars.frame_start);
  } else if (name == "frame_end") {
    if (has_frames) AppendInt(out, vars.frame_end);
  } else if (name == "chunk_index") {
    AppendInt(out, vars.chunk_index);
  } else if (name == "task") {
    out.append(vars.task);
  } else if (name == "job") {
    out.append(vars.job);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string ExpandCommand(std::string_view command, const TemplateVars& vars) {
  // The longest placeholder name is "chunk_index"/"frame_start" (11 characters); looking no
  // further than that keeps the scan linear even for commands full of unmatched braces.
  constexpr size_t kMaxName = 11;
  std::string out;
  out.reserve(command.size() + 32);
  size_t pos = 0;
  while (pos < command.size()) {
    const size_t open = command.find('{', pos);
    if (open == std::string_view::npos) break;
    out.append(command.substr(pos, open - pos));
    const size_t close = command.substr(0, open + kMaxName + 2).find('}', open + 1);
    if (close != std::string_view::npos &&
        AppendPlaceholder(out, command.substr(open + 1, close - open - 1), vars)) {
      pos = close + 1;
    } else {
      out.push_back('{');
      pos = open + 1;
    }
  }
  out.append(command.substr(std::min(pos, command.size())));
  return out;
}

}  // namespace rota
