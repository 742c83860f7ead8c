#include "sched/ledger.h"

#include <algorithm>
#include <limits>

#include "sched/host_match.h"

namespace rota::sched {
namespace {

uint64_t PairKey(uint32_t queue, uint32_t pool) { return (uint64_t{queue} << 32) | pool; }

std::vector<uint64_t> PairsNamed(const Snapshot& snapshot) {
  size_t queues = snapshot.queues.size();
  size_t pools = snapshot.pools.size();
  std::vector<uint64_t> pairs;
  auto add = [&](uint32_t queue, uint32_t pool) {
    if (queue < queues && pool < pools) pairs.push_back(PairKey(queue, pool));
  };
  for (const Held& h : snapshot.held) add(h.queue, h.pool);
  for (const QueueLimit& l : snapshot.limits) add(l.queue, l.pool);
  for (const RunningView& r : snapshot.running) add(r.queue, r.pool);
  // Groups come sorted more often than not: skip repeats before sorting a million of them.
  uint64_t last = ~uint64_t{0};
  for (const PendingGroup& g : snapshot.pending) {
    if (g.queue < queues && g.pool < pools && PairKey(g.queue, g.pool) != last) {
      last = PairKey(g.queue, g.pool);
      pairs.push_back(last);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

void AddTo(Usage& usage, const Amount& amount, double sign) {
  usage.cores += sign * amount.cores;
  usage.memory += sign * static_cast<double>(amount.memory);
  usage.gpus += sign * amount.gpus;
}

}  // namespace

Ledger::Ledger(const Snapshot& snapshot)
    : usage_(snapshot.queues.size()), share_(snapshot.queues.size()) {
  for (uint64_t pair : PairsNamed(snapshot)) {
    cells_.push_back(Cell{static_cast<uint32_t>(pair >> 32), static_cast<uint32_t>(pair), 0, 0,
                          std::numeric_limits<double>::infinity()});
  }
  for (const HostView& h : snapshot.hosts) {
    if (h.alive) GiveBack(capacity_, h.total);
  }

  // Held amounts per cell first, then summed per queue in (queue, pool) order: the same sums
  // whatever the order of Snapshot::held.
  std::vector<Amount> held(cells_.size());
  for (const Held& h : snapshot.held) {
    if (h.queue >= usage_.size() || h.pool >= snapshot.pools.size()) continue;
    Amount& cell = held[CellOf(h.queue, h.pool)];
    cell.cores += h.amount.cores;
    cell.memory += h.amount.memory;
    cell.gpus += h.amount.gpus;
  }
  for (const QueueLimit& l : snapshot.limits) {
    if (l.queue >= usage_.size() || l.pool >= snapshot.pools.size()) continue;
    Cell& cell = cells_[CellOf(l.queue, l.pool)];
    cell.size = l.size;
    cell.burst = l.burst;
  }
  for (uint32_t q = 0; q < usage_.size(); ++q) {
    usage_[q] = ToUsage(snapshot.queues[q].history);
  }
  for (uint32_t c = 0; c < cells_.size(); ++c) {
    cells_[c].holding = held[c].cores;
    AddTo(usage_[cells_[c].queue], held[c], 1);
  }
  for (uint32_t q = 0; q < usage_.size(); ++q) share_[q] = DominantShare(usage_[q], capacity_);
}

uint32_t Ledger::CellOf(uint32_t queue, uint32_t pool) const {
  auto it =
      std::lower_bound(cells_.begin(), cells_.end(), PairKey(queue, pool),
                       [](const Cell& c, uint64_t key) { return PairKey(c.queue, c.pool) < key; });
  return static_cast<uint32_t>(it - cells_.begin());
}

bool Ledger::WithinBurst(uint32_t cell, double cores) const {
  return cells_[cell].holding + cores <= cells_[cell].burst + kCoreEpsilon;
}

double Ledger::ShareWith(uint32_t queue, const Usage& delta) const {
  Usage u = usage_[queue];
  u.cores += delta.cores;
  u.memory += delta.memory;
  u.gpus += delta.gpus;
  return DominantShare(u, capacity_);
}

void Ledger::Add(uint32_t cell, const Amount& amount) { Change(cell, amount, 1); }
void Ledger::Remove(uint32_t cell, const Amount& amount) { Change(cell, amount, -1); }

void Ledger::Change(uint32_t cell, const Amount& amount, double sign) {
  Cell& c = cells_[cell];
  c.holding += sign * amount.cores;
  AddTo(usage_[c.queue], amount, sign);
  share_[c.queue] = DominantShare(usage_[c.queue], capacity_);
}

}  // namespace rota::sched
