#include "exec/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace rota {
namespace {

// Signals a child must not inherit as ignored: a server ignores SIGPIPE, the CLI may ignore
// SIGINT while it shuts down, and an ignored SIGCHLD would break the child's own waits.
constexpr int kDefaultSignals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD,
                                   SIGUSR1, SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ROTA_SPAWN_WITH_POSIX_SPAWN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ROTA_SPAWN_WITH_POSIX_SPAWN 1
#endif
#endif

#if defined(ROTA_SPAWN_WITH_POSIX_SPAWN)

// The sanitizers' runtimes do not follow a vfork child (ThreadSanitizer turns vfork into fork,
// where the child's error would never reach the parent): there, posix_spawn does the same steps.
struct SpawnAttr {
  SpawnAttr() {
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int signo : kDefaultSignals) sigaddset(&defaults, signo);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
  posix_spawnattr_t attr;
};

}  // namespace

pid_t SpawnChild(const SpawnPlan& plan) {
  static const SpawnAttr attr;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (plan.out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, plan.out_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, plan.out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  }
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  if (plan.cwd != nullptr) posix_spawn_file_actions_addchdir_np(&actions, plan.cwd);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = 0;
  const int err = plan.search_path ? posix_spawnp(&pid, plan.argv[0], &actions, &attr.attr, plan.argv, plan.envp)
                                   : posix_spawn(&pid, plan.argv[0], &actions, &attr.attr, plan.argv, plan.envp);
  posix_spawn_file_actions_destroy(&actions);
  return err == 0 ? pid : -err;
}

#else

// vfork, not posix_spawn: glibc's posix_spawn runs the child on a stack it maps for it and unmaps
// afterwards, and that unmapping waits for a TLB shootdown on the CPU the child ran on. On a busy
// machine (all CPUs running the runs) that wait cost the parent ~280 us per spawn here, against
// ~85 us for vfork, whose child borrows the parent's stack.
//
// The child shares the parent's memory until it execs, so it makes only system calls and reports
// a failure through `error`, which the parent reads once vfork returns. Every signal is blocked
// from before vfork until just before execve; rota installs no signal handlers (it takes signals
// through signalfd and sigwait), so none can run in the child on the parent's stack.
[[noreturn]] void Fail(volatile int* error) {
  *error = errno != 0 ? errno : EINVAL;
  _exit(127);
}

// `fd` as descriptor `target` of the program the child will exec (not closed by exec).
bool Place(int fd, int target) {
  if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;
  return dup2(fd, target) == target;
}

[[noreturn]] void RunChild(const SpawnPlan& plan, const sigset_t& empty, volatile int* error) {
  if (setpgid(0, 0) != 0) Fail(error);
  const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in < 0 || !Place(in, 0)) Fail(error);
  const int out = plan.out_fd >= 0 ? plan.out_fd : open(plan.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (out < 0 || !Place(out, 1) || !Place(1, 2)) Fail(error);
  if (plan.cwd != nullptr && chdir(plan.cwd) != 0) Fail(error);
  if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) Fail(error);
  struct sigaction defaults = {};
  defaults.sa_handler = SIG_DFL;
  for (int signo : kDefaultSignals) sigaction(signo, &defaults, nullptr);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  if (plan.search_path) {
    execvpe(plan.argv[0], plan.argv, plan.envp);
  } else {
    execve(plan.argv[0], plan.argv, plan.envp);
  }
  Fail(error);
}

}  // namespace

pid_t SpawnChild(const SpawnPlan& plan) {
  sigset_t all, empty, old;
  sigfillset(&all);
  sigemptyset(&empty);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  volatile int error = 0;
  const pid_t pid = vfork();
  if (pid == 0) RunChild(plan, empty, &error);
  const int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return -vfork_errno;
  if (error != 0) {
    waitpid(pid, nullptr, 0);   // it exited already: vfork returns once the child execs or exits
    return -error;
  }
  return pid;
}

#endif

}  // namespace rota
