// InterruptWatcher: turns SIGINT and SIGTERM into calls on a thread of its own, so the engine loop
// hears Ctrl-C through its inbox like any other request.
// Construct it on the main thread BEFORE starting any other thread: it blocks the signals in the
// calling thread, and threads started later inherit that mask (children get a clean mask from the
// launcher). The destructor stops and joins the thread and restores the mask.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace rota {

class InterruptWatcher {
 public:
  // `on_interrupt(n, signo)` runs on the watcher thread for the n-th signal (1, 2, ...).
  explicit InterruptWatcher(std::function<void(int n, int signo)> on_interrupt);
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  int count() const { return count_; }
  int last_signal() const { return last_signal_; }

 private:
  std::function<void(int, int)> on_interrupt_;
  sigset_t old_mask_;
  std::thread thread_;
  std::atomic<int> count_{0};
  std::atomic<int> last_signal_{0};
};

}  // namespace rota
