// Engine behaviour with a fake clock and launcher: order, pool limits, skips, retries, timeouts,
// signals, frames, cancellation.
#include "engine/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "support/fake_launcher.h"
#include "support/job_builder.h"

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : engine_(clock_, launcher_, sink_, Options()) {}
  static EngineOptions Options() {
    EngineOptions o;
    o.default_max_workers = 4;
    o.kill_grace = 5s;
    return o;
  }
  JobId Submit(const JobBuilder& b) { return engine_.Submit(b.Build(), SubmitOptions{}); }
  void Exit(const std::string& key, int code = 0) { engine_.OnRunExit(launcher_.Exit(key, code)); }
  std::vector<std::string> Started() const {
    std::vector<std::string> out;
    for (const auto& l : launcher_.launched) out.push_back(l.key);
    return out;
  }

  FakeClock clock_;
  FakeLauncher launcher_;
  RecordingSink sink_;
  Engine engine_;
};

TEST_F(EngineTest, RunsAChainInOrder) {
  Submit(JobBuilder().Task("a").Task("b").Requires("a").Task("c").Requires("b"));
  EXPECT_THAT(Started(), ElementsAre("a#0"));
  Exit("a#0");
  EXPECT_THAT(Started(), ElementsAre("a#0", "b#0"));
  Exit("b#0");
  Exit("c#0");
  EXPECT_TRUE(engine_.AllFinished());
  EXPECT_THAT(sink_.summaries,
              ElementsAre("job.submitted", "job.started", "task.started a#0", "task.succeeded a#0",
                          "task.started b#0", "task.succeeded b#0", "task.started c#0",
                          "task.succeeded c#0", "job.succeeded"));
  EXPECT_FALSE(sink_.out_of_order);
}

TEST_F(EngineTest, NeverRunsMoreThanMaxWorkersInAPool) {
  JobBuilder b;
  b.Pool("hub", 2);
  for (int i = 0; i < 5; ++i) b.Task("t" + std::to_string(i)).InPool("hub");
  Submit(b);
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("t0#0", "t1#0"));
  Exit("t1#0");
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("t0#0", "t2#0"));
  Exit("t0#0");
  Exit("t2#0");
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("t3#0", "t4#0"));
}

TEST_F(EngineTest, DependenciesCrossPools) {
  Submit(JobBuilder().Pool("hub", 1).Pool("dr1", 1)
             .Task("hub-ready").InPool("hub")
             .Task("dr1-addon").InPool("dr1").Requires("hub-ready")
             .Task("dr1-other").InPool("dr1"));
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("hub-ready#0", "dr1-other#0"));
  Exit("hub-ready#0");
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("dr1-other#0"));  // dr1 is full
  Exit("dr1-other#0");
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("dr1-addon#0"));
}

TEST_F(EngineTest, SkipsDependentsOfAFailureAndKeepsGoingUnderContinue) {
  Submit(JobBuilder().OnFailure(FailurePolicy::kContinue)
             .Task("a").Task("b").Requires("a").Task("c").Requires("b").Task("d"));
  Exit("a#0", 3);
  EXPECT_EQ(sink_.reasons["task.skipped b#0"], "default/a failed");
  EXPECT_EQ(sink_.reasons["task.skipped c#0"], "default/b was skipped");
  EXPECT_THAT(launcher_.LiveKeys(), ElementsAre("d#0"));
  Exit("d#0");
  EXPECT_TRUE(engine_.AllFinished());
  EXPECT_EQ(sink_.summaries.back(), "job.failed");
  EXPECT_EQ(sink_.reasons["job.failed"], "1 failed, 2 skipped, 1 succeeded");
  auto failed = std::find(sink_.summaries.begin(), sink_.summaries.end(), "task.failed a#0");
  ASSERT_NE(failed, sink_.summaries.end());
  EXPECT_THAT(sink_.lines[failed - sink_.summaries.begin()], ::testing::HasSubstr("\"exit_code\":3"));
}

TEST_F(EngineTest, StopPolicyStartsNothingNewAfterAFailure) {
  Submit(JobBuilder().Pool("default", 1).Task("a").Task("b").Task("c"));
  Exit("a#0", 1);
  EXPECT_THAT(Started(), ElementsAre("a#0"));
  EXPECT_EQ(sink_.reasons["task.skipped b#0"],
            "not started: default/a failed (on_failure: stop)");
  EXPECT_TRUE(engine_.AllFinished());
}

TEST_F(EngineTest, FailureHandlersRunOnlyOnFailure) {
  Submit(JobBuilder().OnFailure(FailurePolicy::kContinue)
             .Task("a").Task("on-fail").Requires("a", DepOn::kFailure)
             .Task("always").Requires("a", DepOn::kAny));
  Exit("a#0", 0);
  EXPECT_EQ(sink_.reasons["task.skipped on-fail#0"],
            "default/a succeeded (runs only on its failure)");
  EXPECT_THAT(launcher_.LiveKeys(), ElementsAre("always#0"));
}

TEST_F(EngineTest, FailureHandlerRunsEvenWhenTheJobStops) {
  Submit(JobBuilder().Pool("default", 1)
             .Task("a").Task("cleanup").Requires("a", DepOn::kFailure).Task("other"));
  Exit("a#0", 2);
  EXPECT_THAT(launcher_.LiveKeys(), ElementsAre("cleanup#0"));
  EXPECT_EQ(sink_.reasons["task.skipped other#0"],
            "not started: default/a failed (on_failure: stop)");
}

TEST_F(EngineTest, RetriesWithDoublingBackoff) {
  Submit(JobBuilder().Task("flaky").Retries(2, 1s));
  Exit("flaky#0", 1);
  EXPECT_EQ(sink_.summaries.back(), "task.retrying flaky#0");
  EXPECT_EQ(engine_.NextDeadline(), clock_.Now() + 1s);
  clock_.Advance(999ms);
  engine_.FireTimers();
  EXPECT_EQ(launcher_.launched.size(), 1u);
  clock_.Advance(1ms);
  engine_.FireTimers();
  ASSERT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(launcher_.launched[1].attempt, 2);
  Exit("flaky#0", 1);
  clock_.Advance(1999ms);
  engine_.FireTimers();
  EXPECT_EQ(launcher_.launched.size(), 2u);  // the second wait is 2s
  clock_.Advance(1ms);
  engine_.FireTimers();
  Exit("flaky#0", 0);
  EXPECT_EQ(sink_.summaries.back(), "job.succeeded");
}

TEST_F(EngineTest, GivesUpAfterTheLastRetry) {
  Submit(JobBuilder().Task("bad").Retries(1, 10ms));
  Exit("bad#0", 1);
  clock_.Advance(10ms);
  engine_.FireTimers();
  Exit("bad#0", 1);
  EXPECT_THAT(sink_.summaries, ::testing::Contains("task.failed bad#0"));
  EXPECT_EQ(sink_.summaries.back(), "job.failed");
}

TEST_F(EngineTest, TimeoutSendsTermThenKillToTheProcessGroup) {
  Submit(JobBuilder().Task("slow").Timeout(30s));
  const RunId run = launcher_.RunOf("slow#0");
  clock_.Advance(30s);
  engine_.FireTimers();
  EXPECT_THAT(launcher_.signals, ElementsAre(std::make_pair(run, SIGTERM)));
  clock_.Advance(5s);
  engine_.FireTimers();
  EXPECT_THAT(launcher_.signals,
              ElementsAre(std::make_pair(run, SIGTERM), std::make_pair(run, SIGKILL)));
  RunExit e = launcher_.Exit("slow#0", 137);
  e.term_signal = SIGKILL;
  engine_.OnRunExit(e);
  EXPECT_THAT(sink_.summaries, ::testing::Contains("task.timed_out slow#0"));
  EXPECT_EQ(sink_.reasons["task.failed slow#0"], "timed out after 30s");
}

TEST_F(EngineTest, ARunThatEndsBeforeItsTimeoutIsNotSignalled) {
  Submit(JobBuilder().Task("quick").Timeout(30s));
  Exit("quick#0");
  clock_.Advance(60s);
  engine_.FireTimers();
  EXPECT_TRUE(launcher_.signals.empty());
}

TEST_F(EngineTest, SignalsPostedByTasksAndFromOutside) {
  Submit(JobBuilder().Task("hub").Posts("hub/ready")
             .Task("addon").RequiresSignal("hub/ready").RequiresSignal("ext/go"));
  Exit("hub#0");
  EXPECT_THAT(sink_.summaries, ::testing::Contains("signal.posted hub/ready"));
  EXPECT_TRUE(launcher_.LiveKeys().empty());  // still waits for ext/go
  engine_.PostSignal("ext/go");
  EXPECT_THAT(launcher_.LiveKeys(), ElementsAre("addon#0"));
}

TEST(EngineSignalsTest, WaitersAreSkippedWhenTheOnlyPosterFails) {
  FakeClock clock;
  FakeLauncher launcher;
  RecordingSink sink;
  EngineOptions options;
  options.signals_only_from_tasks = true;  // as in `rota run`
  Engine engine(clock, launcher, sink, options);
  engine.Submit(JobBuilder().OnFailure(FailurePolicy::kContinue)
                    .Task("p").Frames("1-2").Posts("p/ok")
                    .Task("w").RequiresSignal("p/ok").Build(),
                SubmitOptions{});
  engine.OnRunExit(launcher.Exit("p#0", 0));
  engine.OnRunExit(launcher.Exit("p#1", 1));
  EXPECT_EQ(sink.reasons["task.skipped w#0"], "signal p/ok will not be posted: default/p failed");
  EXPECT_TRUE(engine.AllFinished());
}

TEST_F(EngineTest, AServerKeepsWaitingForASignalThatMayComeFromOutside) {
  Submit(JobBuilder().OnFailure(FailurePolicy::kContinue)
             .Task("p", "false").Posts("p/ok").Task("w").RequiresSignal("p/ok"));
  Exit("p#0", 1);
  EXPECT_FALSE(engine_.AllFinished());
  engine_.PostSignal("p/ok");
  EXPECT_THAT(launcher_.LiveKeys(), ElementsAre("w#0"));
}

TEST_F(EngineTest, AFailureHandlerThatWasNotNeededDoesNotFailTheJob) {
  Submit(JobBuilder().Task("a").Task("on-fail").Requires("a", DepOn::kFailure)
             .Task("after-handler").Requires("on-fail"));
  Exit("a#0", 0);
  EXPECT_EQ(sink_.reasons["task.skipped after-handler#0"], "default/on-fail was skipped");
  EXPECT_TRUE(engine_.AllFinished());
  EXPECT_EQ(sink_.summaries.back(), "job.succeeded");
}

TEST_F(EngineTest, ASignalPostedBeforeSubmitCounts) {
  engine_.PostSignal("go");
  Submit(JobBuilder().Task("a").RequiresSignal("go"));
  EXPECT_THAT(launcher_.LiveKeys(), ElementsAre("a#0"));
}

TEST_F(EngineTest, CutsFramesIntoChunks) {
  Submit(JobBuilder().Task("render", "render {frames}").Frames("1-10", 4));
  ASSERT_EQ(launcher_.launched.size(), 3u);
  EXPECT_EQ(launcher_.launched[0].frames, "1-4");
  EXPECT_EQ(launcher_.launched[1].frames, "5-8");
  EXPECT_EQ(launcher_.launched[2].frames, "9-10");
}

TEST_F(EngineTest, FrameByFrameWaitsOnlyForTheSameFrame) {
  Submit(JobBuilder().Pool("default", 8).OnFailure(FailurePolicy::kContinue)
             .Task("sim").Frames("1-4")
             .Task("render").Frames("1-4").Requires("sim", DepOn::kSuccess, /*each=*/true));
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("sim#0", "sim#1", "sim#2", "sim#3"));
  Exit("sim#2");
  EXPECT_THAT(launcher_.LiveKeys(), UnorderedElementsAre("sim#0", "sim#1", "sim#3", "render#2"));
  Exit("sim#1", 1);
  EXPECT_EQ(sink_.reasons["task.skipped render#1"], "default/sim#1 failed");
}

TEST_F(EngineTest, FrameByFrameWithChunksWaitsForEveryOverlappingChunk) {
  Submit(JobBuilder().Pool("default", 8)
             .Task("sim").Frames("1-4")
             .Task("render").Frames("1-4", 2).Requires("sim", DepOn::kSuccess, true));
  Exit("sim#0");
  EXPECT_EQ(launcher_.RunOf("render#0"), 0u);  // frame 2 is still being simulated
  Exit("sim#1");
  EXPECT_NE(launcher_.RunOf("render#0"), 0u);
}

TEST_F(EngineTest, CancelKillsRunningAndCancelsTheRest) {
  Submit(JobBuilder().Pool("default", 1).Task("a").Task("b").Requires("a"));
  const RunId a = launcher_.RunOf("a#0");
  engine_.CancelAll("interrupted");
  EXPECT_THAT(launcher_.signals, ElementsAre(std::make_pair(a, SIGTERM)));
  EXPECT_THAT(sink_.summaries, ::testing::Contains("task.cancelled b#0"));
  EXPECT_FALSE(engine_.AllFinished());
  clock_.Advance(5s);
  engine_.FireTimers();
  EXPECT_THAT(launcher_.signals, ::testing::Contains(std::make_pair(a, SIGKILL)));
  Exit("a#0", 143);
  EXPECT_TRUE(engine_.AllFinished());
  EXPECT_EQ(sink_.summaries.back(), "job.cancelled");
  EXPECT_EQ(Started().size(), 1u);
}

TEST_F(EngineTest, IgnoresAnExitReportedTwice) {
  Submit(JobBuilder().Task("a").Task("b").Requires("a"));
  RunExit e = launcher_.Exit("a#0", 0);
  engine_.OnRunExit(e);
  engine_.OnRunExit(e);
  EXPECT_EQ(std::count(sink_.summaries.begin(), sink_.summaries.end(), "task.succeeded a#0"), 1);
}

TEST_F(EngineTest, EmptyCommandSucceedsLikeAPhonyTarget) {
  Submit(JobBuilder().Task("all", "").Task("after").Requires("all"));
  EXPECT_THAT(Started(), ElementsAre("after#0"));
}

}  // namespace
}  // namespace rota
