// The engine's scheduling cycle (issue 4): queue policies and settings as the engine applies them,
// gangs, preemption that requeues without spending a retry, and the asynchronous cycle whose result
// is reconciled with what happened while it ran (cancelled instances and whole gangs dropped).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>

#include "engine/engine.h"
#include "support/fake_launcher.h"
#include "support/host_launcher.h"
#include "support/job_builder.h"

namespace rota {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

// An algorithm the test holds: it announces that it runs, then waits until opened (or cancelled)
// before it runs the real sched::Schedule.
class Gate {
 public:
  sched::Decisions Run(const sched::Snapshot& snap, const std::atomic<bool>& cancelled) {
    std::unique_lock lock(mu_);
    offered_ = 0;
    for (const sched::PendingGroup& group : snap.pending) offered_ += group.instances.size();
    entered_ = true;
    cv_.notify_all();
    while (!open_ && !cancelled) cv_.wait_for(lock, 1ms);
    lock.unlock();
    return sched::Schedule(snap, &cancelled);
  }
  void WaitEntered() {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [this] { return entered_; }));
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Woken() {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }
  // Pending instances the last snapshot offered.
  size_t offered() {
    std::lock_guard lock(mu_);
    return offered_;
  }
  void WaitWoken() {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [this] { return woken_; }));
    woken_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
  bool woken_ = false;
  size_t offered_ = 0;
};

class EngineCycleTest : public ::testing::Test {
 protected:
  EngineCycleTest() {
    Build(gate_);
    gate_.Open();   // tests of the async cycle make their own gate closed (Hold)
  }
  // A fresh engine whose algorithm goes through `gate`.
  void Build(Gate& gate) {
    EngineOptions o;
    o.placement = true;
    o.host = "";
    o.kill_grace = 5s;
    o.algorithm = [&gate](const sched::Snapshot& snap, const std::atomic<bool>& cancelled) {
      return gate.Run(snap, cancelled);
    };
    engine_ = std::make_unique<Engine>(clock_, launcher_, sink_, o);
    engine_->set_cycle_wake([&gate] { gate.Woken(); });
  }
  ~EngineCycleTest() override { engine_->StopCycles(); }

  void Configure(std::map<std::string, std::string> settings) {
    sched::SchedConfig config = engine_->sched_config();
    ASSERT_EQ(sched::ApplySettings(config, settings), "");
    engine_->SetSchedConfig(config);
  }
  void Host(const std::string& name, double cores) {
    HostInfo h;
    h.name = name;
    h.total = {cores, int64_t{64} << 30, 0};
    engine_->UpsertHost(h);
  }
  JobId Submit(const JobBuilder& b) {
    const JobId id = engine_->Submit(b.Build(), SubmitOptions{});
    engine_->RunCycle();
    return id;
  }
  void Exit(const std::string& key, int code = 0, int signo = 0) {
    RunExit e;
    e.run = launcher_.runs.at(key);
    e.exit_code = code;
    e.term_signal = signo;
    engine_->OnRunExit(e);
    engine_->RunCycle();
  }
  // How many launches so far were of job `name`.
  int Launched(const std::string& name) const {
    int n = 0;
    for (const std::string& l : launcher_.launched) n += l.starts_with(name + ":") ? 1 : 0;
    return n;
  }
  // A fresh engine whose algorithm waits for Gate::Open.
  void Hold(std::map<std::string, std::string> settings = {{"mode", "async"}}) {
    engine_->StopCycles();
    held_ = std::make_unique<Gate>();
    Build(*held_);
    Configure(std::move(settings));
  }

  FakeClock clock_;
  HostLauncher launcher_;
  RecordingSink sink_;
  Gate gate_;
  std::unique_ptr<Gate> held_;
  std::unique_ptr<Engine> engine_;
};

// A cycle after one run ended costs what can be placed, not what is pending: the snapshot offers
// no more single instances than could fit into the farm's free room (its whole room when
// preemption is on, since a preemption can make room).
TEST_F(EngineCycleTest, ASnapshotOffersNoMoreInstancesThanCouldFit) {
  Host("n1", 3);
  Host("n2", 1);
  Submit(JobBuilder("big").Task("t").Frames("1-1000"));
  EXPECT_EQ(gate_.offered(), 4u);
  EXPECT_EQ(Launched("big"), 4);
  Exit("big:t#0");
  EXPECT_EQ(gate_.offered(), 1u);
  EXPECT_EQ(Launched("big"), 5);
  Configure({{"preemption", "priority"}});
  Exit("big:t#1");
  EXPECT_EQ(gate_.offered(), 4u) << "preemption on: up to the farm's whole room";
  EXPECT_EQ(Launched("big"), 6);
}

TEST_F(EngineCycleTest, FifoTakesJobsInSubmissionOrderWhateverTheirPriority) {
  Configure({{"policy", "fifo"}});
  Host("n1", 1);
  Submit(JobBuilder("hold").Task("t"));
  Submit(JobBuilder("low").Priority(10).Task("t"));
  Submit(JobBuilder("high").Priority(900).Task("t"));
  Exit("hold:t#0");
  EXPECT_THAT(launcher_.launched, ElementsAre("hold:t#0@n1", "low:t#0@n1"));
}

TEST_F(EngineCycleTest, PriorityPolicyIsTheDefault) {
  Host("n1", 1);
  Submit(JobBuilder("hold").Task("t"));
  Submit(JobBuilder("low").Priority(10).Task("t"));
  Submit(JobBuilder("high").Priority(900).Task("t"));
  Exit("hold:t#0");
  EXPECT_THAT(launcher_.launched, ElementsAre("hold:t#0@n1", "high:t#0@n1"));
}

TEST_F(EngineCycleTest, FairShareSplitsTheCoresByQueueWeight) {
  Configure({{"policy", "fairshare"}, {"queues.film.weight", "3"}, {"queues.ads.weight", "1"}});
  Submit(JobBuilder("f").Queue("film").Task("t").Frames("1-20"));
  Submit(JobBuilder("a").Queue("ads").Task("t").Frames("1-20"));
  Host("n1", 8);
  engine_->RunCycle();
  EXPECT_EQ(Launched("f"), 6);
  EXPECT_EQ(Launched("a"), 2);
}

TEST_F(EngineCycleTest, SwitchingFifoToFairShareGivesFreedCoresToTheQueueThatHadNone) {
  Configure({{"policy", "fifo"}});
  Host("n1", 4);
  Submit(JobBuilder("a").Queue("qa").Task("t").Frames("1-10"));
  Submit(JobBuilder("b").Queue("qb").Task("t").Frames("1-10"));
  EXPECT_EQ(Launched("a"), 4);
  Exit("a:t#0");
  EXPECT_EQ(Launched("a"), 5);   // fifo: a is older
  EXPECT_EQ(Launched("b"), 0);
  Configure({{"policy", "fairshare"}});
  Exit("a:t#1");
  Exit("a:t#2");
  EXPECT_EQ(Launched("b"), 2);   // b held nothing: both freed cores go to it
  Exit("a:t#3");
  EXPECT_EQ(Launched("a"), 6);   // 2 and 2 now: a, first by name, gets the next
}

TEST_F(EngineCycleTest, ABurstLimitCapsWhatAQueueHoldsInAPool) {
  Configure({{"queues.qa.limits.default.burst", "2"}});
  Host("n1", 8);
  Submit(JobBuilder("a").Queue("qa").Task("t").Frames("1-5"));
  Submit(JobBuilder("b").Queue("qb").Task("t").Frames("1-5"));
  EXPECT_EQ(Launched("a"), 2);
  EXPECT_EQ(Launched("b"), 5);
  EXPECT_EQ(engine_->WhyPending(0, 2), "queue qa is at its burst limit in pool default (2 of 2 cores)");
  Exit("a:t#0");
  EXPECT_EQ(Launched("a"), 3);
}

TEST_F(EngineCycleTest, AnExcludedQueueWaitsAndSaysWhy) {
  Configure({{"exclude.queues", "qa"}});
  Host("n1", 8);
  Submit(JobBuilder("a").Queue("qa").Task("t"));
  Submit(JobBuilder("b").Queue("qb").Task("t"));
  EXPECT_THAT(launcher_.launched, ElementsAre("b:t#0@n1"));
  EXPECT_EQ(engine_->WhyPending(0, 0), "queue qa is excluded from scheduling");
  Configure({{"exclude.queues", ""}});
  engine_->RunCycle();
  EXPECT_EQ(Launched("a"), 1);
}

TEST_F(EngineCycleTest, AGangStartsWholeOrNotAtAll) {
  Host("n1", 2);
  Submit(JobBuilder("g").Task("t").Frames("1-3").Gang());
  EXPECT_THAT(launcher_.launched, IsEmpty());
  Host("n2", 2);
  engine_->RunCycle();
  EXPECT_EQ(Launched("g"), 3);
}

TEST_F(EngineCycleTest, PreemptionByPriorityRequeuesTheVictimWithoutSpendingARetry) {
  Configure({{"preemption", "priority"}});
  Host("n1", 2);
  Submit(JobBuilder("low").Priority(10).Task("t").Frames("1-2"));
  ASSERT_EQ(Launched("low"), 2);
  Submit(JobBuilder("high").Priority(900).Task("t"));
  // The newest low run is the victim; the high one waits for it to exit.
  ASSERT_THAT(launcher_.signals, ElementsAre(std::make_pair(launcher_.runs.at("low:t#1"), SIGTERM)));
  EXPECT_EQ(Launched("high"), 0);
  Exit("low:t#1", 0, SIGTERM);
  EXPECT_THAT(sink_.summaries, Contains("task.preempted t#1"));
  EXPECT_EQ(Launched("high"), 1);
  EXPECT_EQ(engine_->job(0).instances[1].status, InstanceStatus::kReady);
  Exit("high:t#0");
  EXPECT_EQ(Launched("low"), 3);   // t#1 again, attempt 2, although the task has no retries
  Exit("low:t#0");
  Exit("low:t#1");
  EXPECT_TRUE(engine_->job(0).Succeeded());
  EXPECT_EQ(engine_->cycle_stats().preemptions, 1u);
}

TEST_F(EngineCycleTest, ARunThatEndsBeforeItsPreemptionLandsKeepsItsOutcome) {
  Configure({{"preemption", "priority"}});
  Host("n1", 1);
  Submit(JobBuilder("low").Priority(10).Task("t"));
  Submit(JobBuilder("high").Priority(900).Task("t"));
  ASSERT_EQ(launcher_.signals.size(), 1u);
  Exit("low:t#0", 0);   // it succeeded just before the SIGTERM arrived
  EXPECT_THAT(sink_.summaries, Contains("task.succeeded t#0"));
  EXPECT_THAT(sink_.summaries, Not(Contains("task.preempted t#0")));
  EXPECT_TRUE(engine_->job(0).Succeeded());
}

TEST_F(EngineCycleTest, ConfigChangesAreEvents) {
  engine_->AnnounceConfig("policy", "fairshare");
  engine_->AnnounceConfig("exclude.pools", "");
  ASSERT_EQ(sink_.lines.size(), 2u);
  EXPECT_THAT(sink_.lines[0], HasSubstr("\"type\":\"config.changed\",\"key\":\"policy\",\"value\":\"fairshare\""));
  EXPECT_THAT(sink_.lines[1], HasSubstr("\"key\":\"exclude.pools\",\"value\":\"\""));
}

TEST_F(EngineCycleTest, AnAsyncResultIsAppliedOnTheCycleAfterTheWake) {
  Hold();
  Host("n1", 2);
  Submit(JobBuilder("j").Task("t").Frames("1-2"));
  held_->WaitEntered();
  EXPECT_EQ(engine_->cycle_stats().runner_state, RunnerState::kRunning);
  engine_->RunCycle();   // nothing to apply yet
  EXPECT_THAT(launcher_.launched, IsEmpty());
  held_->Open();
  held_->WaitWoken();
  engine_->RunCycle();
  EXPECT_EQ(Launched("j"), 2);
  EXPECT_EQ(engine_->cycle_stats().decisions_applied, 2u);
}

TEST_F(EngineCycleTest, AnInstanceCancelledWhileTheCycleRanIsDropped) {
  Hold();
  Host("n1", 4);
  engine_->Submit(JobBuilder("keep").Task("t").Build(), SubmitOptions{});
  engine_->Submit(JobBuilder("gone").Task("t").Frames("1-2").Build(), SubmitOptions{});
  engine_->RunCycle();   // one snapshot with both jobs
  held_->WaitEntered();
  engine_->Cancel(1, "cancelled by test");   // the loop is not held up by the running cycle
  EXPECT_THAT(sink_.summaries, Contains("job.cancelled"));
  held_->Open();
  held_->WaitWoken();
  engine_->RunCycle();
  EXPECT_THAT(launcher_.launched, ElementsAre("keep:t#0@n1"));
  EXPECT_EQ(engine_->cycle_stats().decisions_dropped, 2u);
  EXPECT_EQ(engine_->cycle_stats().decisions_applied, 1u);
}

TEST_F(EngineCycleTest, AGangWithOneMemberWhoseHostWasLostIsDroppedWhole) {
  Hold();
  Host("n1", 2);
  Host("n2", 2);
  Submit(JobBuilder("g").Task("t").Frames("1-3").Gang());
  held_->WaitEntered();
  engine_->LoseHost("n2", "gone");
  held_->Open();
  held_->WaitWoken();
  engine_->RunCycle();
  EXPECT_THAT(launcher_.launched, IsEmpty());
  EXPECT_EQ(engine_->cycle_stats().decisions_dropped, 3u);
}

// Several servers: a lease gained or lost while an async cycle runs cancels it (it was decided
// over the leases held before) and a full cycle over what is held now follows.
TEST_F(EngineCycleTest, ALeaseChangeCancelsTheCycleUnderWayAndRunsAFullOne) {
  Hold();
  Host("n1", 4);
  engine_->SetOwnedLeases(std::map<std::string, uint64_t>{{"default", 1}});
  Submit(JobBuilder("j").Task("t").Frames("1-2"));
  held_->WaitEntered();
  engine_->SetOwnedLeases(std::map<std::string, uint64_t>{{"default", 1}, {"render", 1}});
  EXPECT_EQ(engine_->cycle_stats().runner_state, RunnerState::kIdle) << "the cycle under way was cancelled";
  held_->Open();
  // The full cycle over the leases held now (the cancelled one may have woken the loop too).
  for (int i = 0; i < 2000 && Launched("j") < 2; ++i) {
    engine_->RunCycle();
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(Launched("j"), 2);
}

TEST_F(EngineCycleTest, SwitchingToSyncAppliesWithinTheSameCall) {
  Hold({{"mode", "sync"}});
  held_->Open();
  Host("n1", 1);
  Submit(JobBuilder("j").Task("t"));
  EXPECT_THAT(launcher_.launched, ElementsAre("j:t#0@n1"));
}

}  // namespace
}  // namespace rota
