// Helpers for integration tests: a scratch directory, and the real `rota` binary run as a child
// process with its stdout, stderr and exit code captured.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/scratch_dir.h"

extern char** environ;

namespace rota::testing {

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}


struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A `rota` child process running in `cwd`; stdout and stderr go to files in `cwd`.
class RotaProcess {
 public:
  RotaProcess(const std::filesystem::path& cwd, std::vector<std::string> args) : cwd_(cwd) {
    args.insert(args.begin(), ROTA_BIN);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    out_path_ = (cwd / ".rota-stdout").string();
    err_path_ = (cwd / ".rota-stderr").string();
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    posix_spawn(&pid_, ROTA_BIN, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
  }
  ~RotaProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void Signal(int signo) { kill(pid_, signo); }

  // Waits up to `limit` for the exit.
  Outcome Wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
    Outcome o;
    const auto end = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > end) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        o.err = "TIMED OUT\n";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.out = ReadFile(out_path_);
    o.err += ReadFile(err_path_);
    return o;
  }

 private:
  std::filesystem::path cwd_;
  std::string out_path_, err_path_;
  pid_t pid_ = -1;
};

inline Outcome RunRota(const std::filesystem::path& cwd, std::vector<std::string> args) {
  return RotaProcess(cwd, std::move(args)).Wait();
}

// The events file, one JSON object per line.
inline std::vector<nlohmann::json> ReadEvents(const std::filesystem::path& p) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(p));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

// "type task#instance" of each event, for order assertions.
inline std::vector<std::string> Summaries(const std::vector<nlohmann::json>& events,
                                          const std::string& prefix = "") {
  std::vector<std::string> out;
  for (const auto& e : events) {
    std::string s = e["type"].get<std::string>();
    if (s.rfind(prefix, 0) != 0) continue;
    if (e.contains("task")) s += " " + e["task"].get<std::string>();
    out.push_back(s);
  }
  return out;
}

// True while `pid` exists and is not a zombie (an orphan's zombie waits for PID 1 to reap it).
inline bool ProcessAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Polls `cond` every 10 ms until it holds or `limit` passes.
template <class F>
bool WaitFor(F&& cond, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace rota::testing
