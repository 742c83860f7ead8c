// Launcher: the port through which the engine starts and signals runs. ProcessLauncher (src/exec)
// spawns real processes; tests use FakeLauncher; benchmarks a no-op one.
// The engine calls Launch/Signal from its loop thread only. Exits come back through the ExitSink the
// launcher was built with, from any thread; the engine posts them to its inbox.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/frame_set.h"
#include "core/job.h"

namespace rota {

using RunId = uint64_t;

// Everything needed to start one attempt of one instance. Views point into engine-owned state and
// stay valid only for the duration of the Launch call; a launcher copies what it keeps.
struct LaunchRequest {
  RunId run = 0;
  std::string_view job;            // job name
  const TaskSpec* task = nullptr;
  int instance = 0;                // index of the instance within its task (= chunk index)
  std::span<const Frame> frames;   // empty for a task without frames
  int attempt = 1;                 // 1-based
  std::string_view command;        // what to run: the task's command, or its `stop:` command
  bool shell = true;               // command runs under /bin/sh -c; else argv is task->argv
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

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts the run. A failure to start is reported as a RunExit with launch_failed, never thrown.
  // Server mode: after a restart the engine launches the runs it restored as still running again;
  // the agent that already has one ignores it.
  virtual void Launch(const LaunchRequest& request) = 0;
  // Sends `signo` to the run's whole process group. No-op if the run already ended.
  virtual void Signal(RunId run, int signo) = 0;
};

}  // namespace rota
