#include "exec/interrupts.h"

#include <sys/signalfd.h>
#include <unistd.h>

namespace rota {

Interrupts::Interrupts() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, &old_mask_);
  fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

Interrupts::~Interrupts() {
  if (fd_ >= 0) close(fd_);
  sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

int Interrupts::Take() {
  int n = 0;
  signalfd_siginfo info;
  while (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) ++n;
  count_ += n;
  return n;
}

}  // namespace rota
