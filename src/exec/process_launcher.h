// ProcessLauncher: the Launcher that runs real processes on this machine (`rota run`, the agent).
// Each run is spawned with posix_spawn as the leader of its own process group, its output goes to
// its log file, and a reaper thread reports its exit through the ExitSink.
// Threads: Launch from one thread at a time (the engine loop); Signal, SignalAll and Running from
// any thread (not from a signal handler: they take a mutex).
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/launcher.h"
#include "exec/run_output.h"

namespace rota {

// How exits are reaped: every child gets a pidfd (pidfd_open) registered in an epoll set; the
// reaper thread sleeps in epoll_wait (no children: it simply sleeps, never spins) and reaps
// exactly the child whose pidfd fired with waitid(P_PIDFD). It never calls waitpid(-1), so other
// code in the process may run and wait for its own children. A child stays a zombie until it is
// reaped under the mutex and dropped from the run map in the same step, so Signal never sends to
// a pid the kernel has recycled.
//
// How the sink is called, never with a lock held:
//  - an exit: from the reaper thread, exactly once per launched run;
//  - a launch failure (bad cwd, program not found, ...): synchronously, from inside Launch, with
//    launch_failed, exit_code 127 and the reason in `error`.
// Destruction kills (SIGKILL) the process groups of runs still alive and reaps them without
// reporting them: whoever built the sink may already be gone.
class ProcessLauncher final : public Launcher {
 public:
  enum class Reaping {
    kOwnThread,  // a reaper thread reports exits (the agent, tests)
    kByCaller,   // the owner polls exit_fd() and calls ReapReady() on its own thread (`rota run`:
                 // the engine loop hears an exit without a thread hop, as ninja does)
  };

  enum class OutputCapture {
    kDirectToFile,  // the child writes its log file itself, which exists even when the run
                    // prints nothing
    kThroughPipe,   // the launcher reads a pipe and creates the log on the first byte (`rota run`
                    // and the agent: no file system work for quiet runs, see exec/run_output.h;
                    // RunExit::log_path is "" for a run that printed nothing)
  };

  // `sink` must stay callable until the destructor returns.
  explicit ProcessLauncher(ExitSink sink, Reaping reaping = Reaping::kOwnThread,
                           OutputCapture capture = OutputCapture::kDirectToFile);
  ~ProcessLauncher() override;
  ProcessLauncher(const ProcessLauncher&) = delete;
  ProcessLauncher& operator=(const ProcessLauncher&) = delete;

  // Runs `/bin/sh -c <command>` (request.shell) or request.task->argv (PATH searched with rota's
  // own PATH), every placeholder expanded (core/command_template.h), with stdin from /dev/null,
  // stdout and stderr to RunLogPath(...) (/dev/null if request.log_dir is empty), in task->cwd if
  // set, with rota's environment (as it was when the launcher was built) plus task->env plus the
  // ROTA_* variables of DESIGN section 2 (later ones win). Signals the child might inherit as
  // ignored or blocked are reset to their defaults. Descriptors other than 0-2 are closed.
  // Returns the child's pid, which is also its process group: no need to look for it in /proc.
  Launched Launch(const LaunchRequest& request) override;

  // kill(-pgid, signo) for a run not yet reaped: reaches the run's children and grandchildren that
  // stayed in its process group. No-op for a run that ended or that this launcher does not know.
  // Also marks the run as being stopped: when its leader exits, the rest of its process group gets
  // SIGKILL at once, so nothing it started outlives it (Ctrl-C, timeouts, cancel).
  void Signal(RunId run, int signo) override;

  // Signal for every live run (Ctrl-C: SIGTERM now, SIGKILL after the grace period).
  void SignalAll(int signo);

  // Runs launched and not yet reaped.
  size_t Running() const;

  // Reaping::kByCaller: readable when a child may have exited; then call ReapReady(), which reaps
  // what has exited and calls the sink on the calling thread. Never blocks.
  int exit_fd() const { return epoll_fd_; }
  void ReapReady();

 private:
  struct Child;
  // What an epoll event is about: a child's exit (its pidfd) or its output (its pipe).
  struct EpollTag {
    Child* child = nullptr;
    bool output = false;
  };
  struct Child {
    RunId run = 0;
    pid_t pid = 0;  // also the pgid: the child leads its own group
    int pidfd = -1;
    std::string log_path;
    bool terminating = false;  // we signalled it: when the leader dies, the rest of its group goes too
    std::unique_ptr<RunOutput> output;  // OutputCapture::kThroughPipe only
    bool output_done = false;           // the pipe reached end of file
    bool reaped = false;                // exited; erased once the current epoll batch is done
    EpollTag exit_tag, output_tag;      // point back at this Child
  };

  // False when the child cannot be watched: then it was killed and the failure reported.
  bool Watch(RunId run, pid_t pid, std::string log_path, std::unique_ptr<RunOutput> output);
  void ReapLoop();
  bool ReapOnce(int timeout_ms);  // false once the launcher is stopping
  Launched ReportLaunchFailure(RunId run, std::string error);   // returns "nothing started"
  std::string EnsureLogDir(const std::string& log_path, bool force);
  void BuildEnv(const LaunchRequest& request, std::string_view frames_text);

  const ExitSink sink_;
  const OutputCapture capture_;
  std::string init_error_;  // why the launcher cannot work; "" when it can
  int epoll_fd_ = -1;       // pidfds of live children, plus wake_fd_
  int wake_fd_ = -1;        // eventfd: tells the reaper to stop

  // Launch thread only.
  std::vector<std::string> parent_env_;       // "NAME=VALUE", copied once at construction
  std::unordered_set<std::string> log_dirs_;  // <log_dir>/<job>/<task> directories known to exist
  std::vector<std::string> own_env_;          // scratch for BuildEnv: task env, then ROTA_*
  std::vector<char*> envp_;                   // scratch for BuildEnv: what the child gets

  mutable std::mutex mu_;
  std::unordered_map<RunId, Child> children_;  // GUARDED_BY(mu_); nodes are stable: epoll
                                               // events point at them
  bool stopping_ = false;                      // GUARDED_BY(mu_)

  std::thread reaper_;  // last: starts after everything above is ready
};

}  // namespace rota
