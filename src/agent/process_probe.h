// Small probes of the process table through /proc, for the run journal: whether a recorded
// process group is still the one we started. Safe to call from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace rota::agent {

// When `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat); 0 if it is gone.
uint64_t ProcessStartTicks(pid_t pid);

// Now, in the same clock ticks since boot: taken right after a process was started, it is that
// process's start to within kStartTolerance, without reading /proc (which cost ~10% of the
// agent's time per run).
uint64_t BootTicksNow();
// Ticks between a start recorded with BootTicksNow and the one /proc reports that still mean the
// same process: a pid reused within a second would need tens of thousands of forks in it.
inline constexpr uint64_t kStartTolerance = 100;

// SIGKILLs process group `pgid`, left running by a previous agent process, unless its pid now
// belongs to another process (a leader that started more than kStartTolerance away from
// `leader_start`, when that is known). True when a signal was delivered to something.
bool KillLeftoverGroup(pid_t pgid, uint64_t leader_start);

}  // namespace rota::agent
