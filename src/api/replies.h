// Replies: answers held back until the loop batch that produced them is durable. The loop adds
// them while it handles requests, commits the batch, then sends them all (or, if the commit
// failed, keeps them for the next attempt). Loop thread only.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "api/http_server.h"

namespace rota {

class Replies {
 public:
  void Add(std::shared_ptr<HttpExchange> exchange, HttpResponse response) {
    pending_.push_back({std::move(exchange), std::move(response)});
  }
  void SendAll() {
    for (auto& [exchange, response] : pending_) exchange->Reply(std::move(response));
    pending_.clear();
  }
  bool empty() const { return pending_.empty(); }

 private:
  std::vector<std::pair<std::shared_ptr<HttpExchange>, HttpResponse>> pending_;
};

// A JSON response; `body` must already be JSON.
inline HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// {"error": {"code": ..., "message": ...}} (docs/api.md).
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace rota
