// Encodes an Event as one line of JSON (DESIGN section 5), as `rota run --events` writes it and the
// server will stream it. Fields that do not apply to the event are left out. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/event.h"

namespace rota {

// Appends the JSON object for `event` (no trailing newline) to `out`.
void AppendEventJson(const Event& event, std::string& out);

// Appends `text` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace rota
