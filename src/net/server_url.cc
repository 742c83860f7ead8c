#include "net/server_url.h"

#include <algorithm>
#include <charconv>

#include "net/ascii.h"

namespace rota {

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return MakeError("bad_url", "bad server URL \"" + std::string(url) + "\": " + why);
  };
  std::string_view rest = url;
  bool has_scheme = false;
  if (StartsWithNoCase(rest, "https://")) {
    return bad("https is not supported; rota speaks plain HTTP (use http://HOST:PORT)");
  }
  if (StartsWithNoCase(rest, "http://")) {
    rest.remove_prefix(7);
    has_scheme = true;
  } else if (rest.find("://") != std::string_view::npos) {
    return bad("only http:// is supported (expected http://HOST:PORT)");
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ \t") != std::string_view::npos) {
    return bad("expected http://HOST:PORT, with no path");
  }

  std::string_view host = rest;
  std::string_view port_text;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:7070
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("the IPv6 address has no closing ']'");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected ':PORT' after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (rest.find(':') != colon) return bad("put an IPv6 address in brackets: http://[::1]:7070");
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return bad("the host is missing");

  uint16_t port = 80;
  if (has_port) {
    unsigned value = 0;
    const char* end = port_text.data() + port_text.size();
    auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
    if (port_text.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    port = static_cast<uint16_t>(value);
  } else if (!has_scheme) {
    return bad("expected http://HOST:PORT or HOST:PORT");
  }
  return ServerUrl{std::string(host), port, std::string(url)};
}

Result<std::vector<ServerUrl>> ParseServerList(std::string_view list) {
  std::vector<ServerUrl> servers;
  size_t at = 0;
  for (;;) {
    const size_t comma = std::min(list.find(',', at), list.size());
    std::string_view item = list.substr(at, comma - at);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.empty()) {
      return MakeError("bad_url", "bad server list \"" + std::string(list) + "\": server " +
                                      std::to_string(servers.size() + 1) + " is empty (expected URL[,URL...])");
    }
    Result<ServerUrl> url = ParseServerUrl(item);
    if (!url.ok()) return url.error();
    for (const ServerUrl& earlier : servers) {
      if (earlier.host == url->host && earlier.port == url->port) {
        return MakeError("bad_url", "bad server list \"" + std::string(list) + "\": " + url->text + " is in it twice");
      }
    }
    servers.push_back(std::move(url).value());
    if (comma == list.size()) return servers;
    at = comma + 1;
  }
}

std::string ServerListText(const std::vector<ServerUrl>& servers) {
  std::string text;
  for (const ServerUrl& s : servers) text += (text.empty() ? "" : ",") + s.text;
  return text;
}

}  // namespace rota
