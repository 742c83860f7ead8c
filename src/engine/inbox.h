// Inbox: the engine loop's multi-producer, single-consumer queue. Any thread may Post; only the loop
// thread Takes. Messages are taken in batches, so one lock and one wake-up serve many of them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

namespace rota {

template <class Message>
class Inbox {
 public:
  void Post(Message m) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(m));
    }
    cv_.notify_one();
  }

  // Moves every queued message into `out` (cleared first), waiting until there is at least one or
  // `deadline` passes (no deadline: wait as long as it takes). Returns false on timeout.
  template <class Clock, class Dur>
  bool TakeAll(std::vector<Message>& out,
               std::optional<std::chrono::time_point<Clock, Dur>> deadline) {
    out.clear();
    std::unique_lock<std::mutex> lock(mu_);
    if (deadline) {
      if (!cv_.wait_until(lock, *deadline, [&] { return !queue_.empty(); })) return false;
    } else {
      cv_.wait(lock, [&] { return !queue_.empty(); });
    }
    out.swap(queue_);
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Message> queue_;  // GUARDED_BY(mu_)
};

}  // namespace rota
