// `rota events [--follow] [--since SEQ] [--json]`: reads GET /v1/events (Server-Sent Events) and
// prints one line per event. Following, a broken stream is resumed after the last event seen
// (Last-Event-ID). Main thread.
#pragma once

#include <cstdint>

#include "cli/client_api.h"

namespace rota {

struct EventsOptions {
  bool follow = false;  // keep the stream open for new events
  uint64_t since = 0;   // print events after this seq
  bool json = false;    // each event's JSON on one line instead of a line for a person
};

// Returns 0 when the stream ended (or stdout was closed), else the exit code of the failure.
int StreamEvents(ApiClient& api, const EventsOptions& options);

}  // namespace rota
