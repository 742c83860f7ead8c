// EngineLoop: requests from other threads run on the loop thread in order, Call answers through a
// future, exits posted by a launcher's thread reach the engine, and Run returns once done.
#include "engine/engine_loop.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/fake_launcher.h"
#include "support/job_builder.h"

namespace rota {
namespace {

TEST(EngineLoopTest, RequestsAndExitsFromOtherThreadsReachTheEngine) {
  SystemClock clock;
  FakeLauncher launcher;
  RecordingSink sink;
  EngineLoop loop;
  Engine engine(clock, launcher, sink, EngineOptions{});
  engine.Submit(JobBuilder().Task("a").Task("b").Requires("a").Build(), SubmitOptions{});
  const std::thread::id loop_thread = std::this_thread::get_id();

  std::thread client([&] {
    // A one-shot reply, answered on the loop thread.
    std::future<std::thread::id> where =
        loop.Call<std::thread::id>([](Engine&) { return std::this_thread::get_id(); });
    EXPECT_EQ(where.get(), loop_thread);
    std::future<size_t> launched =
        loop.Call<size_t>([&](Engine&) { return launcher.launched.size(); });
    EXPECT_EQ(launched.get(), 1u);
    // An exit as a launcher's reaper thread would report it.
    RunExit exit;
    exit.run = 1;
    loop.exit_sink()(exit);
    loop.Call<void>([&](Engine& e) { e.OnRunExit(launcher.Exit("b#0", 0)); }).get();
  });
  int idle_calls = 0;
  loop.Run(
      engine, [](const Engine& e) { return e.AllFinished(); }, [&] { ++idle_calls; },
      std::chrono::milliseconds(10));
  client.join();
  EXPECT_TRUE(engine.AllFinished());
  EXPECT_EQ(sink.summaries.back(), "job.succeeded");
  EXPECT_GT(idle_calls, 0);
}

TEST(EngineLoopTest, RunWakesForATimerWithoutAnyMessage) {
  SystemClock clock;
  FakeLauncher launcher;
  RecordingSink sink;
  EngineLoop loop;
  Engine engine(clock, launcher, sink, EngineOptions{});
  engine.Submit(JobBuilder().Task("flaky").Retries(1, std::chrono::milliseconds(20)).Build(),
                SubmitOptions{});
  engine.OnRunExit(launcher.Exit("flaky#0", 1));  // retry due in 20 ms
  loop.Run(
      engine, [&](const Engine&) { return launcher.launched.size() == 2; }, nullptr,
      std::chrono::seconds(10));  // the tick is long: only the retry's deadline can wake it
  EXPECT_EQ(launcher.launched.back().attempt, 2);
}

}  // namespace
}  // namespace rota
