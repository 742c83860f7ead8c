// In-process DAG overhead of the engine: 10,000 tasks through Submit, dispatch, exit handling and
// event publication, with a launcher that runs nothing. Prints microseconds per task
// (DESIGN section 9: target <= 1 us).
#include <benchmark/benchmark.h>

#include <chrono>

#include "engine/engine.h"

namespace rota {
namespace {

class NoopLauncher final : public Launcher {
 public:
  Launched Launch(const LaunchRequest& r) override {
    started.push_back(r.run);
    return {};
  }
  void Signal(RunId, int) override {}
  std::vector<RunId> started;
};

class NullSink final : public EventSink {
 public:
  void Publish(const Event& e) override { benchmark::DoNotOptimize(e.seq); }
};

JobSpec MakeJob(int n, bool chain) {
  JobSpec job;
  job.name = chain ? "chain" : "independent";
  job.tasks.reserve(n);
  for (int i = 0; i < n; ++i) {
    TaskSpec t;
    t.name = "t" + std::to_string(i);
    t.argv = {"true"};
    if (chain && i > 0) {
      Requirement r;
      r.target = "t" + std::to_string(i - 1);
      t.requirements.push_back(r);
    }
    job.tasks.push_back(std::move(t));
  }
  return job;
}

void RunJob(benchmark::State& state, bool chain) {
  const int n = static_cast<int>(state.range(0));
  const JobSpec spec = MakeJob(n, chain);
  double engine_seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    JobSpec copy = spec;
    FakeClock clock;
    NoopLauncher launcher;
    launcher.started.reserve(n);
    NullSink sink;
    EngineOptions options;
    options.default_max_workers = 2;
    state.ResumeTiming();

    const auto begin = std::chrono::steady_clock::now();
    Engine engine(clock, launcher, sink, options);
    engine.Submit(std::move(copy), SubmitOptions{});
    std::vector<RunId> batch;
    while (!launcher.started.empty()) {
      batch.swap(launcher.started);
      for (RunId run : batch) {
        RunExit exit;
        exit.run = run;
        engine.OnRunExit(exit);
      }
      batch.clear();
    }
    engine_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    if (!engine.AllFinished()) state.SkipWithError("job did not finish");
  }
  // Microseconds of engine work per task: Submit, dispatch, exit handling, events (target <= 1).
  state.counters["us_per_task"] =
      benchmark::Counter(engine_seconds * 1e6 / (static_cast<double>(state.iterations()) * n));
}

void BM_IndependentTasks(benchmark::State& state) { RunJob(state, false); }
void BM_ChainOfTasks(benchmark::State& state) { RunJob(state, true); }

BENCHMARK(BM_IndependentTasks)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ChainOfTasks)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rota

BENCHMARK_MAIN();
