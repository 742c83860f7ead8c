#include "cli/interrupts.h"

#include <atomic>

namespace rota {
namespace {

// Sent by the destructor to wake the watcher thread out of sigwait.
constexpr int kStopSignal = SIGUSR2;

sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, kStopSignal);
  return set;
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void(int, int)> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
  thread_ = std::thread([this, set] {
    for (;;) {
      int signo = 0;
      if (sigwait(&set, &signo) != 0) continue;
      if (signo == kStopSignal) return;
      last_signal_ = signo;
      on_interrupt_(++count_, signo);
    }
  });
}

InterruptWatcher::~InterruptWatcher() {
  pthread_kill(thread_.native_handle(), kStopSignal);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace rota
