// Helpers for tests that run real processes through ProcessLauncher: an ExitCollector to wait on,
// a RunSpec builder of LaunchRequests, and process-group probes.
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/job.h"
#include "exec/process_launcher.h"

namespace rota::launcher_test {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

constexpr auto kTimeout = std::chrono::seconds(10);

// Collects what the launcher reports; tests wait on it instead of sleeping.
class ExitCollector {
 public:
  ExitSink Sink() {
    return [this](RunExit exit) {
      std::lock_guard lock(mu_);
      exits_.push_back(std::move(exit));
      cv_.notify_all();
    };
  }

  // The exit of `run`, or nullopt if it is not reported within kTimeout.
  std::optional<RunExit> Wait(RunId run) {
    std::unique_lock lock(mu_);
    std::optional<RunExit> found;
    cv_.wait_for(lock, kTimeout, [&] {
      for (const RunExit& exit : exits_) {
        if (exit.run == run) found = exit;
      }
      return found.has_value();
    });
    return found;
  }

  // Waits until `n` exits were reported (or kTimeout) and returns all of them.
  std::vector<RunExit> WaitForCount(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kTimeout, [&] { return exits_.size() >= n; });
    return exits_;
  }

  size_t Count() {
    std::lock_guard lock(mu_);
    return exits_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RunExit> exits_;
};

// One run to launch: a task and the per-run fields of its LaunchRequest.
class RunSpec {
 public:
  static RunSpec Sh(std::string command) {
    RunSpec spec;
    spec.command_ = std::move(command);
    return spec;
  }
  static RunSpec Argv(std::vector<std::string> argv) {
    RunSpec spec;
    spec.task_.argv = std::move(argv);
    spec.task_.shell = false;
    return spec;
  }
  RunSpec& Task(std::string name) { return task_.name = std::move(name), *this; }
  RunSpec& Env(std::string name, std::string value) {
    return task_.env[std::move(name)] = std::move(value), *this;
  }
  RunSpec& Cwd(std::string dir) { return task_.cwd = std::move(dir), *this; }
  RunSpec& Frames(std::vector<Frame> frames) { return frames_ = std::move(frames), *this; }
  RunSpec& Instance(int instance) { return instance_ = instance, *this; }
  RunSpec& Attempt(int attempt) { return attempt_ = attempt, *this; }

  // Valid while this RunSpec lives, which covers a Launch(spec.Request(...)) expression.
  LaunchRequest Request(RunId run, std::string_view log_dir) const {
    LaunchRequest request;
    request.run = run;
    request.job = "shot-010";
    request.task = task_.name;
    request.argv = task_.argv;
    request.env = &task_.env;
    request.cwd = task_.cwd;
    request.instance = instance_;
    request.frames = frames_;
    request.attempt = attempt_;
    request.command = command_;
    request.shell = task_.shell;
    request.log_dir = log_dir;
    return request;
  }

 private:
  RunSpec() { task_.name = "render"; }
  TaskSpec task_;
  std::string command_;
  std::vector<Frame> frames_;
  int instance_ = 0;
  int attempt_ = 1;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits for a child to finish writing one line to `path`; returns it without the newline.
inline std::string WaitForLine(const std::string& path) {
  const auto deadline = steady_clock::now() + kTimeout;
  for (;;) {
    std::string text = ReadFile(path);
    if (!text.empty() && text.back() == '\n') return text.substr(0, text.size() - 1);
    if (steady_clock::now() > deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// Processes of group `pgid` that are still running (zombies do not count: they run nothing).
inline std::vector<pid_t> LiveMembersOf(pid_t pgid) {
  std::vector<pid_t> live;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadFile("/proc/" + name + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;  // exited while we looked
    char state = 0;
    int ppid = 0, group = 0;
    if (sscanf(stat.c_str() + paren + 1, " %c %d %d", &state, &ppid, &group) == 3 &&
        group == pgid && state != 'Z') {
      live.push_back(std::stoi(name));
    }
  }
  return live;
}

// True once nothing of group `pgid` runs any more (false if something still does at kTimeout).
inline bool GroupGone(pid_t pgid) {
  const auto deadline = steady_clock::now() + kTimeout;
  while (!LiveMembersOf(pgid).empty()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}


}  // namespace rota::launcher_test
