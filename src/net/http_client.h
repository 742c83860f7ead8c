// HttpClient: a small blocking HTTP/1.1 client for the CLI verbs and the agent. One keep-alive
// connection, reopened when the server closed it. Not thread-safe: one client per thread.
//
// Beast and Asio stay inside http_client.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "net/server_url.h"

namespace rota {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(ServerUrl server);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole reply. Any HTTP status is a success here.
  // Errors: "unreachable" ("cannot reach http://127.0.0.1:7070: Connection refused") when the
  // connection cannot be made or breaks; "timeout" when no full reply came within `timeout`.
  Result<HttpReply> Request(std::string_view method, std::string_view target,
                            std::string_view body = {},
                            std::string_view content_type = "application/json",
                            std::chrono::milliseconds timeout = std::chrono::seconds(60),
                            const std::vector<std::pair<std::string, std::string>>& headers = {});

  // Opens a streaming GET (Server-Sent Events) and calls `on_data` with each piece of the body as
  // it arrives, until the server ends the response, `on_data` returns false, or the connection
  // breaks. Returns the status (a non-200 reply's body is passed to on_data whole).
  Result<int> Stream(std::string_view target,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::function<bool(std::string_view data)>& on_data);

  const ServerUrl& server() const { return server_; }
  // Whether the last Request or Stream wrote its request whole: when it then failed, the server
  // may or may not have acted on it. Not written whole (it could not connect, say): it did not.
  bool delivered() const;

 private:
  struct Impl;
  ServerUrl server_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rota
