// The messages between the server and its agents (docs/api.md, "Agents"), as plain values: one
// definition that both sides use. Their JSON form is in wire/agent_codec.h. Values; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/launcher.h"

namespace rota::wire {

using rota::Epoch;      // core/launcher.h
using rota::RunToken;

// POST /v1/agents/register.
struct Registration {
  std::string name;
  double cores = 0;
  int64_t memory = 0;                // bytes
  int gpus = 0;
  std::vector<std::string> tags;
  std::vector<std::string> pools;    // empty: every pool
  std::vector<RunToken> running;     // what the agent still has, after a restart of either side
};

struct RegisterAnswer {
  std::string id;                    // the agent id to use in paths (the name)
  std::chrono::milliseconds heartbeat{2000};
  std::vector<RunToken> kill;        // runs of `running` the server no longer wants
};

// One run to start, with its command as the spec wrote it (the agent expands the placeholders).
struct Assignment {
  RunId run = 0;
  Epoch epoch = 0;
  std::string job;
  uint64_t job_id = 0;
  std::string task;
  int instance = 0;
  int attempt = 1;
  std::string frames;                // "" for a task without frames
  int64_t frame_start = 0;           // the first and last frame; both 0 without frames
  int64_t frame_end = 0;
  std::string command;               // shell: what /bin/sh -c runs
  bool shell = true;
  std::vector<std::string> argv;     // !shell: the program and its arguments
  std::map<std::string, std::string> env;
  std::string cwd;
  // Several servers: the run's pool and the newest epoch of its lease the sending server has
  // applied. An agent that has seen a newer epoch for the pool from another server refuses the
  // assignment from this one, which is behind the log (DESIGN section 8, "fencing"); it comes
  // again from a server that is not. 0: no lease (one server).
  std::string pool;
  uint64_t lease_epoch = 0;
};

struct SignalOrder {
  RunId run = 0;
  Epoch epoch = 0;
  int signo = 0;
};

// How a run ended, as its agent saw it: POST /v1/agents/{id}/status (a batch), the body of POST
// /v1/agents/{id}/work, or POST /v1/runs/{id}/status (one run).
struct RunReport {
  RunId run = 0;
  Epoch epoch = 0;
  bool lost = false;                 // state "lost" (the agent could not follow it); else "exited"
  int exit_code = 0;
  int term_signal = 0;
  bool launch_failed = false;
  std::string error;
  std::string agent;                 // the single-run form names its agent in the body
};

// The server's answer to one report.
struct ReportResult {
  RunId run = 0;
  bool ok = false;
  std::string error;                 // "stale_run" when !ok
  std::string message;
};

// GET or POST /v1/agents/{id}/work: the results of the reports the request carried, then what
// to start and to signal.
struct WorkAnswer {
  std::vector<ReportResult> results;
  std::vector<Assignment> assign;
  std::vector<SignalOrder> signal;
  std::vector<RunToken> kill;        // not sent by this server, but honoured
};

}  // namespace rota::wire
