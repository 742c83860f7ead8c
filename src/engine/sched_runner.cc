#include "engine/sched_runner.h"

namespace rota {

const char* ToString(SchedMode mode) {
  switch (mode) {
    case SchedMode::kSync:
      return "sync";
    case SchedMode::kAsync:
      return "async";
  }
  return "unknown";
}

const char* ToString(RunnerState state) {
  switch (state) {
    case RunnerState::kIdle:
      return "idle";
    case RunnerState::kRunRequested:
      return "run-requested";
    case RunnerState::kRunning:
      return "running";
    case RunnerState::kResultReady:
      return "result-ready";
  }
  return "unknown";
}

}  // namespace rota
