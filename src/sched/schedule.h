// Scheduling v1 (DESIGN section 7): a pure function from an immutable snapshot of the farm to a
// list of placements. No I/O, no clock, no engine types: the engine builds the snapshot, calls
// Schedule(), and reconciles the decisions against its live state before it applies them.
//
// v1 orders pending instances by priority (higher first), then submission order, and gives each
// the fitting host with the least free cores left after placement (best fit; ties by host index).
// Fair share, gangs and preemption come later behind the same boundary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rota::sched {

struct Amount {
  double cores = 0;
  int64_t memory = 0;  // bytes
  int gpus = 0;
};

struct HostView {
  std::string name;
  Amount total;
  Amount free;                     // total minus what its runs hold
  std::vector<std::string> tags;   // sorted
  std::vector<std::string> pools;  // sorted; empty: serves every pool
  bool alive = true;               // lost hosts are listed (for messages) but never chosen
};

struct PendingView {
  uint64_t ref = 0;       // the engine's handle, returned as is
  std::string_view pool;  // must outlive Schedule()
  int priority = 50;
  uint64_t order = 0;  // submission order (lower first among equal priority)
  Amount need;
  const std::vector<std::string>* tags = nullptr;  // required tags, sorted; null: none
};

struct Snapshot {
  std::vector<HostView> hosts;
  std::vector<PendingView> pending;  // any order
};

struct Placement {
  uint64_t ref;
  uint32_t host;  // index into Snapshot::hosts
};

// Deterministic: the same snapshot always gives the same placements, in the order they were made
// (priority, then order). Never over-commits any host on cores, memory or gpus.
std::vector<Placement> Schedule(const Snapshot& snapshot);

// Why `pending` cannot be placed on the snapshot's hosts as they are, as a sentence for
// `rota show`: "no live host serves pool gpu", "no live host in pool dr1 has tags [linux, nvme]",
// "no live host in pool dr1 is big enough: needs 16 cores, the largest has 8",
// "no live host in pool dr1 has 4 cores free right now (most free: 2 on node2)" (same for memory
// and gpus, naming the first resource that does not fit). "" if some host could take it now.
std::string WhyNotPlaced(const Snapshot& snapshot, const PendingView& pending);

}  // namespace rota::sched
