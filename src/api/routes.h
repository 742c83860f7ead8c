// ApiRoutes: the HTTP API of DESIGN section 6 / docs/api.md. Runs on the io thread: matches the
// route (404, 405 with Allow), decodes and checks the request (400 with the reason), then posts
// the work to the loop thread, where ServerCore answers after the batch commits. Long-poll
// timeouts are io-thread timers that post an expiry to the loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "api/event_stream.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/server_core.h"

namespace rota {

using ExchangePtr = std::shared_ptr<HttpExchange>;

class ApiRoutes {
 public:
  using PostToLoop = std::function<void(std::function<void(ServerCore&)>)>;

  ApiRoutes(HttpServer& server, PostToLoop post, EventStream& events, Histogram& http_latency)
      : server_(server), post_(std::move(post)), events_(events), http_latency_(http_latency) {}

  void Handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange);

 private:
  void Jobs(const HttpRequest& request, const std::vector<std::string>& parts, ExchangePtr ex);
  void Agents(const HttpRequest& request, const std::vector<std::string>& parts, ExchangePtr ex);
  void Runs(const HttpRequest& request, const std::vector<std::string>& parts, ExchangePtr ex);
  void Events(const HttpRequest& request, ExchangePtr ex);
  // periodic_routes.cc
  void Schedules(const HttpRequest& request, const std::vector<std::string>& parts, ExchangePtr ex);
  void Expectations(const HttpRequest& request, const std::vector<std::string>& parts, ExchangePtr ex);
  void Hooks(const HttpRequest& request, const std::vector<std::string>& parts, ExchangePtr ex);

  HttpServer& server_;
  PostToLoop post_;
  EventStream& events_;
  Histogram& http_latency_;
  std::atomic<uint64_t> next_poll_{1};
};

}  // namespace rota
