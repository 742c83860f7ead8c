// PreparedRun: one assignment turned into what the process launcher takes (DESIGN section 2): the
// instance's frames parsed and the log location. It owns everything its LaunchRequest points at.
// A plain value; safe on any thread.
#pragma once

#include <string>
#include <vector>

#include "agent/transport.h"
#include "core/frame_set.h"
#include "core/launcher.h"
#include "core/result.h"

namespace rota::agent {

struct PreparedRun {
  Assignment assignment;   // a shell command in `command`, else the program in `argv`
  std::vector<Frame> frames;
  std::string log_dir;   // <logs_root>/<job_id>: a job name may be reused, a job id is not
  std::string log_path;  // RunLogPath(log_dir, job, task, instance, attempt)

  // Valid while this PreparedRun lives and is not moved.
  LaunchRequest Request() const;
};

// Fails (code "invalid_frames") when the assignment's frames do not parse.
Result<PreparedRun> PrepareRun(Assignment assignment, const std::string& logs_root);

}  // namespace rota::agent
