// Encodes an Event as one line of JSON (DESIGN section 5), as `rota run --events` writes it and the
// server will stream it. Fields that do not apply to the event are left out. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/json_text.h"
#include "engine/event.h"

namespace rota {

// Appends the JSON object for `event` (no trailing newline) to `out`.
void AppendEventJson(const Event& event, std::string& out);

}  // namespace rota
