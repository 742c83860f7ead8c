#include "api/http_wire.h"

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <boost/beast/http/status.hpp>
#include <charconv>

#include "core/json_text.h"

namespace rota::http_wire {
namespace beast = boost::beast;
namespace http = beast::http;

void AppendNumber(std::string& out, uint64_t value, int base) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value, base);
  out.append(digits, end);
}

bool ParseNumber(std::string_view text, uint64_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  std::string body = R"({"error":{"code":)";
  AppendJsonString(code, body);
  body += R"(,"message":)";
  AppendJsonString(message, body);
  body += "}}";
  return body;
}

// "HTTP/1.1 200 OK\r\nServer: rota\r\n" plus the Connection header when it is needed.
void AppendHead(std::string& out, int status, bool keep_alive, bool http10) {
  out += "HTTP/1.1 ";
  AppendNumber(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  beast::string_view reason =
      http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)));
  if (reason.empty() || reason.front() == '<') reason = "Unknown";
  out.append(reason.data(), reason.size());
  out += "\r\nServer: rota\r\n";
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (http10) {
    out += "Connection: keep-alive\r\n";
  }
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  // A CR or LF would let a value smuggle headers; such headers are dropped.
  if (name.find_first_of("\r\n:") != std::string_view::npos ||
      value.find_first_of("\r\n") != std::string_view::npos) {
    return;
  }
  out.append(name);
  out += ": ";
  out.append(value);
  out += "\r\n";
}

bool StatusHasBody(int status) { return status >= 200 && status != 204 && status != 304; }

HttpResponse InternalError(std::string_view what) {
  HttpResponse response;
  response.status = 500;
  response.body =
      ErrorBody("internal", std::string("the request handler failed: ") + std::string(what));
  return response;
}

}  // namespace rota::http_wire
