// Inbox: the engine loop's multi-producer, single-consumer queue. Any thread may Post; only the loop
// thread takes. An eventfd is readable while messages wait, so the loop can sleep in poll() on the
// inbox and on other descriptors (the launcher's exits) at once. Messages are taken in batches: one
// lock and one wake-up serve many of them.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <mutex>
#include <vector>

namespace rota {

template <class Message>
class Inbox {
 public:
  Inbox() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Inbox() {
    if (fd_ >= 0) close(fd_);
  }
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Thread-safe.
  void Post(Message m) {
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_empty = queue_.empty();
      queue_.push_back(std::move(m));
    }
    // Only the first message of a batch writes: the consumer drains the whole queue at once.
    if (was_empty) {
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
    }
  }

  // Readable while messages wait (and, harmlessly, just after a batch was taken).
  int fd() const { return fd_; }

  // Loop thread only: moves every queued message into `out` (cleared first), without waiting.
  void TakeAll(std::vector<Message>& out) {
    out.clear();
    uint64_t count;
    [[maybe_unused]] ssize_t n = read(fd_, &count, sizeof count);
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(queue_);
  }

 private:
  const int fd_;
  std::mutex mu_;
  std::vector<Message> queue_;  // GUARDED_BY(mu_)
};

}  // namespace rota
