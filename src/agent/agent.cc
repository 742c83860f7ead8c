// RunAgent: `rota agent` as a process: options, signals, the first registration, then the
// AgentCore until SIGINT or SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <system_error>

#include "agent/agent_core.h"
#include "agent/agent_main.h"
#include "agent/http_transport.h"
#include "agent/resources.h"
#include "core/units.h"
#include "exec/run_output.h"

namespace rota {

using agent::AgentConfig;
using agent::AgentCore;
using agent::HttpTransport;
using agent::IsTransient;
using agent::kUnreachable;
using agent::RegisterAnswer;

namespace {

constexpr auto kRegisterFor = std::chrono::seconds(10);
constexpr auto kRegisterEvery = std::chrono::milliseconds(250);

void PrintLine(std::string_view line) {
  std::fprintf(stderr, "rota agent: %.*s\n", static_cast<int>(line.size()), line.data());
}

std::string Join(const std::vector<std::string>& items, const char* none) {
  if (items.empty()) return none;
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string FormatCores(double cores) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", cores);
  return text;
}

std::string CheckOptions(const AgentOptions& options) {
  if (options.cores && !(*options.cores > 0)) return "--cores must be more than 0";
  if (options.memory && *options.memory <= 0) return "--memory must be more than 0";
  if (options.gpus && *options.gpus < 0) return "--gpus must be 0 or more";
  if (options.work_dir.empty()) return "--work-dir must not be empty";
  return "";
}

// Holds an exclusive lock on <work_dir>/agent.lock for the life of the process: two agents on
// one work directory would kill each other's runs as leftovers. -1 with errno on failure.
int LockWorkDir(const std::string& work_dir) {
  const int fd = open((work_dir + "/agent.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// SIGINT and SIGTERM are blocked in every thread and taken with sigtimedwait here; SIGCHLD
// keeps its default (the launcher reaps through pidfds). Restores the mask when done.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    // A server gone mid-request must not kill the agent; children get SIGPIPE back (launcher).
    signal(SIGPIPE, SIG_IGN);
  }
  ~StopSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

  // True when SIGINT or SIGTERM arrived within `timeout` (negative: wait forever).
  bool Wait(std::chrono::milliseconds timeout) {
    for (;;) {
      int signo = 0;
      if (timeout.count() < 0) {
        if (sigwait(&set_, &signo) == 0) return true;
        continue;
      }
      timespec ts{static_cast<time_t>(timeout.count() / 1000),
                  static_cast<long>(timeout.count() % 1000) * 1000000};
      if (sigtimedwait(&set_, nullptr, &ts) >= 0) return true;
      if (errno == EAGAIN) return false;  // EINTR: another signal; wait again (a bit longer)
    }
  }

 private:
  sigset_t set_, old_;
};

}  // namespace

int RunAgent(const AgentOptions& options) {
  Result<std::vector<ServerUrl>> servers = ParseServerList(options.server);
  if (!servers) {
    std::fprintf(stderr, "error: %s\n", servers.error().message.c_str());
    return 2;
  }
  const std::string server_text = ServerListText(*servers);
  if (std::string problem = CheckOptions(options); !problem.empty()) {
    std::fprintf(stderr, "error: %s\n", problem.c_str());
    return 2;
  }
  if (int err = MakeDirs(options.work_dir); err != 0) {
    std::fprintf(stderr, "error: cannot create work directory %s: %s\n", options.work_dir.c_str(),
                 std::generic_category().message(err).c_str());
    return 2;
  }
  const int lock_fd = LockWorkDir(options.work_dir);
  if (lock_fd < 0) {
    std::fprintf(stderr, "error: work directory %s is in use by another rota agent (%s)\n",
                 options.work_dir.c_str(), std::generic_category().message(errno).c_str());
    return 2;
  }
  StopSignals stop_signals;  // before any thread starts: they inherit the mask

  AgentConfig config;
  config.name = agent::ResolveName(options);
  config.server = server_text;
  config.resources = agent::ResolveResources(options);
  config.pools = options.pools;
  config.tags = options.tags;
  config.work_dir = options.work_dir;
  config.no_exec = options.no_exec;
  if (!options.quiet) config.note = PrintLine;
  config.note_runs = !options.no_exec;  // thousands per second there
  std::shared_ptr<AgentCore> core =
      AgentCore::Create(config, std::make_shared<HttpTransport>(*servers));

  int code = 0;
  if (Result<size_t> recovered = core->RecoverLeftovers(); !recovered) {
    std::fprintf(stderr, "error: %s\n", recovered.error().message.c_str());
    code = 2;
  }
  Result<RegisterAnswer> registered = MakeError(kUnreachable, "not tried");
  const auto give_up = std::chrono::steady_clock::now() + kRegisterFor;
  bool interrupted = false;
  while (code == 0) {
    registered = core->Register();
    if (registered || !IsTransient(registered.error()) ||
        std::chrono::steady_clock::now() >= give_up) {
      break;
    }
    if (stop_signals.Wait(kRegisterEvery)) {
      interrupted = true;
      break;
    }
  }
  if (code == 0 && !interrupted && !registered && !IsTransient(registered.error())) {
    std::fprintf(stderr, "error: %s refused to register this agent: %s\n", server_text.c_str(),
                 registered.error().message.c_str());
    code = 3;
  } else if (code == 0 && !interrupted && !registered) {
    // One server: "cannot reach URL: why"; several: "cannot reach URL (why), URL (why)".
    std::fprintf(stderr, "error: %s (is `rota server` running? set --server or ROTA_SERVER)\n",
                 registered.error().message.c_str());
    code = 3;
  }
  if (code == 0 && !interrupted) {
    if (config.note) {
      config.note("registered as " + registered->id + " with " + server_text + ": " +
                  FormatCores(config.resources.cores) + " cores, " +
                  FormatSize(config.resources.memory) + " memory, " +
                  std::to_string(config.resources.gpus) + " gpus, pools " +
                  Join(config.pools, "(all)") + ", tags " + Join(config.tags, "(none)"));
    }
    core->Start();
    stop_signals.Wait(std::chrono::milliseconds(-1));
    if (config.note) config.note("stopping");
  }
  core->Stop();
  close(lock_fd);
  return code;
}

}  // namespace rota
