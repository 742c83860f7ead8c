#include "engine/sched_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace rota {
namespace {

using ::testing::ElementsAre;

// A one-way signal a test can wait on: set once, waited on from any thread.
class Signal {
 public:
  void Set() {
    {
      std::lock_guard lock(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// Counts wake callbacks; tests wait for the n-th one.
class Wakes {
 public:
  void Fire() {
    {
      std::lock_guard lock(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  void WaitFor(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

// The fake algorithm: returns snapshot * 10. Optionally blocks until released (signalling
// `entered` first) and, when blocked, gives up as soon as it sees the cancelled flag.
struct FakeAlgorithm {
  bool block = false;
  Signal entered;
  Signal release;
  std::atomic<bool> saw_cancel{false};
  std::atomic<int> calls{0};
  std::atomic<std::thread::id> thread;
  std::atomic<const std::atomic<bool>*> flag{nullptr};  // the runner's cancelled flag, once seen

  int Run(const int& snapshot, const std::atomic<bool>& cancelled) {
    ++calls;
    thread = std::this_thread::get_id();
    flag = &cancelled;
    if (block) {
      entered.Set();
      release.Wait();
      if (cancelled) saw_cancel = true;
    }
    return snapshot * 10;
  }
};

// Blocks until cancelled: spins on the flag (yield, not sleep) so Reset is what ends it.
struct UntilCancelled {
  Signal entered;
  std::atomic<bool> saw_cancel{false};

  int Run(const int&, const std::atomic<bool>& cancelled) {
    entered.Set();
    while (!cancelled) std::this_thread::yield();
    saw_cancel = true;
    return -1;
  }
};

using Runner = SchedRunner<int, int>;

// Records every transition (called with the runner's lock held, so only its own lock here).
class Transitions {
 public:
  Runner::TransitionFn Fn() {
    return [this](RunnerState s) {
      std::lock_guard lock(mu_);
      states_.push_back(s);
    };
  }
  std::vector<RunnerState> Get() {
    std::lock_guard lock(mu_);
    return states_;
  }

 private:
  std::mutex mu_;
  std::vector<RunnerState> states_;
};

Runner::Algorithm Use(FakeAlgorithm& fake) {
  return [&fake](const int& s, const std::atomic<bool>& c) { return fake.Run(s, c); };
}
Runner::Algorithm Use(UntilCancelled& fake) {
  return [&fake](const int& s, const std::atomic<bool>& c) { return fake.Run(s, c); };
}

TEST(SchedRunnerTest, StartsIdleWithNothingToTake) {
  FakeAlgorithm fake;
  Runner runner(Use(fake), nullptr);
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_EQ(runner.mode(), SchedMode::kSync);
  EXPECT_EQ(runner.TakeResult(), std::nullopt);
  EXPECT_EQ(fake.calls, 0);
}

TEST(SchedRunnerTest, SyncRunGoesThroughEveryStateOnTheCallersThread) {
  FakeAlgorithm fake;
  Wakes wakes;
  Transitions transitions;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kSync, transitions.Fn());

  ASSERT_TRUE(runner.Request(4));
  EXPECT_EQ(runner.state(), RunnerState::kResultReady);
  EXPECT_EQ(fake.thread.load(), std::this_thread::get_id());
  EXPECT_EQ(wakes.count(), 1);
  EXPECT_EQ(runner.TakeResult(), 40);
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_EQ(runner.TakeResult(), std::nullopt);
  EXPECT_THAT(transitions.Get(), ElementsAre(RunnerState::kRunRequested, RunnerState::kRunning,
                                             RunnerState::kResultReady, RunnerState::kIdle));
  RunnerStats stats = runner.stats();
  EXPECT_EQ(stats.runs_started, 1u);
  EXPECT_EQ(stats.results_taken, 1u);
  EXPECT_EQ(stats.results_dropped, 0u);
}

TEST(SchedRunnerTest, AsyncRunGoesThroughEveryStateOnTheWorkerThread) {
  FakeAlgorithm fake;
  fake.block = true;
  Wakes wakes;
  Transitions transitions;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync, transitions.Fn());

  ASSERT_TRUE(runner.Request(7));
  fake.entered.Wait();
  EXPECT_EQ(runner.state(), RunnerState::kRunning);
  EXPECT_EQ(runner.TakeResult(), std::nullopt);
  EXPECT_NE(fake.thread.load(), std::this_thread::get_id());
  fake.release.Set();
  wakes.WaitFor(1);
  EXPECT_EQ(runner.state(), RunnerState::kResultReady);
  EXPECT_EQ(runner.TakeResult(), 70);
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_THAT(transitions.Get(), ElementsAre(RunnerState::kRunRequested, RunnerState::kRunning,
                                             RunnerState::kResultReady, RunnerState::kIdle));
  EXPECT_EQ(runner.stats().runs_started, 1u);
  EXPECT_EQ(runner.stats().results_taken, 1u);
}

TEST(SchedRunnerTest, RequestWhileNotIdleIsRefused) {
  FakeAlgorithm fake;
  fake.block = true;
  Wakes wakes;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);

  ASSERT_TRUE(runner.Request(1));
  EXPECT_FALSE(runner.Request(2));  // RunRequested or Running
  fake.entered.Wait();
  EXPECT_FALSE(runner.Request(3));  // Running
  fake.release.Set();
  wakes.WaitFor(1);
  EXPECT_FALSE(runner.Request(4));  // ResultReady
  EXPECT_EQ(runner.TakeResult(), 10);
  EXPECT_EQ(fake.calls, 1);
  EXPECT_EQ(runner.stats().runs_started, 1u);
}

TEST(SchedRunnerTest, SyncRequestWhileResultReadyIsRefused) {
  FakeAlgorithm fake;
  Runner runner(Use(fake), nullptr, SchedMode::kSync);
  ASSERT_TRUE(runner.Request(1));
  EXPECT_FALSE(runner.Request(2));
  EXPECT_EQ(runner.TakeResult(), 10);
  EXPECT_EQ(fake.calls, 1);
}

TEST(SchedRunnerTest, ResetDuringRunningCancelsWaitsAndDeliversNothing) {
  UntilCancelled fake;
  Wakes wakes;
  Transitions transitions;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync, transitions.Fn());

  ASSERT_TRUE(runner.Request(1));
  fake.entered.Wait();
  runner.Reset();
  // Reset waited: the algorithm has already seen the flag and returned.
  EXPECT_TRUE(fake.saw_cancel);
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_EQ(runner.TakeResult(), std::nullopt);
  EXPECT_EQ(wakes.count(), 0);
  EXPECT_THAT(transitions.Get(), ElementsAre(RunnerState::kRunRequested, RunnerState::kRunning,
                                             RunnerState::kIdle));
  RunnerStats stats = runner.stats();
  EXPECT_EQ(stats.runs_started, 1u);
  EXPECT_EQ(stats.runs_cancelled, 1u);
  EXPECT_EQ(stats.results_taken, 0u);
}

TEST(SchedRunnerTest, RunnerIsReusableAfterResetDuringRunning) {
  FakeAlgorithm fake;
  fake.block = true;
  Wakes wakes;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);

  ASSERT_TRUE(runner.Request(1));
  fake.entered.Wait();
  std::atomic<bool> reset_returned{false};
  std::thread resetter([&] {
    runner.Reset();
    reset_returned = true;
  });
  // The fake ignores the flag until released: once Reset has set it, Reset must still wait.
  while (!fake.flag.load()->load()) std::this_thread::yield();
  EXPECT_FALSE(reset_returned);
  EXPECT_EQ(runner.state(), RunnerState::kRunning);
  fake.release.Set();
  resetter.join();
  EXPECT_TRUE(fake.saw_cancel);
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_EQ(runner.TakeResult(), std::nullopt);

  fake.block = false;  // no run in flight: safe to change
  ASSERT_TRUE(runner.Request(2));
  wakes.WaitFor(1);
  EXPECT_EQ(runner.TakeResult(), 20);
}

TEST(SchedRunnerTest, ResetRightAfterAsyncRequestLeavesNoResult) {
  UntilCancelled fake;
  Wakes wakes;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);

  ASSERT_TRUE(runner.Request(1));
  runner.Reset();  // RunRequested or Running: either way no result ever comes
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_EQ(runner.TakeResult(), std::nullopt);
  EXPECT_EQ(runner.stats().runs_cancelled, 1u);
  EXPECT_EQ(wakes.count(), 0);
}

TEST(SchedRunnerTest, ResetWhileResultReadyDropsTheResult) {
  FakeAlgorithm fake;
  Wakes wakes;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);

  ASSERT_TRUE(runner.Request(5));
  wakes.WaitFor(1);
  ASSERT_EQ(runner.state(), RunnerState::kResultReady);
  runner.Reset();
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_EQ(runner.TakeResult(), std::nullopt);
  EXPECT_EQ(runner.stats().results_dropped, 1u);
  EXPECT_EQ(runner.stats().results_taken, 0u);
}

TEST(SchedRunnerTest, ResetWhileIdleDoesNothing) {
  FakeAlgorithm fake;
  Runner runner(Use(fake), nullptr);
  runner.Reset();
  EXPECT_EQ(runner.state(), RunnerState::kIdle);
  EXPECT_EQ(runner.stats().runs_cancelled, 0u);
  EXPECT_EQ(runner.stats().results_dropped, 0u);
}

TEST(SchedRunnerTest, WakeFiresOncePerResult) {
  FakeAlgorithm fake;
  Wakes wakes;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);

  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(runner.Request(i));
    wakes.WaitFor(i);
    EXPECT_EQ(runner.TakeResult(), i * 10);
  }
  EXPECT_EQ(wakes.count(), 3);
  EXPECT_EQ(runner.stats().runs_started, 3u);
  EXPECT_EQ(runner.stats().results_taken, 3u);
}

TEST(SchedRunnerTest, SwitchingModeTakesEffectAtTheNextRequest) {
  FakeAlgorithm fake;
  Wakes wakes;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kSync);
  const std::thread::id loop = std::this_thread::get_id();

  ASSERT_TRUE(runner.Request(1));
  EXPECT_EQ(fake.thread.load(), loop);
  EXPECT_EQ(runner.TakeResult(), 10);

  runner.SetMode(SchedMode::kAsync);
  EXPECT_EQ(runner.mode(), SchedMode::kAsync);
  ASSERT_TRUE(runner.Request(2));
  wakes.WaitFor(2);
  EXPECT_NE(fake.thread.load(), loop);
  EXPECT_EQ(runner.TakeResult(), 20);

  runner.SetMode(SchedMode::kSync);
  ASSERT_TRUE(runner.Request(3));
  EXPECT_EQ(fake.thread.load(), loop);
  EXPECT_EQ(runner.state(), RunnerState::kResultReady);
  EXPECT_EQ(runner.TakeResult(), 30);
}

TEST(SchedRunnerTest, SetModeDuringARunDoesNotChangeThatRun) {
  FakeAlgorithm fake;
  fake.block = true;
  Wakes wakes;
  Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);

  ASSERT_TRUE(runner.Request(1));
  fake.entered.Wait();
  runner.SetMode(SchedMode::kSync);
  EXPECT_EQ(runner.state(), RunnerState::kRunning);
  fake.release.Set();
  wakes.WaitFor(1);
  EXPECT_EQ(runner.TakeResult(), 10);
}

TEST(SchedRunnerTest, DestructorWithARunInFlightCancelsAndJoins) {
  UntilCancelled fake;
  Wakes wakes;
  {
    Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);
    ASSERT_TRUE(runner.Request(1));
    fake.entered.Wait();
  }  // must return: the destructor sets the flag and joins
  EXPECT_TRUE(fake.saw_cancel);
  EXPECT_EQ(wakes.count(), 0);
}

TEST(SchedRunnerTest, DestructorWithAnIdleWorkerJoins) {
  FakeAlgorithm fake;
  Wakes wakes;
  {
    Runner runner(Use(fake), [&] { wakes.Fire(); }, SchedMode::kAsync);
    ASSERT_TRUE(runner.Request(1));
    wakes.WaitFor(1);
  }  // result left untaken; worker waiting
  EXPECT_EQ(wakes.count(), 1);
}

TEST(SchedRunnerTest, RecordsTheDurationOfTheLastRun) {
  FakeAlgorithm fake;
  Runner runner(Use(fake), nullptr);
  ASSERT_TRUE(runner.Request(1));
  EXPECT_GE(runner.stats().last_run_duration.count(), 0);
}

TEST(SchedRunnerTest, NamesStatesAndModes) {
  EXPECT_STREQ(ToString(RunnerState::kIdle), "idle");
  EXPECT_STREQ(ToString(RunnerState::kRunRequested), "run-requested");
  EXPECT_STREQ(ToString(RunnerState::kRunning), "running");
  EXPECT_STREQ(ToString(RunnerState::kResultReady), "result-ready");
  EXPECT_STREQ(ToString(SchedMode::kSync), "sync");
  EXPECT_STREQ(ToString(SchedMode::kAsync), "async");
}

}  // namespace
}  // namespace rota
