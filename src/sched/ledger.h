// Ledger: what each queue holds during one Schedule() call. Per queue x pool (a cell) the cores
// held, for burst limits and sizes; per queue the usage its fair share is measured on (history
// plus held in every pool plus placed this cycle, minus what preemption took back). Built so that
// the order of Snapshot::held and Snapshot::limits does not matter. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "sched/fair_share.h"
#include "sched/schedule.h"

namespace rota::sched {

class Ledger {
 public:
  // One cell for each queue x pool that held, limits, pending or running name (entries whose
  // indexes are out of range are left out).
  explicit Ledger(const Snapshot& snapshot);

  // REQUIRES: the pair is one of the snapshot's (see above).
  uint32_t CellOf(uint32_t queue, uint32_t pool) const;

  // Cores the queue holds in the pool: held before the cycle, plus placed, minus preempted.
  double Holding(uint32_t cell) const { return cells_[cell].holding; }
  double Size(uint32_t cell) const { return cells_[cell].size; }
  // Whether `cores` more stay within the cell's burst limit.
  bool WithinBurst(uint32_t cell, double cores) const;

  // The queue's dominant share of the farm (the sum of the alive hosts' totals).
  double ShareOf(uint32_t queue) const { return share_[queue]; }
  // The queue's dominant share if `delta` were added to its usage.
  double ShareWith(uint32_t queue, const Usage& delta) const;

  // A placement (or a preempting instance) of the cell's queue in its pool, and a preempted run.
  void Add(uint32_t cell, const Amount& amount);
  void Remove(uint32_t cell, const Amount& amount);

 private:
  struct Cell {
    uint32_t queue;
    uint32_t pool;
    double holding = 0;
    double size = 0;
    double burst;
  };
  void Change(uint32_t cell, const Amount& amount, double sign);

  std::vector<Cell> cells_;  // sorted by (queue, pool)
  Amount capacity_;
  std::vector<Usage> usage_;   // per queue
  std::vector<double> share_;  // per queue
};

}  // namespace rota::sched
