// FailoverClient: HttpClient over the servers of one farm (`--server URL[,URL...]`, several
// servers on one PostgreSQL: docs/scale-out.md). Requests go to one server, the current one;
// when it cannot be reached they go to the next in the list, which becomes the current one, so
// that a user or an agent does not notice a server die. With one server it is that server's
// HttpClient and nothing more.
//
// A request that failed after it was written whole may have been acted on: it is sent again
// elsewhere only when the caller says repeating it is harmless (Repeat::kSafe).
// Not thread-safe: one client per thread; clients made with one shared `current` move together.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "net/http_client.h"
#include "net/server_url.h"

namespace rota {

class FailoverClient {
 public:
  enum class Repeat { kSafe, kUnsafe };
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // `servers` is not empty. `current`: the index of the server in use, shared by clients that
  // should move together (an agent's threads); null: this client's own.
  explicit FailoverClient(std::vector<ServerUrl> servers,
                          std::shared_ptr<std::atomic<size_t>> current = nullptr);
  ~FailoverClient();
  FailoverClient(const FailoverClient&) = delete;
  FailoverClient& operator=(const FailoverClient&) = delete;

  // HttpClient::Request on the current server, then on each other once, in list order, while
  // the failure is the transport's ("unreachable" or "timeout") and repeating is allowed. The
  // error names every server tried.
  Result<HttpReply> Request(std::string_view method, std::string_view target, std::string_view body = {},
                            std::string_view content_type = "application/json",
                            std::chrono::milliseconds timeout = std::chrono::seconds(60),
                            const Headers& headers = {}, Repeat repeat = Repeat::kSafe);
  // HttpClient::Stream: opening it moves on as Request does; once the reply has begun, a
  // failure is returned (the caller resumes, e.g. with Last-Event-ID, and lands on the next).
  Result<int> Stream(std::string_view target, const Headers& headers,
                     const std::function<bool(std::string_view data)>& on_data);

  const ServerUrl& server() const;   // the current one
  const std::vector<ServerUrl>& servers() const { return servers_; }

 private:
  // Runs `attempt` on the current server, then the others; `retry(error, client)` says whether
  // a failure may move on.
  template <class T>
  Result<T> OnEach(const std::function<Result<T>(HttpClient&)>& attempt,
                   const std::function<bool(const Error&, const HttpClient&)>& may_move_on);

  std::vector<ServerUrl> servers_;
  std::vector<std::unique_ptr<HttpClient>> clients_;   // one per server, made when first used
  std::shared_ptr<std::atomic<size_t>> current_;
};

}  // namespace rota
