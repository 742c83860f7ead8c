// The bytes of HTTP/1.1 responses, for HttpConnection: status line, headers, JSON error bodies.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/http_server.h"

namespace rota::http_wire {

void AppendNumber(std::string& out, uint64_t value, int base = 10);
// `text` must be all digits: "42" -> 42. False for anything else (empty, sign, overflow).
bool ParseNumber(std::string_view text, uint64_t* value);

// {"error":{"code":"too_large","message":"..."}} with both strings JSON-escaped.
std::string ErrorBody(std::string_view code, std::string_view message);

// "HTTP/1.1 200 OK\r\nServer: rota\r\n" plus "Connection: close" (or "keep-alive" for an
// HTTP/1.0 peer that asked for it).
void AppendHead(std::string& out, int status, bool keep_alive, bool http10);
// "Name: value\r\n"; dropped when the name or value holds CR or LF (header injection).
void AppendHeader(std::string& out, std::string_view name, std::string_view value);
// 1xx, 204 and 304 replies have no body and no Content-Length.
bool StatusHasBody(int status);

// 500 {"error":{"code":"internal","message":"the request handler failed: <what>"}}
HttpResponse InternalError(std::string_view what);

}  // namespace rota::http_wire
