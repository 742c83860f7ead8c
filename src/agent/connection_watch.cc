#include "agent/connection_watch.h"

namespace rota::agent {

void ConnectionWatch::Failed(const Error& error) {
  {
    std::lock_guard lock(mu_);
    if (lost_) return;
    lost_ = true;
  }
  if (note_) note_("lost connection to " + server_ + ": " + error.message + "; retrying");
}

void ConnectionWatch::Succeeded() {
  {
    std::lock_guard lock(mu_);
    if (!lost_) return;
    lost_ = false;
  }
  if (note_) note_("connection to " + server_ + " is back");
}

}  // namespace rota::agent
