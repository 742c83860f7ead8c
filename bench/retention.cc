// retention: what memory the engine keeps after many short jobs, with retention (finished jobs
// leave memory once `retention` has passed) against without (DESIGN section 8; target: RSS back
// near the baseline after 1,000,000 short jobs).
//
// Usage: retention [--jobs N] [--hosts N]
//
// In process, through Engine::Apply as the server drives it: `hosts` hosts of 16 cores, then
// `jobs` one-task jobs in waves of 10,000: submitted, placed, ended, and a second of (change)
// time later whatever DueChanges proposes (the retirements) applied. Twice in fresh engines:
// with retention 1s, and with the default 7d (nothing retired). Prints VmRSS before, after (with
// malloc_trim), the peak, and bytes per job kept.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "engine/engine.h"
#include "engine/null_ports.h"
#include "spec/spec_parser.h"

namespace rota {
namespace {

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
  }
  return 0;
}

long RssKb() {
  malloc_trim(0);
  return StatusKb("VmRSS:");
}

struct Outcome {
  long after_kb = 0;
  size_t in_memory = 0;
};

Outcome Run(size_t jobs, size_t hosts, const std::string& retention) {
  SystemClock clock;
  NullLauncher launcher;
  NullEventSink events;
  EngineOptions o;
  o.placement = true;
  o.host = "";
  Engine engine(clock, launcher, events, o);
  int64_t now = 1'800'000'000'000'000;
  auto apply = [&](decltype(Change::what) what) { engine.Apply(Change{now, std::move(what)}); };
  apply(change::EpochStarted{1, 0});
  apply(change::ConfigSet{{{"retention", retention}}});
  for (size_t h = 0; h < hosts; ++h) {
    HostInfo info;
    info.name = "h" + std::to_string(h);
    info.total = {16, int64_t{64} << 30, 0};
    apply(change::HostRegistered{std::move(info)});
  }
  const std::string text = "name: short\ntasks: [{name: t, command: 'true'}]\n";
  ParsedSpec parsed = ParseSpec(text, "bench");
  auto spec = std::make_shared<const JobSpec>(std::move(parsed.job));
  constexpr size_t kWave = 10000;
  for (size_t first = 0; first < jobs; first += kWave) {
    const size_t n = std::min(kWave, jobs - first);
    const JobId base = static_cast<JobId>(engine.job_count());
    for (size_t k = 0; k < n; ++k) {
      change::JobSubmitted what;
      what.spec = spec;
      what.spec_text = text;
      what.log_dir = "logs";
      apply(std::move(what));
    }
    for (size_t k = 0; k < n; k += 500) {
      change::Placements slice;
      for (size_t j = k; j < std::min(n, k + 500); ++j) {
        slice.placements.push_back({static_cast<JobId>(base + j), 0, 0, static_cast<uint32_t>(j % hosts)});
      }
      apply(std::move(slice));
      for (size_t j = k; j < std::min(n, k + 500); ++j) {
        const RunId run = engine.job(static_cast<JobId>(base + j)).instances[0].run;
        const RunView view = engine.Run(run);
        change::RunEnded ended;
        ended.exit.run = run;
        ended.epoch = view.epoch;
        ended.host = std::string(view.host);
        apply(std::move(ended));
      }
    }
    now += 2'000'000;
    for (;;) {   // the server proposes what is due after every loop batch, up to 1,000 jobs a change
      std::vector<Change> due = engine.DueChanges(now, std::chrono::steady_clock::now());
      if (due.empty()) break;
      for (const Change& c : due) engine.Apply(c);
    }
  }
  Outcome out;
  for (JobId id = 0; id < engine.job_count(); ++id) out.in_memory += engine.find_job(id) != nullptr;
  out.after_kb = RssKb();
  return out;
}

int Main(int argc, char** argv) {
  size_t jobs = 1000000, hosts = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--jobs")) jobs = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--hosts")) hosts = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const long baseline = RssKb();
  const auto start = std::chrono::steady_clock::now();
  const Outcome retired = Run(jobs, hosts, "1s");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long peak_retired = StatusKb("VmHWM:");
  const Outcome kept = Run(jobs, hosts, "7d");
  std::printf("retention: %zu one-task jobs on %zu hosts, applied in %.1f s with retirement\n", jobs, hosts, seconds);
  std::printf("baseline RSS %.1f MB\n", baseline / 1024.0);
  std::printf("retention 1s: %zu jobs left in memory, RSS %.1f MB (peak %.1f MB), %.0f bytes per job over baseline\n",
              retired.in_memory, retired.after_kb / 1024.0, peak_retired / 1024.0,
              (retired.after_kb - baseline) * 1024.0 / static_cast<double>(jobs));
  std::printf("retention 7d: %zu jobs left in memory, RSS %.1f MB, %.0f bytes per job over baseline\n",
              kept.in_memory, kept.after_kb / 1024.0, (kept.after_kb - baseline) * 1024.0 / static_cast<double>(jobs));
  const bool near = retired.after_kb - baseline < 64 * 1024;   // within 64 MB of the baseline
  std::printf("verdict: RSS after retirement %s near the baseline (within 64 MB)\n", near ? "is" : "is NOT");
  return 0;
}

}  // namespace
}  // namespace rota

int main(int argc, char** argv) { return rota::Main(argc, argv); }
