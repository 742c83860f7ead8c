// Clock: the engine's only source of time, injected so tests step time by hand (FakeClock::Advance).
// SystemClock is thread-safe; FakeClock is for single-threaded tests.
#pragma once

#include <chrono>
#include <cstdint>

namespace rota {

using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines and backoff.
  virtual TimePoint Now() const = 0;
  // Wall-clock microseconds since the Unix epoch, for event timestamps (`ts_us`).
  virtual int64_t UnixMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t UnixMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  TimePoint Now() const override { return now_; }
  int64_t UnixMicros() const override {
    return kEpochMicros +
           std::chrono::duration_cast<std::chrono::microseconds>(now_.time_since_epoch()).count();
  }
  void Advance(std::chrono::microseconds d) { now_ += d; }

 private:
  static constexpr int64_t kEpochMicros = 1'764'000'000'000'000;
  TimePoint now_{};
};

}  // namespace rota
