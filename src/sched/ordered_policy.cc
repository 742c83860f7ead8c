// fifo and priority (policies.h).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "sched/policies.h"

namespace rota::sched {
namespace {

// The schedulable groups in the policy's order. Sorts keys by value, which is several times
// faster than sorting indexes that point at the groups.
std::vector<uint32_t> GroupOrder(const Snapshot& snapshot, const Cycle& cycle) {
  struct Key {
    int64_t rank;  // fifo: 0; priority: -priority
    uint64_t order;
    uint64_t key;
    uint32_t index;
    auto operator<=>(const Key&) const = default;
  };
  bool by_priority = snapshot.policy == Policy::kPriority;
  std::vector<Key> keys;
  keys.reserve(snapshot.pending.size());
  for (uint32_t g = 0; g < snapshot.pending.size(); ++g) {
    if (!cycle.Schedulable(g)) continue;
    const PendingGroup& group = snapshot.pending[g];
    int64_t rank = by_priority ? -int64_t{group.priority} : 0;
    keys.push_back(Key{rank, group.order, group.key, g});
  }
  std::sort(keys.begin(), keys.end());
  std::vector<uint32_t> order(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) order[k] = keys[k].index;
  return order;
}

// smallest[k]: the smallest cores need among order[k..]; +inf past the end.
std::vector<double> SmallestCoresFrom(const Snapshot& snapshot,
                                      const std::vector<uint32_t>& order) {
  std::vector<double> smallest(order.size() + 1, std::numeric_limits<double>::infinity());
  for (size_t k = order.size(); k-- > 0;) {
    smallest[k] = std::min(snapshot.pending[order[k]].need.cores, smallest[k + 1]);
  }
  return smallest;
}

// As many instances as fit; false once one does not (the rest would not either).
bool PlaceEach(const PendingGroup& group, uint32_t g, Cycle& cycle) {
  for (uint32_t instance : group.instances) {
    if (cycle.Cancelled() || cycle.PlaceInstance(g, instance) == Cycle::Step::kFailed) {
      return false;
    }
  }
  return true;
}

}  // namespace

void RunInOrder(const Snapshot& snapshot, Cycle& cycle) {
  std::vector<uint32_t> order = GroupOrder(snapshot, cycle);
  std::vector<double> smallest_from = SmallestCoresFrom(snapshot, order);
  for (size_t k = 0; k < order.size(); ++k) {
    if (cycle.Cancelled()) return;
    const PendingGroup& group = snapshot.pending[order[k]];
    bool whole = group.gang ? cycle.PlaceGang(order[k]) : PlaceEach(group, order[k], cycle);
    // Everything left needs more cores than any host has free: stop rather than skip it all.
    if (!whole && cycle.OutOfRoomFor(smallest_from[k + 1])) return;
  }
}

}  // namespace rota::sched
