// The scheduling algorithm (DESIGN section 7, issue 4): a pure, deterministic function from an
// immutable snapshot of the farm to a list of decisions (placements and preemptions). No I/O, no
// clock, no engine types, no threads: the engine builds the snapshot, runs Schedule() inline (sync)
// or on the runner's thread (async), and reconciles the decisions against its live state before it
// applies them.
//
// What the snapshot says, and what Schedule() does with it:
// - Pending work comes in groups: the ready instances of one task of one job, which are alike
//   (queue, pool, priority, need, tags). Groups keep snapshots of a million instances cheap to
//   build and let the algorithm skip a whole shape once one instance of it does not fit.
// - Order (Policy): fifo takes groups by submission order alone; priority by priority (higher
//   first), then submission order; fairshare hands out one instance (or one whole gang) at a time
//   to the queue with the lowest weighted dominant share (fair_share_policy.cc), and within a
//   queue goes by priority, then submission order.
// - Hosts (HostChoice, per pool): pack = best fit (least free cores left, then least memory, then
//   lowest index); spread = most free cores, then most free memory, then lowest index.
// - Limits (QueueLimit, queue x pool, in cores): `burst` is a hard cap on what the queue holds in
//   the pool (held before the cycle plus placed in it); `size` is what the queue is entitled to:
//   only preemption looks at it.
// - Gangs: a group with `gang` set is placed whole (every instance, on any hosts) or not at all.
// - Exclusions: groups of an excluded queue or pool are not scheduled; runs of an excluded queue
//   or pool are never preempted.
// - Preemption (off unless the snapshot asks): when an instance fits on no host, runs that rank
//   below it may be preempted on one host to make room (the fewest victims, newest started first;
//   ties by lowest host index). Their resources then go to that instance in this cycle's accounting,
//   but the placement itself is not returned: the engine places it in the cycle after the victims
//   have exited. See Preemption for who ranks below whom.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace rota::sched {

struct Amount {
  double cores = 0;
  int64_t memory = 0;  // bytes
  int gpus = 0;
};

enum class Policy { kFifo, kPriority, kFairShare };

// kPriority: a run may be preempted for an instance of strictly higher job priority.
// kFairShare: a run of queue V may be preempted for an instance of queue P when, after the move, P's
// weighted dominant share (held + placed + history, see QueueView) is still strictly below V's; or
// when P holds less than its `size` in the pool and V holds more than its own `size` there.
enum class Preemption { kOff, kPriority, kFairShare };

enum class HostChoice { kPack, kSpread };

const char* ToString(Policy policy);
const char* ToString(Preemption preemption);
const char* ToString(HostChoice choice);

struct HostView {
  std::string name;
  Amount total;
  Amount free;                     // total minus what its runs hold
  std::vector<std::string> tags;   // sorted
  std::vector<std::string> pools;  // sorted; empty: serves every pool
  bool alive = true;               // lost hosts are listed (for messages) but never chosen
};

struct PoolView {
  std::string name;
  HostChoice choice = HostChoice::kPack;
  bool excluded = false;
};

struct QueueView {
  std::string name;
  double weight = 1;  // > 0
  // Past usage, as the engine keeps it (the average of what the queue held over a half-life,
  // engine_cycle.cc), added to what the queue holds when fairshare measures its dominant share.
  // Zero: the share is what it holds now.
  Amount history;
  bool excluded = false;
};

// What a queue holds in a pool before the cycle (the sum of its running runs' needs there).
struct Held {
  uint32_t queue = 0;
  uint32_t pool = 0;
  Amount amount;
};

// OpenCue subscription of a queue in a pool, in cores. A queue x pool without one is unlimited
// (size 0, burst infinite).
struct QueueLimit {
  uint32_t queue = 0;
  uint32_t pool = 0;
  double size = 0;
  double burst = std::numeric_limits<double>::infinity();
};

// The ready instances of one task of one job: everything about them but their number is alike.
struct PendingGroup {
  uint64_t key = 0;      // the engine's handle, returned as is in placements
  uint32_t queue = 0;    // index into Snapshot::queues
  uint32_t pool = 0;     // index into Snapshot::pools
  uint32_t tags = 0;     // index into Snapshot::tag_sets (0: no tags required)
  int priority = 50;
  uint64_t order = 0;    // submission order (lower first)
  Amount need;           // per instance
  bool gang = false;     // every instance is placed in this cycle, or none is
  std::vector<uint32_t> instances;  // the engine's instance handles, in the order to place them
};

// A run that holds resources now; listed only when preemption is on.
struct RunningView {
  uint64_t run = 0;      // the engine's run id, returned as is in preemptions
  uint32_t queue = 0;
  uint32_t pool = 0;
  uint32_t host = 0;     // index into Snapshot::hosts
  int priority = 50;
  uint64_t started = 0;  // start order: higher = newer = preempted first
  Amount need;
  bool preemptible = true;  // false for gang members: preempting one would break the gang
};

struct Snapshot {
  Policy policy = Policy::kPriority;
  Preemption preemption = Preemption::kOff;
  size_t max_preemptions = 1000;   // per cycle
  std::vector<HostView> hosts;
  std::vector<PoolView> pools;
  std::vector<QueueView> queues;
  std::vector<std::vector<std::string>> tag_sets;  // [0] is the empty set; each sorted
  std::vector<Held> held;            // at most one entry per (queue, pool)
  std::vector<QueueLimit> limits;    // at most one entry per (queue, pool)
  std::vector<PendingGroup> pending; // any order
  std::vector<RunningView> running;  // empty unless preemption is on
};

struct Placement {
  uint64_t key = 0;       // PendingGroup::key
  uint32_t instance = 0;  // one of PendingGroup::instances
  uint32_t host = 0;      // index into Snapshot::hosts
};

struct Decisions {
  std::vector<Placement> placements;  // in the order they were made
  std::vector<uint64_t> preempted;    // RunningView::run, in the order chosen
};

// Deterministic: the same snapshot always gives the same decisions. Never over-commits any host
// on cores, memory or gpus (counting preempted runs as gone), never exceeds a burst limit, and
// places gangs whole. `cancelled` (may be null) is polled now and then; once it reads true the
// function returns early with whatever it has (the runner drops such results).
Decisions Schedule(const Snapshot& snapshot, const std::atomic<bool>* cancelled = nullptr);

// Why `group`'s instances cannot be placed on the snapshot's hosts as they are, as a sentence for
// `rota show`; "" if some host could take one now. In this order:
// "queue q is excluded from scheduling", "pool p is excluded from scheduling",
// "queue q is at its burst limit in pool p (8 of 8 cores)", "no live host serves pool gpu",
// "no live host in pool dr1 has tags [linux, nvme]",
// "no live host in pool dr1 is big enough: needs 16 cores, the largest has 8",
// "no live host in pool dr1 has 4 cores free right now (most free: 2 on node2)" (same for memory
// and gpus, naming the first resource that does not fit).
std::string WhyNotPlaced(const Snapshot& snapshot, const PendingGroup& group);

}  // namespace rota::sched
