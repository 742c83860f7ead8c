// ServerUrl: where a server listens, as the CLI and agents are told (--server, ROTA_SERVER),
// one or several of them.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rota {

struct ServerUrl {
  std::string host;   // "127.0.0.1"
  uint16_t port = 7070;
  std::string text;   // as given, for messages: "http://127.0.0.1:7070"
};

// Parses "http://HOST:PORT" (or "HOST:PORT", or "http://HOST" = port 80). Error code "bad_url".
Result<ServerUrl> ParseServerUrl(std::string_view url);

// Parses "URL[,URL...]": several servers sharing one farm (docs/scale-out.md), tried in the order
// given. Spaces around the commas are ignored; an empty element is an error, as is a repeat.
Result<std::vector<ServerUrl>> ParseServerList(std::string_view list);

// "http://a:7070,http://b:7070": the list as given, for messages.
std::string ServerListText(const std::vector<ServerUrl>& servers);

}  // namespace rota
