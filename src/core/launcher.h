// Launcher: the port through which runs are started and signalled, shared by the engine (which
// calls it), src/exec's ProcessLauncher (real processes, for `rota run` and the agent), the
// server's AgentHub (a placement queued for an agent) and the tests' fakes. A header of values and
// one interface, so that exec and the agent need not link the engine.
// The engine calls Launch/Signal from its loop thread only. Exits come back through the ExitSink the
// launcher was built with, from any thread; the engine posts them to its inbox.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "core/frame_set.h"

namespace rota {

using RunId = uint64_t;
// A start of the server (its fencing epoch); runs placed by it carry it, so that a report about an
// older placement of the same run is recognised as stale.
using Epoch = uint64_t;

// A run and its fencing token: what agents' heartbeats, registrations and kill lists name.
struct RunToken {
  RunId run = 0;
  Epoch epoch = 0;
  bool operator==(const RunToken&) const = default;
};

// Everything needed to start one attempt of one instance, in one value. Views point into the
// caller's state and stay valid only for the duration of the Launch call; a launcher copies what
// it keeps.
struct LaunchRequest {
  RunId run = 0;
  std::string_view job;            // job name
  std::string_view task;           // task name
  int instance = 0;                // index of the instance within its task (= chunk index)
  std::span<const Frame> frames;   // empty for a task without frames
  int attempt = 1;                 // 1-based
  std::string_view command;        // shell: what /bin/sh -c runs (the command, or its `stop:`)
  bool shell = true;
  std::span<const std::string> argv;   // !shell: the program and its arguments, unexpanded
  const std::map<std::string, std::string>* env = nullptr;   // the task's env; null: none
  std::string_view cwd;            // "" : the launcher's own working directory
  std::string_view log_dir;        // e.g. ".rota/logs"; logs go to <log_dir>/<job>/<task>/<i>.<a>.log
  // Server mode (EngineOptions::placement): where the scheduler placed the run, and the fencing
  // token's epoch; the public job id. Unset in `rota run`.
  std::string_view host;
  uint64_t epoch = 0;
  uint64_t job_id = 0;
};

struct RunExit {
  RunId run = 0;
  int exit_code = 0;      // the process's exit status; 128+N when killed by signal N
  int term_signal = 0;    // N when killed by signal N, else 0
  bool launch_failed = false;  // the command could not be started (message in `error`)
  std::string error;
  std::string log_path;   // where this run's output went ("" if none)
  bool lost = false;      // server mode: the host went away (or restarted) and took the run with it
};

using ExitSink = std::function<void(RunExit)>;

// What a Launch started.
struct Launched {
  int pgid = 0;   // the process group it leads (its leader's pid); 0 when nothing was started
                  // here: a launch failure (already reported), or a launcher that queues the run
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts the run. A failure to start is reported as a RunExit with launch_failed, never thrown.
  // Server mode: after a restart the engine launches the runs it restored as still running again;
  // the agent that already has one ignores it.
  virtual Launched Launch(const LaunchRequest& request) = 0;
  // Sends `signo` to the run's whole process group. No-op if the run already ended.
  virtual void Signal(RunId run, int signo) = 0;
};

}  // namespace rota
