// Cycle: the state of one Schedule() call (free amounts, holdings and shares, preemptions, the
// decisions so far) and the steps every policy is made of: give one instance of a group a host,
// or failing that make room by preemption; place a gang whole or not at all. The policies
// (policies.h) only choose the order of the steps. Not thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "sched/host_index.h"
#include "sched/ledger.h"
#include "sched/preemptor.h"
#include "sched/schedule.h"
#include "sched/shape_table.h"

namespace rota::sched {

class Cycle {
 public:
  // REQUIRES: `snapshot` (and `cancelled`, if not null) outlive the Cycle.
  Cycle(const Snapshot& snapshot, const std::atomic<bool>* cancelled);

  enum class Step {
    kPlaced,     // a placement was made
    kPreempted,  // runs were preempted to make room; the instance holds it, unplaced
    kFailed,     // burst limit, or no room and nothing to preempt
  };

  // Whether the policies look at snapshot.pending[group] at all (shape_table.h Schedulable).
  bool Schedulable(uint32_t group) const { return shapes_.ShapeOf(group) != ShapeTable::kNone; }
  // One instance (a handle from the group's instances) of a schedulable group.
  Step PlaceInstance(uint32_t group, uint32_t instance);
  // Every instance of a schedulable group, or none. Gangs never preempt: a gang would need room
  // on several hosts at once, and the runs preempted for it would be lost if it still failed.
  bool PlaceGang(uint32_t group);

  // No instance needing `cores` can be placed for the rest of the cycle: no host has that many
  // free and preemption cannot free any.
  bool OutOfRoomFor(double cores);
  // Polls `cancelled` on the first call and every 1024th after; once true, stays true.
  bool Cancelled();

  const Ledger& ledger() const { return ledger_; }
  // The queues whose runs the last PlaceInstance preempted (their shares went down).
  const std::vector<uint32_t>& victim_queues() const { return victim_queues_; }

  Decisions TakeDecisions() { return std::move(decisions_); }

 private:
  bool Preempt(uint32_t group);
  bool FoundNoVictimsBefore(uint32_t group) const;
  void RememberNoVictims(uint32_t group);
  void Place(uint32_t group, uint32_t instance, uint32_t host);

  const Snapshot& snapshot_;
  const std::atomic<bool>* cancelled_;
  ShapeTable shapes_;
  HostIndex index_;
  Ledger ledger_;
  Preemptor preemptor_;
  std::vector<uint32_t> cell_of_;        // per group: its queue x pool in the ledger
  std::vector<char> shape_failed_;       // per shape: an instance fit nowhere
  std::vector<size_t> gang_fails_from_;  // per shape: gangs this large or larger fit nowhere
  std::vector<int> no_victims_up_to_;    // per shape: priorities that found no victims
  std::unordered_set<uint64_t> no_victims_for_queue_;  // (shape, queue) that found none
  std::vector<uint32_t> victim_queues_;
  Decisions decisions_;
  uint32_t polls_ = 0;
  bool stopped_ = false;
};

}  // namespace rota::sched
