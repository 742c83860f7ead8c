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
  // A string command runs under /bin/sh -c; a server may also send it as argv = {command}.
  if (a.shell && a.command.empty() && !a.argv.empty()) a.command = a.argv.front();
  p.log_dir = logs_root + "/" + (a.job_id > 0 ? std::to_string(a.job_id) : a.job);
  p.log_path = RunLogPath(p.log_dir, a.job, a.task, a.instance, a.attempt);
  p.assignment = std::move(a);
  return p;
}

LaunchRequest PreparedRun::Request() const {
  const Assignment& a = assignment;
  LaunchRequest request;
  request.run = a.run;
  request.job = a.job;
  request.task = a.task;
  request.instance = a.instance;
  request.frames = frames;
  request.attempt = a.attempt;
  request.command = a.command;
  request.shell = a.shell;
  request.argv = a.argv;
  request.env = &a.env;
  request.cwd = a.cwd;
  request.log_dir = log_dir;
  return request;
}

}  // namespace rota::agent
