// The engine in server mode: placement on hosts through src/sched, per-job pool caps, priority,
// lost hosts, fencing tokens, and the rebuild after a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "engine/engine.h"
#include "support/fake_launcher.h"
#include "support/host_launcher.h"
#include "support/job_builder.h"

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using namespace std::chrono_literals;

class EnginePlacementTest : public ::testing::Test {
 protected:
  EnginePlacementTest() { Reset(); }
  void Reset(uint64_t epoch = 7) {
    EngineOptions o;
    o.placement = true;
    o.epoch = epoch;
    o.heartbeat_timeout = 10s;
    o.host = "";
    engine_ = std::make_unique<Engine>(clock_, launcher_, sink_, o);
  }
  void Host(const std::string& name, double cores, std::vector<std::string> pools = {}) {
    HostInfo h;
    h.name = name;
    h.total = {cores, int64_t{1} << 30, 0};
    h.pools = std::move(pools);
    engine_->UpsertHost(h);
  }
  JobId Submit(const JobBuilder& b, int priority = 50) {
    JobSpec spec = b.Build();
    spec.priority = priority;
    const JobId id = engine_->Submit(std::move(spec), SubmitOptions{});
    engine_->RunCycle();
    return id;
  }
  void Exit(const std::string& key, int code = 0) {
    RunExit e;
    e.run = launcher_.runs.at(key);
    e.exit_code = code;
    engine_->OnRunExit(e);
    engine_->RunCycle();
  }

  FakeClock clock_;
  HostLauncher launcher_;
  RecordingSink sink_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EnginePlacementTest, WaitsForAHostThenPlacesWithinItsCores) {
  Submit(JobBuilder("j").Task("t").Frames("1-3"));
  EXPECT_TRUE(launcher_.launched.empty());
  EXPECT_EQ(engine_->WhyPending(0, 0), "no live host serves pool default");
  Host("n1", 2);
  engine_->RunCycle();
  EXPECT_THAT(launcher_.launched, ElementsAre("j:t#0@n1", "j:t#1@n1"));
  EXPECT_EQ(engine_->WhyPending(0, 2),
            "no live host in pool default has 1 core free right now (most free: 0 on n1)");
  Exit("j:t#0");
  EXPECT_THAT(launcher_.launched, ElementsAre("j:t#0@n1", "j:t#1@n1", "j:t#2@n1"));
}

TEST_F(EnginePlacementTest, AJobsMaxWorkersCapsOnlyThatJob) {
  Host("n1", 8);
  Submit(JobBuilder("a").Pool("p", 1).Task("t").InPool("p").Frames("1-3"));
  Submit(JobBuilder("b").Pool("p", 1).Task("t").InPool("p").Frames("1-3"));
  EXPECT_THAT(launcher_.launched, ElementsAre("a:t#0@n1", "b:t#0@n1"));
  EXPECT_EQ(engine_->WhyPending(0, 1), "pool p is full: 1 of max_workers 1 running for this job");
}

TEST_F(EnginePlacementTest, HigherPriorityGoesFirstWhenCoresAreShort) {
  Host("n1", 1);
  Submit(JobBuilder("hold").Task("t"));
  Submit(JobBuilder("low").Task("t"), 10);
  Submit(JobBuilder("high").Task("t"), 900);
  Exit("hold:t#0");
  EXPECT_THAT(launcher_.launched, ElementsAre("hold:t#0@n1", "high:t#0@n1"));
}

TEST_F(EnginePlacementTest, HostsServeOnlyTheirPools) {
  Host("cpu1", 4, {"cpu"});
  Host("gpu1", 4, {"gpu"});
  Submit(JobBuilder("j").Task("a").InPool("gpu").Task("b").InPool("cpu"));
  EXPECT_THAT(launcher_.launched, UnorderedElementsAre("j:a#0@gpu1", "j:b#0@cpu1"));
}

TEST_F(EnginePlacementTest, ALostHostsRunsAreRetriedElsewhere) {
  Host("n1", 1);
  Submit(JobBuilder("j").Task("t").Retries(1, 1s));
  const RunId first = launcher_.runs.at("j:t#0");
  Host("n2", 1);
  engine_->LoseHost("n1", "host n1 missed its heartbeats for 10s");
  EXPECT_THAT(sink_.reasons["task.retrying t#0"], "lost: host n1 missed its heartbeats for 10s");
  clock_.Advance(1s);
  engine_->FireTimers();
  engine_->RunCycle();
  EXPECT_THAT(launcher_.launched, ElementsAre("j:t#0@n1", "j:t#0@n2"));
  EXPECT_NE(launcher_.runs.at("j:t#0"), first);
  // The old run's token is stale now; the new one is good on n2 only, with this epoch only.
  EXPECT_EQ(engine_->CheckToken(first, 7, "n1"), "run " + std::to_string(first) + " has ended");
  const RunId second = launcher_.runs.at("j:t#0");
  EXPECT_EQ(engine_->CheckToken(second, 7, "n2"), "");
  EXPECT_THAT(engine_->CheckToken(second, 6, "n2"), HasSubstr("belongs to epoch 7, not 6"));
  EXPECT_THAT(engine_->CheckToken(second, 7, "n1"), HasSubstr("was not given to n1"));
  Exit("j:t#0");
  EXPECT_TRUE(engine_->AllFinished());
}

TEST_F(EnginePlacementTest, AHostThatStopsHeartbeatingIsLost) {
  Host("n1", 1);
  Submit(JobBuilder("j").Task("t"));
  clock_.Advance(9s);
  engine_->FireTimers();
  EXPECT_TRUE(engine_->HostAlive("n1"));
  ASSERT_TRUE(engine_->NextDeadline().has_value());
  EXPECT_EQ(*engine_->NextDeadline(), clock_.Now() + 1s);
  clock_.Advance(1s);
  engine_->FireTimers();
  EXPECT_FALSE(engine_->HostAlive("n1"));
  EXPECT_THAT(sink_.summaries, ::testing::Contains("task.failed t#0"));
  EXPECT_THAT(sink_.reasons["task.failed t#0"], HasSubstr("lost: host n1 missed its heartbeats"));
}

TEST_F(EnginePlacementTest, AReplayOfTheChangesRebuildsStateAndEventsAndRelaunchesRunningRuns) {
  std::vector<Change> log;
  engine_->set_change_tap([&log](const Change& c) { log.push_back(c); });
  engine_->Apply(Change{engine_->NowMicros(), change::EpochStarted{7, 0}});
  Host("n1", 4);
  Submit(JobBuilder("j").Task("a").Frames("1-3").Task("b").Requires("a"));
  const RunId a2 = launcher_.runs.at("j:a#2");
  Exit("j:a#0");
  Exit("j:a#1", 3);   // no retries: failed, so under on_failure: stop b is skipped
  const std::vector<std::string> first = sink_.summaries;
  const uint64_t first_seq = sink_.last_seq;


  // A new engine (a restarted server) replays the log: the same events, nothing launched until
  // the replay ends, then the run still active goes to its host again with its own epoch.
  sink_.summaries.clear();
  launcher_.launched.clear();
  Reset(1);   // the epoch comes from the log
  engine_->BeginReplay();
  for (const Change& c : log) engine_->Apply(c);
  engine_->Apply(Change{engine_->NowMicros(), change::EpochStarted{8, 0}});   // this start's
  EXPECT_EQ(sink_.summaries, first);
  EXPECT_EQ(sink_.last_seq, first_seq);
  EXPECT_TRUE(launcher_.launched.empty());
  engine_->EndReplay(clock_.Now());
  EXPECT_THAT(launcher_.launched, ElementsAre("j:a#2@n1"));
  EXPECT_EQ(launcher_.epochs[a2], 7u) << "a run keeps the epoch it was placed with";
  EXPECT_EQ(engine_->CheckToken(a2, 7, "n1"), "");
  EXPECT_EQ(engine_->job(0).instances[0].status, InstanceStatus::kSucceeded);
  EXPECT_EQ(engine_->job(0).instances[1].status, InstanceStatus::kFailed);
  sink_.summaries.clear();
  Exit("j:a#2");
  EXPECT_EQ(engine_->job(0).instances[3].status, InstanceStatus::kSkipped);
  EXPECT_THAT(sink_.summaries, ElementsAre("task.succeeded a#2", "job.failed"));
}

TEST_F(EnginePlacementTest, AFinishedJobIsRetiredOnceItsRetentionHasPassed) {
  std::vector<std::string> retired;
  engine_->set_retire_observer([&](const JobState& job) { retired.push_back(job.spec.name); });
  Host("n1", 2);
  // b waits for a signal that never comes; the job fails when a does, and b is skipped.
  Submit(JobBuilder("j").OnFailure(FailurePolicy::kContinue).Task("a").Task("b").RequiresSignal("never"));
  Submit(JobBuilder("k").Task("c"));
  Exit("j:a#0", 1);
  engine_->Cancel(0, "job cancelled");
  ASSERT_TRUE(engine_->job(0).finished);
  clock_.Advance(std::chrono::hours(24 * 7) - 1s);
  engine_->FireTimers();
  EXPECT_NE(engine_->find_job(0), nullptr) << "a week less a second: still in memory";
  clock_.Advance(1s);
  engine_->FireTimers();
  EXPECT_EQ(engine_->find_job(0), nullptr);
  EXPECT_THAT(retired, ElementsAre("j"));
  ASSERT_NE(engine_->find_job(1), nullptr) << "an unfinished job stays, however old";
  engine_->PostSignal("never");   // its waiter went with it
  engine_->FireTimers();
  EXPECT_THAT(retired, ElementsAre("j"));
  EXPECT_EQ(engine_->job_count(), 2u) << "ids are never reused";
}

TEST_F(EnginePlacementTest, AReportWithAStaleTokenIsDroppedAndCounted) {
  Host("n1", 1);
  Submit(JobBuilder("j").Task("t"));
  const RunId run = launcher_.runs.at("j:t#0");
  change::RunEnded stale;
  stale.exit.run = run;
  stale.epoch = 6;
  stale.host = "n1";
  engine_->Apply(Change{engine_->NowMicros(), stale});
  EXPECT_EQ(engine_->dropped().at("run_ended"), 1u);
  EXPECT_TRUE(engine_->Run(run).active);
  stale.epoch = 7;
  stale.host = "n2";
  engine_->Apply(Change{engine_->NowMicros(), stale});
  EXPECT_EQ(engine_->dropped().at("run_ended"), 2u);
  stale.host = "n1";
  engine_->Apply(Change{engine_->NowMicros(), stale});
  EXPECT_FALSE(engine_->Run(run).active);
  EXPECT_EQ(engine_->dropped().at("run_ended"), 2u);
}

}  // namespace
}  // namespace rota
