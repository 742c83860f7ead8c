// Backoff: how long to wait before the next try while the server is away: doubles from `first`
// up to `max`, back to `first` after a success. A plain value; one per thread.
#pragma once

#include <algorithm>
#include <chrono>

namespace rota::agent {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
      : first_(first), max_(max), next_(first) {}

  std::chrono::milliseconds Next() {
    const std::chrono::milliseconds now = next_;
    next_ = std::min(max_, next_ * 2);
    return now;
  }
  void Reset() { next_ = first_; }

 private:
  std::chrono::milliseconds first_, max_, next_;
};

}  // namespace rota::agent
