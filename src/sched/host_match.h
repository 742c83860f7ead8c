// Host matching: whether a host could ever run a pending group (alive, serves its pool, has its
// tags) and whether an amount of free resources covers a need. Shared by Schedule() and
// WhyNotPlaced() so that the two always agree. Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sched/schedule.h"

namespace rota::sched {

// Cores are fractional (0.5, 0.25) and sums of them drift; compares allow this much slack.
inline constexpr double kCoreEpsilon = 1e-9;

// Host pools empty: serves every pool.
bool ServesPool(const HostView& host, std::string_view pool);
// Every tag of `tags` (sorted) is among the host's tags (sorted).
bool HasTags(const HostView& host, const std::vector<std::string>& tags);

// Per resource: a need of zero (or less) always fits; cores compare with kCoreEpsilon.
bool CoversCores(double have, double need);
bool CoversMemory(int64_t have, int64_t need);
bool CoversGpus(int have, int need);
// All three at once.
bool Covers(const Amount& have, const Amount& need);

// Only the positive parts of `amount` are taken or given back: a need of -1 core frees nothing.
void TakeFrom(Amount& free, const Amount& amount);
void GiveBack(Amount& free, const Amount& amount);

}  // namespace rota::sched
