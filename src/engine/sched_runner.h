// SchedRunner: runs the scheduling algorithm over a snapshot, inline (sync) or on its own worker
// thread (async), with the states Idle -> RunRequested -> Running -> ResultReady -> Idle (DESIGN 7).
// The loop thread calls Request, TakeResult, Reset and SetMode; the worker thread only runs the
// algorithm. Every method is thread-safe. The runner owns its worker; the destructor cancels and joins.
// It lives in src/engine, not src/sched: it owns a thread, and src/sched is pure.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace rota {

enum class SchedMode { kSync, kAsync };
enum class RunnerState { kIdle, kRunRequested, kRunning, kResultReady };

const char* ToString(SchedMode mode);
const char* ToString(RunnerState state);

// Counters for /metrics. A run is "cancelled" when Reset stops it before it gave a result; a result
// is "dropped" when Reset throws away one that was ready.
struct RunnerStats {
  uint64_t runs_started = 0;
  uint64_t results_taken = 0;
  uint64_t results_dropped = 0;
  uint64_t runs_cancelled = 0;
  std::chrono::steady_clock::duration last_run_duration{};
};

template <class Snapshot, class Result>
class SchedRunner {
 public:
  // REQUIRES: does not throw. Should return early (any value) once `cancelled` is true.
  using Algorithm = std::function<Result(const Snapshot&, const std::atomic<bool>& cancelled)>;
  // Called once per result, after it is ready: on the worker thread (async) or inside Request
  // (sync). It may fire for a result that a racing Reset then drops; TakeResult returns nullopt then.
  using WakeFn = std::function<void()>;
  // Called on every state change with the new state, with the runner's lock held: it must not
  // call back into the runner. For logging and tests; may be null.
  using TransitionFn = std::function<void(RunnerState)>;

  SchedRunner(Algorithm algorithm, WakeFn wake, SchedMode mode = SchedMode::kSync,
              TransitionFn on_transition = nullptr)
      : algorithm_(std::move(algorithm)),
        wake_(std::move(wake)),
        on_transition_(std::move(on_transition)),
        mode_(mode) {}

  ~SchedRunner() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cancelled_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  SchedRunner(const SchedRunner&) = delete;
  SchedRunner& operator=(const SchedRunner&) = delete;

  // Takes effect at the next Request; a run under way keeps its mode.
  void SetMode(SchedMode mode) {
    std::lock_guard lock(mu_);
    mode_ = mode;
  }
  SchedMode mode() const {
    std::lock_guard lock(mu_);
    return mode_;
  }

  RunnerState state() const {
    std::lock_guard lock(mu_);
    return state_;
  }

  RunnerStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

  // Idle -> RunRequested. Sync: runs the algorithm now on this thread and returns in ResultReady.
  // Async: the worker picks the snapshot up. False (and nothing changes) unless Idle.
  bool Request(Snapshot snapshot) {
    std::unique_lock lock(mu_);
    if (state_ != RunnerState::kIdle || stopping_) return false;
    snapshot_.emplace(std::move(snapshot));
    cancelled_ = false;
    SetState(RunnerState::kRunRequested);
    if (mode_ == SchedMode::kAsync) {
      if (!worker_.joinable()) worker_ = std::thread([this] { WorkerLoop(); });
      lock.unlock();
      cv_.notify_all();
      return true;
    }
    RunLocked(lock);
    return true;
  }

  // ResultReady -> Idle, handing the result over; otherwise nullopt and nothing changes.
  std::optional<Result> TakeResult() {
    std::lock_guard lock(mu_);
    if (state_ != RunnerState::kResultReady) return std::nullopt;
    std::optional<Result> result = std::move(result_);
    result_.reset();
    ++stats_.results_taken;
    SetState(RunnerState::kIdle);
    return result;
  }

  // Back to Idle from any state: a requested run is forgotten, a running one is cancelled and
  // waited for (the algorithm sees `cancelled`), a ready result is dropped.
  void Reset() {
    std::unique_lock lock(mu_);
    switch (state_) {
      case RunnerState::kIdle:
        return;
      case RunnerState::kRunRequested:
        snapshot_.reset();
        ++stats_.runs_cancelled;
        SetState(RunnerState::kIdle);
        return;
      case RunnerState::kRunning:
        cancelled_ = true;
        cv_.wait(lock, [this] { return state_ != RunnerState::kRunning; });
        return;  // The run ends in Idle because it was cancelled.
      case RunnerState::kResultReady:
        result_.reset();
        ++stats_.results_dropped;
        SetState(RunnerState::kIdle);
        return;
    }
  }

 private:
  // REQUIRES: mu_ held (by `lock`), state_ == kRunRequested. Returns with mu_ held.
  void RunLocked(std::unique_lock<std::mutex>& lock) {
    Snapshot snapshot = std::move(*snapshot_);
    snapshot_.reset();
    ++stats_.runs_started;
    SetState(RunnerState::kRunning);
    lock.unlock();
    auto start = std::chrono::steady_clock::now();
    Result result = algorithm_(snapshot, cancelled_);
    auto took = std::chrono::steady_clock::now() - start;
    lock.lock();
    stats_.last_run_duration = took;
    if (cancelled_) {
      ++stats_.runs_cancelled;
      SetState(RunnerState::kIdle);
      cv_.notify_all();
      return;
    }
    result_.emplace(std::move(result));
    SetState(RunnerState::kResultReady);
    cv_.notify_all();
    if (wake_) {
      lock.unlock();
      wake_();
      lock.lock();
    }
  }

  void WorkerLoop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || state_ == RunnerState::kRunRequested; });
      if (stopping_) return;
      RunLocked(lock);
    }
  }

  // REQUIRES: mu_ held.
  void SetState(RunnerState state) {
    state_ = state;
    if (on_transition_) on_transition_(state);
  }

  const Algorithm algorithm_;
  const WakeFn wake_;
  const TransitionFn on_transition_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // state_ or stopping_ changed.
  SchedMode mode_;                            // guarded by mu_
  RunnerState state_ = RunnerState::kIdle;    // guarded by mu_
  std::optional<Snapshot> snapshot_;          // guarded by mu_; set in RunRequested
  std::optional<Result> result_;              // guarded by mu_; set in ResultReady
  RunnerStats stats_;                         // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::atomic<bool> cancelled_{false};        // written under mu_, read by the algorithm
  std::thread worker_;                        // started at the first async Request
};

}  // namespace rota
