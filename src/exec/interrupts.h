// Interrupts: SIGINT and SIGTERM as a readable descriptor (signalfd), so the engine loop hears
// Ctrl-C in its poll() like any other event, and `rota run` needs no thread of its own: a
// single-threaded parent spawns faster (no TLB shootdowns across threads on every vfork'd child).
// Construct on the main thread before starting any thread: the signals are blocked in the calling
// thread, and threads started later inherit that. Children get a clean mask from the launcher.
// The destructor restores the previous mask.
#pragma once

#include <signal.h>

namespace rota {

class Interrupts {
 public:
  Interrupts();
  ~Interrupts();
  Interrupts(const Interrupts&) = delete;
  Interrupts& operator=(const Interrupts&) = delete;

  // Readable when SIGINT or SIGTERM arrived.
  int fd() const { return fd_; }
  // Consumes what arrived; returns how many signals that was (0 if none).
  int Take();
  // How many have arrived so far.
  int count() const { return count_; }

 private:
  sigset_t old_mask_;
  int fd_ = -1;
  int count_ = 0;
};

}  // namespace rota
