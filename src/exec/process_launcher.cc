#include "exec/process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/command_template.h"
#include "core/frame_set.h"
#include "exec/log_path.h"
#include "exec/run_output.h"
#include "exec/spawn.h"

extern char** environ;

namespace rota {
namespace {

// What a shell answers when it cannot run a command; the engine treats it as any failed exit.
constexpr int kLaunchFailedExitCode = 127;

// Set for every run (DESIGN section 2), in this order; they win over a task env of the same name.
constexpr std::string_view kRunVars[] = {"ROTA_JOB",         "ROTA_TASK",      "ROTA_FRAMES",
                                         "ROTA_FRAME_START", "ROTA_FRAME_END", "ROTA_CHUNK_INDEX",
                                         "ROTA_ATTEMPT"};

std::string ErrnoText(int err) { return std::generic_category().message(err); }


// The child only says which errno it hit; work out which step it was, for the user.
// Runs on the failure path only, so the common path pays nothing for clear messages.
std::string DescribeSpawnError(int err, const std::string& program, const std::string& log_path,
                               const std::string& cwd) {
  struct stat st;
  if (!cwd.empty()) {
    if (stat(cwd.c_str(), &st) != 0) {
      return errno == ENOENT ? "cwd " + cwd + " does not exist"
                             : "cannot enter cwd " + cwd + ": " + ErrnoText(errno);
    }
    if (!S_ISDIR(st.st_mode)) return "cwd " + cwd + " is not a directory";
  }
  if (!log_path.empty()) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return "cannot open log file " + log_path + ": " + ErrnoText(errno);
    close(fd);
  }
  if (err == ENOENT && program.find('/') == std::string::npos) {
    return "cannot start \"" + program + "\": command not found";
  }
  return "cannot start \"" + program + "\": " + ErrnoText(err);
}

// True when the directory of `log_path` is gone: someone removed the logs while rota runs.
bool LogDirVanished(const std::string& log_path) {
  struct stat st;
  return stat(log_path.substr(0, log_path.find_last_of('/')).c_str(), &st) != 0 && errno == ENOENT;
}

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link its pidfd_open; the syscall is
// the same thing.
int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// The child's argv: /bin/sh -c <command>, or the task's argv; placeholders expanded. Empty for an
// argv task without arguments.
std::vector<std::string> ExpandArgs(const LaunchRequest& request, std::string_view frames_text) {
  TemplateVars vars;
  vars.job = request.job;
  vars.task = request.task;
  vars.frames = frames_text;
  if (!request.frames.empty()) {
    vars.frame_start = request.frames.front();
    vars.frame_end = request.frames.back();
  }
  vars.chunk_index = request.instance;
  if (request.shell) return {"/bin/sh", "-c", ExpandCommand(request.command, vars)};
  std::vector<std::string> args;
  args.reserve(request.argv.size());
  for (const std::string& arg : request.argv) args.push_back(ExpandCommand(arg, vars));
  return args;
}

RunExit ExitOf(const siginfo_t& info) {
  RunExit exit;
  if (info.si_code == CLD_EXITED) {
    exit.exit_code = info.si_status;
  } else {  // CLD_KILLED or CLD_DUMPED: the only other outcomes WEXITED reports
    exit.term_signal = info.si_status;
    exit.exit_code = 128 + info.si_status;
  }
  return exit;
}

}  // namespace

ProcessLauncher::ProcessLauncher(ExitSink sink, Reaping reaping, OutputCapture capture)
    : sink_(std::move(sink)), capture_(capture) {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) parent_env_.emplace_back(*e);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.ptr = nullptr;  // pidfds carry their Child*; nullptr means "wake up"
  if (epoll_fd_ < 0 || wake_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake) != 0) {
    // Without exceptions, the constructor cannot fail: every Launch will say why instead.
    init_error_ = "cannot start the process launcher: " + ErrnoText(errno);
    return;
  }
  if (reaping == Reaping::kOwnThread) reaper_ = std::thread([this] { ReapLoop(); });
}

ProcessLauncher::~ProcessLauncher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  if (reaper_.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
    reaper_.join();
  }
  // Nobody would reap or report what is still running: make sure nothing is left behind.
  for (auto& [run, child] : children_) kill(-child.pid, SIGKILL);
  for (auto& [run, child] : children_) {
    siginfo_t info;
    waitid(static_cast<idtype_t>(P_PIDFD), child.pidfd, &info, WEXITED);
    close(child.pidfd);
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

Launched ProcessLauncher::ReportLaunchFailure(RunId run, std::string error) {
  RunExit exit;
  exit.run = run;
  exit.exit_code = kLaunchFailedExitCode;
  exit.launch_failed = true;
  exit.error = std::move(error);
  sink_(std::move(exit));
  return {};
}

// Returns "" once the directory of `log_path` exists. Remembers the directories it made, so the
// hot path costs a hash lookup; `force` forgets that (the directory was removed under us).
std::string ProcessLauncher::EnsureLogDir(const std::string& log_path, bool force) {
  std::string dir = log_path.substr(0, log_path.find_last_of('/'));
  if (!force && log_dirs_.contains(dir)) return "";
  if (int err = MakeDirs(dir); err != 0) {
    return "cannot create log directory " + dir + ": " + ErrnoText(err);
  }
  log_dirs_.insert(std::move(dir));
  return "";
}

// Fills envp_: rota's environment, then the task's env, then ROTA_*; a later entry replaces an
// earlier one of the same name. Parent entries are filtered by binary search over the few names
// the run sets, so the cost is a few dozen comparisons and a dozen small strings per run.
void ProcessLauncher::BuildEnv(const LaunchRequest& request, std::string_view frames_text) {
  const bool has_frames = !request.frames.empty();
  own_env_.clear();
  if (request.env != nullptr) {
    for (const auto& [name, value] : *request.env) {
      if (std::find(std::begin(kRunVars), std::end(kRunVars), name) == std::end(kRunVars)) {
        own_env_.push_back(std::string(name).append("=").append(value));
      }
    }
  }
  auto set = [&](std::string_view name, std::string_view value) {
    own_env_.push_back(std::string(name).append("=").append(value));
  };
  set(kRunVars[0], request.job);
  set(kRunVars[1], request.task);
  set(kRunVars[2], frames_text);
  set(kRunVars[3], has_frames ? std::to_string(request.frames.front()) : "");
  set(kRunVars[4], has_frames ? std::to_string(request.frames.back()) : "");
  set(kRunVars[5], std::to_string(request.instance));
  set(kRunVars[6], std::to_string(request.attempt));

  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string_view> names;
  names.reserve(own_env_.size());
  for (const std::string& entry : own_env_) names.push_back(name_of(entry));
  std::sort(names.begin(), names.end());

  envp_.clear();
  for (std::string& entry : parent_env_) {
    if (!std::binary_search(names.begin(), names.end(), name_of(entry))) {
      envp_.push_back(entry.data());
    }
  }
  for (std::string& entry : own_env_) envp_.push_back(entry.data());
  envp_.push_back(nullptr);
}

Launched ProcessLauncher::Launch(const LaunchRequest& request) {
  if (!init_error_.empty()) return ReportLaunchFailure(request.run, init_error_);
  {
    std::lock_guard lock(mu_);
    if (children_.contains(request.run)) {
      return ReportLaunchFailure(request.run,
                                 "run " + std::to_string(request.run) + " is already running");
    }
  }

  const std::string frames_text = request.frames.empty() ? "" : FormatFrames(request.frames);
  std::vector<std::string> args = ExpandArgs(request, frames_text);
  if (args.empty()) {
    return ReportLaunchFailure(request.run, "task " + std::string(request.task) + " has no command");
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::string log_path;
  if (!request.log_dir.empty()) {
    log_path =
        RunLogPath(request.log_dir, request.job, request.task, request.instance, request.attempt);
  }
  std::unique_ptr<RunOutput> output;
  if (capture_ == OutputCapture::kThroughPipe) {
    output = std::make_unique<RunOutput>(log_path);
    if (int err = output->Open(); err != 0) {
      return ReportLaunchFailure(request.run, "cannot make an output pipe: " + ErrnoText(err));
    }
  } else if (!log_path.empty()) {
    if (std::string error = EnsureLogDir(log_path, false); !error.empty()) {
      return ReportLaunchFailure(request.run, std::move(error));
    }
  }
  BuildEnv(request, frames_text);

  const char* out_path = log_path.empty() ? "/dev/null" : log_path.c_str();
  const int out_fd = output ? output->write_fd() : -1;
  const std::string cwd_text(request.cwd);   // NUL-terminated for posix_spawn
  const char* cwd = cwd_text.empty() ? nullptr : cwd_text.c_str();
  const SpawnPlan plan{!request.shell, argv.data(), envp_.data(), out_fd, out_path, cwd};
  pid_t pid = SpawnChild(plan);
  if (pid == -ENOENT && !output && !log_path.empty() && LogDirVanished(log_path) &&
      EnsureLogDir(log_path, true).empty()) {
    pid = SpawnChild(plan);
  }
  if (output) output->CloseWriteEnd();
  if (pid < 0) {
    return ReportLaunchFailure(request.run, DescribeSpawnError(-pid, args[0], log_path, cwd_text));
  }

  if (!Watch(request.run, pid, std::move(log_path), std::move(output))) return {};
  return {pid};
}

bool ProcessLauncher::Watch(RunId run, pid_t pid, std::string log_path,
                            std::unique_ptr<RunOutput> output) {
  const int pidfd = PidfdOpen(pid);
  int err = errno;
  if (pidfd >= 0) {
    // Registered under the mutex: the reaper may see the pidfd fire at once (a quick run), and must
    // not reap the child before both of its descriptors are in place.
    std::lock_guard lock(mu_);
    Child* child = &children_[run];  // stable: unordered_map nodes do not move
    child->run = run;
    child->pid = pid;
    child->pidfd = pidfd;
    child->log_path = std::move(log_path);
    child->output = std::move(output);
    child->exit_tag = {child, false};
    child->output_tag = {child, true};
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &child->output_tag;
    const bool output_watched =
        !child->output ||
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, child->output->read_fd(), &event) == 0;
    event.data.ptr = &child->exit_tag;
    if (output_watched && epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pidfd, &event) == 0) return true;
    err = errno;
    if (output_watched && child->output) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, child->output->read_fd(), nullptr);
    }
    children_.erase(run);
  }
  // The child cannot be watched (out of descriptors or memory): undo the start. Nobody reaped it,
  // so its pid is still ours.
  kill(-pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  if (pidfd >= 0) close(pidfd);
  ReportLaunchFailure(run, "cannot watch process " + std::to_string(pid) + ": " + ErrnoText(err));
  return false;
}

void ProcessLauncher::ReapLoop() {
  while (ReapOnce(-1)) {
  }
}

void ProcessLauncher::ReapReady() { ReapOnce(0); }

bool ProcessLauncher::ReapOnce(int timeout_ms) {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  std::vector<RunExit> exits;
  std::vector<RunId> reaped;
  const int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  if (n < 0 && errno != EINTR) return false;  // only EBADF/EINVAL: the fds are gone
  {
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
        continue;
      }
      const EpollTag& tag = *static_cast<const EpollTag*>(events[i].data.ptr);
      Child& child = *tag.child;
      // One batch can hold both a child's exit and its output: the Child lives until the batch
      // is done, and whatever comes after its exit is ignored.
      if (child.reaped) continue;
      if (tag.output) {  // the run wrote something, or closed its output
        if (!child.output->Drain()) {
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, child.output->read_fd(), nullptr);
          child.output_done = true;
        }
        continue;
      }
      // A group we were stopping dies whole: a grandchild that ignored SIGTERM must not outlive
      // its leader. The leader is a zombie until waitid below, so its pgid cannot be reused yet.
      if (child.terminating) kill(-child.pid, SIGKILL);
      siginfo_t info{};
      const int rc =
          waitid(static_cast<idtype_t>(P_PIDFD), child.pidfd, &info, WEXITED | WNOHANG);
      const int err = rc == 0 ? 0 : errno;
      if (rc == 0 && info.si_pid == 0) continue;  // not exited after all
      RunExit exit;
      if (rc == 0) {
        exit = ExitOf(info);
      } else {  // ECHILD: someone else reaped it (waitpid(-1) elsewhere); the status is lost
        exit.exit_code = 255;
        exit.error = "exit status lost: " + ErrnoText(err);
      }
      exit.run = child.run;
      exit.log_path = std::move(child.log_path);
      if (child.output) {  // what it wrote before exiting is in the pipe: log it before reporting
        if (!child.output_done) {
          child.output->Drain();
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, child.output->read_fd(), nullptr);
        }
        if (!child.output->wrote_anything()) exit.log_path.clear();   // no file: nothing to ship
        child.output->Close();
      }
      exits.push_back(std::move(exit));
      // DEL before close: a forked copy of the fd would otherwise keep the registration (and
      // its pointer to the erased Child) alive.
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, child.pidfd, nullptr);
      close(child.pidfd);
      child.reaped = true;
      reaped.push_back(child.run);
    }
    for (RunId run : reaped) children_.erase(run);
    if (stopping_) return false;
  }
  for (RunExit& exit : exits) sink_(std::move(exit));
  return true;
}

void ProcessLauncher::Signal(RunId run, int signo) {
  std::lock_guard lock(mu_);  // held across kill: the reaper cannot reap (free the pid) meanwhile
  auto it = children_.find(run);
  if (it == children_.end()) return;
  it->second.terminating = true;
  // ESRCH: the child moved itself out of its group (setsid); it still has its own pid.
  if (kill(-it->second.pid, signo) != 0 && errno == ESRCH) kill(it->second.pid, signo);
}

void ProcessLauncher::SignalAll(int signo) {
  std::lock_guard lock(mu_);
  for (auto& [run, child] : children_) {
    child.terminating = true;
    if (kill(-child.pid, signo) != 0 && errno == ESRCH) kill(child.pid, signo);
  }
}

size_t ProcessLauncher::Running() const {
  std::lock_guard lock(mu_);
  return children_.size();
}

}  // namespace rota
