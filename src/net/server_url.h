// ServerUrl: where a server listens, as the CLI and agents are told (--server, ROTA_SERVER).
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rota {

struct ServerUrl {
  std::string host;   // "127.0.0.1"
  uint16_t port = 7070;
  std::string text;   // as given, for messages: "http://127.0.0.1:7070"
};

// Parses "http://HOST:PORT" (or "HOST:PORT", or "http://HOST" = port 80). Error code "bad_url".
Result<ServerUrl> ParseServerUrl(std::string_view url);

}  // namespace rota
