// One scheduling cycle, the algorithm alone: rota::sched::Schedule() on generated snapshots of
// 100,000 and 1,000,000 pending instances over 10,000 hosts, under each policy. The engine's side
// (building the snapshot, applying the decisions) is measured elsewhere.
//
// Counters: placements per cycle, placements/s, ms per cycle, and the bytes a pending instance
// costs in the snapshot (the PendingGroup vectors over the number of instances; target <= 1 KiB).
// After the table, one line compares the 100k case with its target (<= 100 ms per cycle, the
// slowest policy counts).
//
// The farm: hosts of 16 cores and 64 GiB, a quarter with one gpu, some partly busy, each serving
// one or two of 4 pools, with some tags. Pending work: groups of 100 alike instances in 4 queues
// (weights 1 to 4), needing 1, 2 or 4 cores and 2 to 8 GiB, a few with tags or a gpu, priorities
// 0 to 100. The generator is seeded, so every run schedules the same snapshots.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sched/schedule.h"

namespace rota::sched {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;
constexpr size_t kHosts = 10'000;
constexpr size_t kGroupSize = 100;
constexpr uint32_t kPools = 4;
constexpr uint32_t kQueues = 4;

// A tag set per index: [0] is "no tags", the others are what a few groups ask for.
const std::vector<std::vector<std::string>> kTagSets = {{}, {"linux", "nvme"}, {"avx512"}};

Snapshot MakeSnapshot(Policy policy, size_t groups) {
  std::mt19937_64 rng(20240611);
  auto below = [&rng](uint64_t n) {
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng);
  };

  Snapshot s;
  s.policy = policy;
  s.preemption = Preemption::kOff;
  s.tag_sets = kTagSets;
  for (uint32_t p = 0; p < kPools; ++p) {
    s.pools.push_back(PoolView{"pool" + std::to_string(p),
                               p == 3 ? HostChoice::kSpread : HostChoice::kPack, false});
  }
  for (uint32_t q = 0; q < kQueues; ++q) {
    s.queues.push_back(
        QueueView{"queue" + std::to_string(q), static_cast<double>(q + 1), {}, false});
  }

  // What each queue already holds in each pool, from the hosts' busy cores.
  std::map<std::pair<uint32_t, uint32_t>, Amount> held;
  s.hosts.reserve(kHosts);
  for (size_t h = 0; h < kHosts; ++h) {
    HostView host;
    host.name = "node" + std::to_string(h);
    host.total = Amount{16, 64 * kGiB, h % 4 == 0 ? 1 : 0};
    host.tags.push_back("linux");
    if (below(2) == 0) host.tags.push_back("nvme");
    if (below(4) == 0) host.tags.push_back("avx512");
    std::sort(host.tags.begin(), host.tags.end());
    const uint32_t first = static_cast<uint32_t>(below(kPools));
    host.pools.push_back(s.pools[first].name);
    if (below(2) == 0) host.pools.push_back(s.pools[(first + 1) % kPools].name);
    std::sort(host.pools.begin(), host.pools.end());
    // A third of the hosts run something already: 2 to 8 cores and 4 GiB per core.
    host.free = host.total;
    if (below(3) == 0) {
      const double busy = static_cast<double>(2 + below(7));
      const Amount used{busy, static_cast<int64_t>(busy) * 4 * kGiB, 0};
      host.free.cores -= used.cores;
      host.free.memory -= used.memory;
      Amount& queue_held = held[{static_cast<uint32_t>(below(kQueues)), first}];
      queue_held.cores += used.cores;
      queue_held.memory += used.memory;
    }
    s.hosts.push_back(std::move(host));
  }
  for (const auto& [where, amount] : held)
    s.held.push_back(Held{where.first, where.second, amount});
  // One burst limit, so that the limit bookkeeping is on the measured path.
  s.limits.push_back(QueueLimit{3, 0, 0, 10'000});

  s.pending.reserve(groups);
  uint32_t next_instance = 0;
  for (size_t g = 0; g < groups; ++g) {
    PendingGroup group;
    group.key = g;
    group.queue = static_cast<uint32_t>(below(kQueues));
    group.pool = static_cast<uint32_t>(below(kPools));
    const uint64_t roll = below(100);
    group.tags = roll < 5 ? 1 : roll < 8 ? 2 : 0;
    group.priority = static_cast<int>(below(101));
    group.order = g;
    constexpr double kCores[] = {1, 2, 4};
    group.need =
        Amount{kCores[below(3)], static_cast<int64_t>(2 + below(7)) * kGiB, below(50) == 0 ? 1 : 0};
    group.instances.resize(kGroupSize);
    for (uint32_t& instance : group.instances) instance = next_instance++;
    s.pending.push_back(std::move(group));
  }
  return s;
}

// Bytes the pending part of the snapshot holds per instance.
double BytesPerPending(const Snapshot& s) {
  size_t bytes = s.pending.capacity() * sizeof(PendingGroup);
  size_t instances = 0;
  for (const PendingGroup& g : s.pending) {
    bytes += g.instances.capacity() * sizeof(uint32_t);
    instances += g.instances.size();
  }
  return instances == 0 ? 0 : static_cast<double>(bytes) / static_cast<double>(instances);
}

// Milliseconds per cycle of each 100k run, by policy in the order run, for the verdict after the
// table.
std::vector<std::pair<std::string, double>>& Verdicts() {
  static std::vector<std::pair<std::string, double>> ms;
  return ms;
}

void BM_Schedule(benchmark::State& state, Policy policy, size_t groups) {
  const Snapshot snapshot = MakeSnapshot(policy, groups);
  size_t placements = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto begin = std::chrono::steady_clock::now();
    Decisions decisions = Schedule(snapshot);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    placements = decisions.placements.size();
    benchmark::DoNotOptimize(decisions);
  }
  const double iterations = static_cast<double>(state.iterations());
  state.counters["placements"] = static_cast<double>(placements);
  state.counters["placements/s"] =
      benchmark::Counter(static_cast<double>(placements) * iterations, benchmark::Counter::kIsRate);
  state.counters["ms/cycle"] = seconds * 1e3 / iterations;
  state.counters["B/pending"] = BytesPerPending(snapshot);
  if (groups * kGroupSize == 100'000)
    Verdicts().emplace_back(ToString(policy), seconds * 1e3 / iterations);
}

void Register() {
  const std::pair<const char*, Policy> kPolicies[] = {
      {"fifo", Policy::kFifo}, {"priority", Policy::kPriority}, {"fairshare", Policy::kFairShare}};
  const std::pair<const char*, size_t> kSizes[] = {{"100k", 1'000}, {"1M", 10'000}};
  for (const auto& [size_name, groups] : kSizes) {
    for (const auto& [policy_name, policy] : kPolicies) {
      const std::string name =
          std::string("Schedule/") + size_name + "_pending_10k_hosts/" + policy_name;
      benchmark::RegisterBenchmark(name.c_str(), BM_Schedule, policy, groups)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->Iterations(groups == 1'000 ? 10 : 3);
    }
  }
}

}  // namespace
}  // namespace rota::sched

int main(int argc, char** argv) {
  rota::sched::Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  const auto& ms = rota::sched::Verdicts();
  if (ms.empty()) return 0;  // filtered out
  auto worst = std::max_element(ms.begin(), ms.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; });
  std::string detail;
  for (const auto& [policy, value] : ms) {
    char part[64];
    std::snprintf(part, sizeof part, "%s%s %.1f", detail.empty() ? "" : ", ", policy.c_str(),
                  value);
    detail += part;
  }
  std::printf(
      "sched_cycle: 100k pending / 10k hosts: %.1f ms per cycle (target <= 100 ms): %s "
      "[slowest policy %s; %s]\n",
      worst->second, worst->second <= 100 ? "ok" : "OVER", worst->first.c_str(), detail.c_str());
  return 0;
}
