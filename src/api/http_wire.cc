#include "api/http_wire.h"

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <boost/beast/http/status.hpp>
#include <charconv>

namespace rota::http_wire {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[(c >> 4) & 0xf]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

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
  AppendJsonString(body, code);
  body += R"(,"message":)";
  AppendJsonString(body, message);
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
