// AgentTransport: how the agent talks to the server, one method per route of docs/api.md
// ("Agents"). HttpTransport is the real one; tests use a fake, so the agent's logic runs against
// real processes without a server.
// Thread-safety: every method may be called from several threads at once.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "wire/agent_codec.h"
#include "wire/agent_messages.h"

namespace rota::agent {

// The messages are the server's and the agent's in common (src/wire).
using wire::Assignment;
using wire::Epoch;
using wire::RegisterAnswer;
using wire::Registration;
using wire::ReportResult;
using wire::RunReport;
using wire::RunToken;
using wire::SignalOrder;
using wire::WorkAnswer;

// Error codes a transport returns. The first four are worth retrying as they are.
inline constexpr const char* kUnreachable = "unreachable";   // no connection, or it broke
inline constexpr const char* kTimeout = "timeout";           // no full answer in time
inline constexpr const char* kServerError = "server_error";  // 5xx (e.g. store_unavailable)
inline constexpr const char* kCancelled = "cancelled";       // CancelPoll()
inline constexpr const char* kNotFound = "not_found";        // 404: unknown agent or run
inline constexpr const char* kStaleRun = "stale_run";        // 409: the token is not current
inline constexpr const char* kTooLarge = "too_large";        // 413: body above the server limit
inline constexpr const char* kRefused = "refused";           // any other answer but 200
inline constexpr const char* kBadReply = "bad_reply";        // 200 with a body rota cannot read

// True for errors that say "try again later": the server is away, slow, or restarting.
bool IsTransient(const Error& error);

class AgentTransport {
 public:
  virtual ~AgentTransport() = default;

  // POST /v1/agents/register.
  virtual Result<RegisterAnswer> Register(const Registration& registration) = 0;
  // POST /v1/agents/{id}/heartbeat; returns the kill list. kNotFound: register again.
  virtual Result<std::vector<RunToken>> Heartbeat(const std::string& agent,
                                                  std::span<const RunToken> running) = 0;
  // GET /v1/agents/{id}/work?wait=W&max=N: the long poll. kNotFound: register again.
  virtual Result<WorkAnswer> PollWork(const std::string& agent, std::chrono::milliseconds wait,
                                      int max) = 0;
  // POST /v1/agents/{id}/work?wait=0&max=N with exit reports: their results and the next work,
  // in one round trip. kNotFound: register again.
  virtual Result<WorkAnswer> Exchange(const std::string& agent, std::span<const RunReport> reports,
                                      int max) = 0;
  // POST /v1/agents/{id}/status, one request for the whole batch, taking no new work (stopping).
  virtual Result<std::vector<ReportResult>> PostStatus(const std::string& agent,
                                                       std::span<const RunReport> reports) = 0;
  // POST /v1/runs/{id}/log?epoch=E&offset=0 with the whole log.
  virtual Result<Unit> PostLog(RunId run, Epoch epoch, std::string_view log) = 0;

  // Makes a PollWork in progress return soon with kCancelled, where the transport can; the agent
  // is stopping. A transport that cannot may let the poll run to its end.
  virtual void CancelPoll() {}
};

}  // namespace rota::agent
