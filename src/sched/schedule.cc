#include "sched/schedule.h"

#include <algorithm>
#include <limits>
#include <span>

#include "sched/host_match.h"
#include "sched/shape_table.h"

namespace rota::sched {
namespace {

// Indexes into `pending`: priority descending, then order, then ref, then index. Sorts the keys
// by value, which is several times faster than sorting indexes that point at the views.
std::vector<uint32_t> ConsiderationOrder(const std::vector<PendingView>& pending) {
  struct Key {
    int neg_priority;
    uint64_t order;
    uint64_t ref;
    uint32_t index;
    auto operator<=>(const Key&) const = default;
  };
  std::vector<Key> keys(pending.size());
  for (uint32_t i = 0; i < keys.size(); ++i) {
    keys[i] = Key{-pending[i].priority, pending[i].order, pending[i].ref, i};
  }
  std::sort(keys.begin(), keys.end());
  std::vector<uint32_t> order(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) order[k] = keys[k].index;
  return order;
}

// min_from[k]: the smallest cores need among order[k..]; +inf past the end.
std::vector<double> SmallestCoresFrom(const std::vector<PendingView>& pending,
                                      const std::vector<uint32_t>& order) {
  std::vector<double> min_from(order.size() + 1, std::numeric_limits<double>::infinity());
  for (size_t k = order.size(); k-- > 0;) {
    min_from[k] = std::min(pending[order[k]].need.cores, min_from[k + 1]);
  }
  return min_from;
}

// The most of each resource free on any alive host (not necessarily the same host): a need
// this does not cover fits nowhere.
Amount Headroom(const std::vector<HostView>& hosts, const std::vector<Amount>& free) {
  Amount most{-std::numeric_limits<double>::infinity(), std::numeric_limits<int64_t>::min(),
              std::numeric_limits<int>::min()};
  for (size_t h = 0; h < hosts.size(); ++h) {
    if (!hosts[h].alive) continue;
    most.cores = std::max(most.cores, free[h].cores);
    most.memory = std::max(most.memory, free[h].memory);
    most.gpus = std::max(most.gpus, free[h].gpus);
  }
  return most;
}

// The fitting candidate with the least free cores (then memory) left, lowest index on ties; -1
// if none fits. The need is the same for every candidate, so comparing what is free now is
// comparing what would be left.
int64_t BestFit(const std::vector<Amount>& free, std::span<const uint32_t> candidates,
                const Amount& need) {
  int64_t best = -1;
  for (uint32_t h : candidates) {
    const Amount& f = free[h];
    if (!Covers(f, need)) continue;
    if (best >= 0) {
      const Amount& b = free[best];
      bool tighter = f.cores < b.cores - kCoreEpsilon ||
                     (f.cores <= b.cores + kCoreEpsilon && f.memory < b.memory);
      if (!tighter) continue;
    }
    best = h;
  }
  return best;
}

void Take(Amount& free, const Amount& need) {
  if (need.cores > 0) free.cores -= need.cores;
  if (need.memory > 0) free.memory -= need.memory;
  if (need.gpus > 0) free.gpus -= need.gpus;
}

}  // namespace

std::vector<Placement> Schedule(const Snapshot& snapshot) {
  const std::vector<PendingView>& pending = snapshot.pending;
  std::vector<Amount> free;
  free.reserve(snapshot.hosts.size());
  for (const HostView& h : snapshot.hosts) free.push_back(h.free);

  std::vector<uint32_t> order = ConsiderationOrder(pending);
  std::vector<double> min_cores_from = SmallestCoresFrom(pending, order);
  ShapeTable shapes(snapshot);
  std::vector<char> failed(shapes.shape_count(), 0);
  Amount headroom = Headroom(snapshot.hosts, free);
  std::vector<Placement> placements;

  for (size_t k = 0; k < order.size(); ++k) {
    // Everything left needs more cores than any host has free.
    double smallest = min_cores_from[k];
    if (smallest > 0 && headroom.cores + kCoreEpsilon < smallest) break;

    const PendingView& p = pending[order[k]];
    uint32_t shape = shapes.ShapeOf(order[k]);
    if (failed[shape] != 0) continue;
    int64_t host = Covers(headroom, p.need) ? BestFit(free, shapes.Candidates(shape), p.need) : -1;
    if (host < 0) {
      failed[shape] = 1;
      continue;
    }
    Take(free[host], p.need);
    headroom = Headroom(snapshot.hosts, free);
    placements.push_back(Placement{p.ref, static_cast<uint32_t>(host)});
  }
  return placements;
}

}  // namespace rota::sched
