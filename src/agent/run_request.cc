#include "agent/run_request.h"

#include "exec/log_path.h"

namespace rota::agent {

Result<PreparedRun> PrepareRun(Assignment a, const std::string& logs_root) {
  PreparedRun p;
  if (!a.frames.empty()) {
    Result<std::vector<Frame>> frames = ParseFrameSet(a.frames);
    if (!frames) return frames.error();
    p.frames = std::move(frames).value();
  }
  p.task.name = a.task;
  p.task.shell = a.shell;
  // A string command runs under /bin/sh -c; a server may also send it as argv = {command}.
  if (a.shell && a.command.empty() && !a.argv.empty()) a.command = a.argv.front();
  p.task.argv = a.shell ? std::vector<std::string>{a.command} : a.argv;
  p.task.env = a.env;
  p.task.cwd = a.cwd;
  p.log_dir = logs_root + "/" + (a.job_id > 0 ? std::to_string(a.job_id) : a.job);
  p.log_path = RunLogPath(p.log_dir, a.job, a.task, a.instance, a.attempt);
  p.assignment = std::move(a);
  return p;
}

LaunchRequest PreparedRun::Request() const {
  LaunchRequest request;
  request.run = assignment.run;
  request.job = assignment.job;
  request.task = &task;
  request.instance = assignment.instance;
  request.frames = frames;
  request.attempt = assignment.attempt;
  request.command = assignment.command;
  request.shell = assignment.shell;
  request.log_dir = log_dir;
  return request;
}

}  // namespace rota::agent
