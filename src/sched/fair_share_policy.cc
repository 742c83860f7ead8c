// fairshare (policies.h): a heap of queues by weighted dominant share, so each step costs
// O(log queues) on top of the placement itself.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sched/policies.h"

namespace rota::sched {
namespace {

// The queues still asking, lowest weighted share first: share_a / weight_a < share_b / weight_b,
// cross-multiplied so that equal ratios (0.1/1 and 0.2/2) tie exactly; ties by name, then index.
class QueueHeap {
 public:
  QueueHeap(const Snapshot& snapshot, const Ledger& ledger)
      : snapshot_(snapshot),
        ledger_(ledger),
        at_(snapshot.queues.size()),
        in_(snapshot.queues.size(), 0) {}

  bool empty() const { return entries_.empty(); }
  uint32_t PopLowest() {
    uint32_t queue = entries_.begin()->queue;
    entries_.erase(entries_.begin());
    in_[queue] = 0;
    return queue;
  }
  void Push(uint32_t queue) {
    at_[queue] = entries_.insert(Entry{ledger_.ShareOf(queue), &snapshot_.queues[queue], queue});
    in_[queue] = 1;
  }
  // After the queue's share changed; nothing if it is not in the heap.
  void Update(uint32_t queue) {
    if (in_[queue] == 0) return;
    entries_.erase(at_[queue]);
    Push(queue);
  }

 private:
  struct Entry {
    double share;
    const QueueView* view;
    uint32_t queue;
  };
  struct Lower {
    bool operator()(const Entry& a, const Entry& b) const {
      double lhs = a.share * b.view->weight;
      double rhs = b.share * a.view->weight;
      if (lhs != rhs) return lhs < rhs;
      if (a.view->name != b.view->name) return a.view->name < b.view->name;
      return a.queue < b.queue;
    }
  };
  const Snapshot& snapshot_;
  const Ledger& ledger_;
  std::multiset<Entry, Lower> entries_;
  std::vector<std::multiset<Entry, Lower>::iterator> at_;  // per queue, valid while in_
  std::vector<char> in_;
};

// One queue's schedulable groups in its order, and how far it got.
struct QueueWork {
  std::vector<uint32_t> groups;
  size_t next_group = 0;
  size_t next_instance = 0;
};

std::vector<QueueWork> WorkPerQueue(const Snapshot& snapshot, const Cycle& cycle) {
  struct Key {
    int64_t neg_priority;
    uint64_t order;
    uint64_t key;
    uint32_t index;
    auto operator<=>(const Key&) const = default;
  };
  std::vector<std::vector<Key>> keys(snapshot.queues.size());
  for (uint32_t g = 0; g < snapshot.pending.size(); ++g) {
    if (!cycle.Schedulable(g)) continue;
    const PendingGroup& group = snapshot.pending[g];
    keys[group.queue].push_back(Key{-int64_t{group.priority}, group.order, group.key, g});
  }
  std::vector<QueueWork> work(snapshot.queues.size());
  for (size_t q = 0; q < keys.size(); ++q) {
    std::sort(keys[q].begin(), keys[q].end());
    for (const Key& k : keys[q]) work[q].groups.push_back(k.index);
  }
  return work;
}

// One step for the queue: an instance or a whole gang of its first group that can take one.
// False once it has nothing placeable left (or the cycle was cancelled).
bool Step(const Snapshot& snapshot, QueueWork& work, Cycle& cycle) {
  while (work.next_group < work.groups.size() && !cycle.Cancelled()) {
    uint32_t g = work.groups[work.next_group];
    const PendingGroup& group = snapshot.pending[g];
    if (group.gang) {
      ++work.next_group;
      if (cycle.PlaceGang(g)) return true;
      continue;
    }
    if (cycle.PlaceInstance(g, group.instances[work.next_instance]) != Cycle::Step::kFailed) {
      if (++work.next_instance == group.instances.size()) {
        ++work.next_group;
        work.next_instance = 0;
      }
      return true;
    }
    ++work.next_group;
    work.next_instance = 0;
  }
  return false;
}

}  // namespace

void RunFairShare(const Snapshot& snapshot, Cycle& cycle) {
  std::vector<QueueWork> work = WorkPerQueue(snapshot, cycle);
  QueueHeap heap(snapshot, cycle.ledger());
  for (uint32_t q = 0; q < work.size(); ++q) {
    if (!work[q].groups.empty()) heap.Push(q);
  }
  while (!heap.empty() && !cycle.Cancelled()) {
    uint32_t queue = heap.PopLowest();
    if (!Step(snapshot, work[queue], cycle)) continue;  // drops out
    heap.Push(queue);
    for (uint32_t victim : cycle.victim_queues()) heap.Update(victim);
  }
}

}  // namespace rota::sched
