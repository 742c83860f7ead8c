#include "sched/shape_table.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sched/host_match.h"

namespace rota::sched {
namespace {

const std::vector<std::string>& TagsOf(const PendingView& p) {
  static const std::vector<std::string> kNone;
  return p.tags != nullptr ? *p.tags : kNone;
}

// Where an instance may go: its pool and required tags (null and empty alike).
struct Where {
  const PendingView* p;
  bool operator==(const Where& o) const {
    return p->pool == o.p->pool && (p->tags == o.p->tags || TagsOf(*p) == TagsOf(*o.p));
  }
  // The same pool and tags objects: equal without comparing text.
  bool SameObjects(const PendingView& q) const {
    return p->pool.data() == q.pool.data() && p->pool.size() == q.pool.size() && p->tags == q.tags;
  }
};

struct WhereHash {
  size_t operator()(const Where& k) const {
    size_t h = std::hash<std::string_view>()(k.p->pool);
    for (const std::string& t : TagsOf(*k.p)) h = h * 31 + std::hash<std::string>()(t);
    return h;
  }
};

}  // namespace

ShapeTable::ShapeTable(const Snapshot& snapshot) : shape_of_(snapshot.pending.size()) {
  const std::vector<PendingView>& pending = snapshot.pending;

  // Group by pool and tags, each group with its candidate hosts. Consecutive instances usually
  // share the same pool and tags objects, which skips the lookup.
  std::vector<uint32_t> group_of(pending.size());
  std::vector<Range> groups;
  std::unordered_map<Where, uint32_t, WhereHash> group_ids;
  for (size_t i = 0; i < pending.size(); ++i) {
    const PendingView& p = pending[i];
    if (i > 0 && Where{&pending[i - 1]}.SameObjects(p)) {
      group_of[i] = group_of[i - 1];
      continue;
    }
    auto [it, added] = group_ids.try_emplace(Where{&p}, groups.size());
    if (added) {
      Range group{static_cast<uint32_t>(candidates_.size()), 0};
      for (uint32_t h = 0; h < snapshot.hosts.size(); ++h) {
        if (CouldRun(snapshot.hosts[h], p)) candidates_.push_back(h);
      }
      group.size = static_cast<uint32_t>(candidates_.size()) - group.begin;
      groups.push_back(group);
    }
    group_of[i] = it->second;
  }

  // Within a group, one shape per distinct need. Cores by bits, so that every double (NaN too)
  // orders strictly; -0.0 and 0.0 are merely two shapes.
  struct Key {
    uint32_t group;
    uint64_t cores;
    int64_t memory;
    int gpus;
    uint32_t index;
    bool SameShape(const Key& o) const {
      return group == o.group && cores == o.cores && memory == o.memory && gpus == o.gpus;
    }
    auto operator<=>(const Key&) const = default;
  };
  std::vector<Key> keys(pending.size());
  for (uint32_t i = 0; i < keys.size(); ++i) {
    const Amount& need = pending[i].need;
    keys[i] = Key{group_of[i], std::bit_cast<uint64_t>(need.cores), need.memory, need.gpus, i};
  }
  std::sort(keys.begin(), keys.end());
  for (size_t k = 0; k < keys.size(); ++k) {
    if (k == 0 || !keys[k - 1].SameShape(keys[k])) ranges_.push_back(groups[keys[k].group]);
    shape_of_[keys[k].index] = static_cast<uint32_t>(ranges_.size() - 1);
  }
}

}  // namespace rota::sched
