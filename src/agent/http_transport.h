// HttpTransport: the AgentTransport over HTTP (docs/api.md "Agents"), on rota::FailoverClient:
// with several servers on one farm, every call goes to the one in use and moves on to the next
// when it is down (every agent call may be repeated: reports and assignments carry their run's
// token). A client is not thread-safe, so each call borrows one from a small pool (one per
// thread calling at the same time: the agent's loop and its long poll) and gives it back,
// keeping its keep-alive connections; the clients share which server is in use.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/transport.h"
#include "net/failover_client.h"

namespace rota::agent {

class HttpTransport final : public AgentTransport {
 public:
  explicit HttpTransport(std::vector<ServerUrl> servers) : servers_(std::move(servers)) {}
  explicit HttpTransport(ServerUrl server) : HttpTransport(std::vector<ServerUrl>{std::move(server)}) {}

  Result<RegisterAnswer> Register(const Registration& registration) override;
  Result<std::vector<RunToken>> Heartbeat(const std::string& agent,
                                          std::span<const RunToken> running) override;
  Result<WorkAnswer> PollWork(const std::string& agent, std::chrono::milliseconds wait,
                              int max) override;
  Result<WorkAnswer> Exchange(const std::string& agent, std::span<const RunReport> reports,
                              int max) override;
  Result<std::vector<ReportResult>> PostStatus(const std::string& agent,
                                               std::span<const RunReport> reports) override;
  Result<Unit> PostLog(RunId run, Epoch epoch, std::string_view log) override;

 private:
  // One request; a 2xx answer's body, else an Error with one of transport.h's codes.
  Result<std::string> Call(std::string_view method, const std::string& target,
                           std::string_view body, std::chrono::milliseconds timeout,
                           std::string_view content_type = "application/json");

  const std::vector<ServerUrl> servers_;
  const std::shared_ptr<std::atomic<size_t>> current_ = std::make_shared<std::atomic<size_t>>(0);
  std::mutex mu_;
  std::vector<std::unique_ptr<FailoverClient>> idle_;  // GUARDED_BY(mu_)
};

// "/v1/agents/<id>" with the id percent-encoded where needed.
std::string AgentPath(const std::string& agent);

}  // namespace rota::agent
