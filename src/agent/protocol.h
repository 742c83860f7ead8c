// The agent's side of the protocol of docs/api.md ("Agents"): the messages as plain values, and
// their JSON encoding. Pure functions, no I/O, safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/launcher.h"

namespace rota::agent {

using Epoch = int64_t;

// A run and its fencing token: what heartbeats list and `kill` lists name.
struct RunToken {
  RunId run = 0;
  Epoch epoch = 0;
  bool operator==(const RunToken&) const = default;
};

struct Registration {
  std::string name;
  double cores = 0;
  int64_t memory = 0;  // bytes
  int gpus = 0;
  std::vector<std::string> tags;
  std::vector<std::string> pools;  // empty: every pool
  std::vector<RunToken> running;
};

struct RegisterAnswer {
  std::string id;  // the agent id to use in paths (the name)
  std::chrono::milliseconds heartbeat{2000};
  std::vector<RunToken> kill;
};

// One `assign` entry: a run to start, with its command as the spec wrote it.
struct Assignment {
  RunId run = 0;
  Epoch epoch = 0;
  std::string job;
  int64_t job_id = 0;
  std::string task;
  int instance = 0;
  int attempt = 1;
  std::string frames;  // "" for a task without frames
  std::string command;
  bool shell = true;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string cwd;
};

struct SignalOrder {
  RunId run = 0;
  Epoch epoch = 0;
  int signo = 0;
};

struct WorkAnswer {
  std::vector<Assignment> assign;
  std::vector<SignalOrder> signal;
  std::vector<RunToken> kill;  // not in docs/api.md for this route, but honoured if present
};

inline constexpr const char* kStateExited = "exited";
inline constexpr const char* kStateLost = "lost";

// An exit report (POST /v1/agents/{id}/status). `log_path` is the agent's own: it is not sent.
struct RunReport {
  RunId run = 0;
  Epoch epoch = 0;
  std::string state = kStateExited;
  int exit_code = 0;
  int term_signal = 0;
  bool launch_failed = false;
  std::string error;
  std::string log_path;  // "" when there is no log to ship
};

struct ReportResult {
  RunId run = 0;
  bool ok = false;
  std::string error;  // "stale_run", "not_found", ... when !ok
};

// Encoders produce request bodies; decoders read answer bodies and fail with code "bad_reply"
// (the message says what was wrong) on malformed JSON or wrong field types. Missing optional
// fields take the defaults above.
std::string EncodeRegistration(const Registration& registration);
Result<RegisterAnswer> DecodeRegisterAnswer(std::string_view body);
std::string EncodeHeartbeat(std::span<const RunToken> running);
Result<std::vector<RunToken>> DecodeKillList(std::string_view body);  // {"kill": [...]}
Result<WorkAnswer> DecodeWorkAnswer(std::string_view body);
std::string EncodeReports(std::span<const RunReport> reports);
Result<std::vector<ReportResult>> DecodeReportResults(std::string_view body);

// The "message" of an error body ({"error": {"code", "message"}}), or the body itself, cut short.
std::string ErrorMessageOf(std::string_view body);

}  // namespace rota::agent
