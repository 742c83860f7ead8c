#include "agent/http_transport.h"

#include <cctype>
#include <cstdio>

#include "core/units.h"
#include "wire/agent_codec.h"

namespace rota::agent {
namespace {

// Ordinary requests; a long poll gets its wait on top.
constexpr std::chrono::milliseconds kRequestTimeout{15000};

Error StatusError(int status, const std::string& body) {
  const std::string message = "HTTP " + std::to_string(status) + ": " + wire::ErrorMessageOf(body);
  if (status == 404) return MakeError(kNotFound, message);
  if (status == 409) return MakeError(kStaleRun, message);
  if (status == 413) return MakeError(kTooLarge, message);
  if (status >= 500) return MakeError(kServerError, message);
  return MakeError(kRefused, message);
}

template <class T>
Result<T> Then(Result<std::string> body, Result<T> (*decode)(std::string_view)) {
  if (!body) return body.error();
  return decode(*body);
}

}  // namespace

std::string AgentPath(const std::string& agent) {
  std::string path = "/v1/agents/";
  for (unsigned char c : agent) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      path += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      path += escaped;
    }
  }
  return path;
}

Result<std::string> HttpTransport::Call(std::string_view method, const std::string& target,
                                        std::string_view body, std::chrono::milliseconds timeout,
                                        std::string_view content_type) {
  std::unique_ptr<FailoverClient> client;
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!client) client = std::make_unique<FailoverClient>(servers_, current_);
  Result<HttpReply> reply = client->Request(method, target, body, content_type, timeout);
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(client));
  }
  if (!reply) return reply.error();
  if (reply->status / 100 != 2) return StatusError(reply->status, reply->body);
  return std::move(reply->body);
}

Result<RegisterAnswer> HttpTransport::Register(const Registration& registration) {
  return Then(
      Call("POST", "/v1/agents/register", wire::EncodeRegistration(registration), kRequestTimeout),
      &wire::DecodeRegisterAnswer);
}

Result<std::vector<RunToken>> HttpTransport::Heartbeat(const std::string& agent,
                                                       std::span<const RunToken> running) {
  return Then(
      Call("POST", AgentPath(agent) + "/heartbeat", wire::EncodeHeartbeat(running), kRequestTimeout),
      &wire::DecodeKillList);
}

Result<WorkAnswer> HttpTransport::PollWork(const std::string& agent, std::chrono::milliseconds wait,
                                           int max) {
  const std::string target = AgentPath(agent) + "/work?wait=" +
                             FormatDuration(std::chrono::duration_cast<Duration>(wait)) +
                             "&max=" + std::to_string(max);
  return Then(Call("GET", target, {}, wait + kRequestTimeout), &wire::DecodeWorkAnswer);
}

Result<WorkAnswer> HttpTransport::Exchange(const std::string& agent,
                                           std::span<const RunReport> reports, int max) {
  return Then(Call("POST", AgentPath(agent) + "/work?wait=0&max=" + std::to_string(max),
                   wire::EncodeReports(reports), kRequestTimeout),
              &wire::DecodeWorkAnswer);
}

Result<std::vector<ReportResult>> HttpTransport::PostStatus(const std::string& agent,
                                                            std::span<const RunReport> reports) {
  return Then(Call("POST", AgentPath(agent) + "/status", wire::EncodeReports(reports), kRequestTimeout),
              &wire::DecodeReportResults);
}

Result<Unit> HttpTransport::PostLog(RunId run, Epoch epoch, std::string_view log) {
  const std::string target =
      "/v1/runs/" + std::to_string(run) + "/log?epoch=" + std::to_string(epoch) + "&offset=0";
  Result<std::string> body = Call("POST", target, log, kRequestTimeout, "application/octet-stream");
  if (!body) return body.error();
  return Unit{};
}

}  // namespace rota::agent
