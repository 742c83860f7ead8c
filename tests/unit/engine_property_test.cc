// Thousands of random DAGs through the engine with random outcomes. After every event: no pool
// runs more than max_workers, and every running instance has its requirements met. At the end:
// every instance is final and the job's outcome matches its instances.
#include <gtest/gtest.h>

#include <random>

#include "engine/engine.h"
#include "support/fake_launcher.h"
#include "support/job_builder.h"

namespace rota {
namespace {

using namespace std::chrono_literals;

JobSpec RandomJob(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  JobBuilder b("random");
  const int pools = pick(1, 3);
  for (int p = 0; p < pools; ++p) b.Pool("p" + std::to_string(p), pick(1, 3));
  b.OnFailure(pick(0, 1) ? FailurePolicy::kStop : FailurePolicy::kContinue);
  const int tasks = pick(1, 25);
  for (int t = 0; t < tasks; ++t) {
    b.Task("t" + std::to_string(t)).InPool("p" + std::to_string(pick(0, pools - 1)));
    const bool framed = pick(0, 3) == 0;
    if (framed) b.Frames("1-" + std::to_string(pick(1, 6)), pick(1, 3));
    if (pick(0, 4) == 0) b.Retries(pick(1, 2), 10ms);
    for (int d = 0; d < t; ++d) {
      if (pick(0, 5) != 0) continue;
      const int on = pick(0, 9);
      b.Requires("t" + std::to_string(d), on == 0 ? DepOn::kFailure : on == 1 ? DepOn::kAny
                                                                       : DepOn::kSuccess);
    }
  }
  return b.Build();
}

void CheckInvariants(const Engine& engine, const JobState& job) {
  for (const PoolView& p : engine.Pools()) {
    ASSERT_LE(static_cast<int>(p.count(InstanceStatus::kRunning)), p.max_workers) << p.name;
  }
  std::map<std::string, uint32_t> task_index;
  for (uint32_t t = 0; t < job.tasks.size(); ++t) task_index[job.tasks[t].spec->name] = t;
  for (const InstanceState& inst : job.instances) {
    if (inst.status != InstanceStatus::kRunning) continue;
    for (const Requirement& r : job.tasks[inst.task].spec->requirements) {
      const TaskState& dep = job.tasks[task_index[r.target]];
      // Success needs every instance to have succeeded; failure and any need the task complete.
      bool all_final = true, any_failed = false, all_ok = true;
      for (uint32_t k = 0; k < dep.instance_count; ++k) {
        const InstanceStatus s = job.instances[dep.first_instance + k].status;
        all_final &= IsFinal(s);
        any_failed |= s == InstanceStatus::kFailed;
        all_ok &= s == InstanceStatus::kSucceeded;
      }
      ASSERT_TRUE(all_final) << r.target << " unfinished while a dependent runs";
      if (r.on == DepOn::kSuccess) {
        ASSERT_TRUE(all_ok) << r.target;
      }
      if (r.on == DepOn::kFailure) {
        ASSERT_TRUE(any_failed) << r.target;
      }
    }
  }
}

TEST(EnginePropertyTest, RandomDagsKeepPoolLimitsAndDependencies) {
  std::mt19937 rng(20261124);
  for (int round = 0; round < 3000; ++round) {
    FakeClock clock;
    FakeLauncher launcher;
    RecordingSink sink;
    EngineOptions options;
    options.default_max_workers = 2;
    Engine engine(clock, launcher, sink, options);
    engine.Submit(RandomJob(rng), SubmitOptions{});
    const JobState& job = engine.job(0);
    int steps = 0;
    while (!engine.AllFinished()) {
      ASSERT_LT(++steps, 10000) << "round " << round << " does not finish";
      CheckInvariants(engine, job);
      if (HasFatalFailure()) return;
      if (launcher.live.empty()) {
        auto next = engine.NextDeadline();
        ASSERT_TRUE(next.has_value()) << "round " << round << ": stuck with nothing running";
        clock.Advance(std::chrono::duration_cast<Duration>(*next - clock.Now()));
        engine.FireTimers();
        continue;
      }
      auto it = launcher.live.begin();
      std::advance(it, std::uniform_int_distribution<size_t>(0, launcher.live.size() - 1)(rng));
      const int code = std::uniform_int_distribution<int>(0, 9)(rng) == 0 ? 1 : 0;
      engine.OnRunExit(launcher.Exit(it->second, code));
    }
    for (const InstanceState& inst : job.instances) ASSERT_TRUE(IsFinal(inst.status));
    // All succeeded: the job did. One failed: the job did. (Skips of failure handlers that were
    // not needed go either way, depending on what else happened.)
    if (job.succeeded == static_cast<int>(job.instances.size())) {
      ASSERT_EQ(sink.summaries.back(), "job.succeeded") << round;
    }
    if (job.failed > 0) {
      ASSERT_EQ(sink.summaries.back(), "job.failed") << round;
    }
    ASSERT_EQ(sink.summaries.back(), job.Succeeded() ? "job.succeeded" : "job.failed") << round;
    ASSERT_FALSE(sink.out_of_order);
  }
}

}  // namespace
}  // namespace rota
