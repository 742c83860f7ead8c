#include "sched/shape_table.h"

#include <algorithm>
#include <bit>
#include <map>
#include <string>
#include <tuple>

#include "sched/host_match.h"

namespace rota::sched {
namespace {

// For each tag set, the first tag set with the same tags, so that equal sets share a class.
std::vector<uint32_t> CanonicalTagSets(const Snapshot& snapshot) {
  std::map<std::vector<std::string>, uint32_t> first;
  std::vector<uint32_t> canonical(snapshot.tag_sets.size());
  for (uint32_t t = 0; t < canonical.size(); ++t) {
    canonical[t] = first.try_emplace(snapshot.tag_sets[t], t).first->second;
  }
  return canonical;
}

bool MayRun(const HostView& host, const std::string& pool, const std::vector<std::string>& tags,
            int gpus) {
  return host.alive && host.total.gpus >= gpus && ServesPool(host, pool) && HasTags(host, tags);
}

}  // namespace

bool Schedulable(const Snapshot& snapshot, const PendingGroup& group) {
  if (group.queue >= snapshot.queues.size() || group.pool >= snapshot.pools.size()) return false;
  if (group.tags >= snapshot.tag_sets.size() && group.tags != 0) return false;
  return !snapshot.queues[group.queue].excluded && !snapshot.pools[group.pool].excluded &&
         !group.instances.empty();
}

ShapeTable::ShapeTable(const Snapshot& snapshot)
    : shape_of_(snapshot.pending.size(), kNone), class_of_(snapshot.pending.size(), kNone) {
  static const std::vector<std::string> kNoTags;
  std::vector<uint32_t> canonical = CanonicalTagSets(snapshot);
  auto tags_of = [&](uint32_t t) -> const std::vector<std::string>& {
    return t < snapshot.tag_sets.size() ? snapshot.tag_sets[t] : kNoTags;
  };

  // Classes in the order first met; the hosts of each found with one pass over the farm.
  std::map<std::tuple<uint32_t, uint32_t, int>, uint32_t> class_ids;
  for (size_t g = 0; g < snapshot.pending.size(); ++g) {
    const PendingGroup& group = snapshot.pending[g];
    if (!Schedulable(snapshot, group)) continue;
    uint32_t tags = group.tags < canonical.size() ? canonical[group.tags] : 0;
    int gpus = std::max(group.need.gpus, 0);
    auto [it, added] = class_ids.try_emplace({group.pool, tags, gpus}, classes_.size());
    if (added) {
      Class klass{group.pool, static_cast<uint32_t>(candidates_.size()), 0};
      const std::string& pool = snapshot.pools[group.pool].name;
      for (uint32_t h = 0; h < snapshot.hosts.size(); ++h) {
        if (MayRun(snapshot.hosts[h], pool, tags_of(tags), gpus)) candidates_.push_back(h);
      }
      klass.size = static_cast<uint32_t>(candidates_.size()) - klass.begin;
      classes_.push_back(klass);
    }
    class_of_[g] = it->second;
  }

  // Within a class, one shape per distinct need. Cores by bits, so that every double (NaN too)
  // orders strictly; -0.0 and 0.0 are merely two shapes.
  struct Key {
    uint32_t klass;
    uint64_t cores;
    int64_t memory;
    int gpus;
    uint32_t group;
    bool SameShape(const Key& o) const {
      return klass == o.klass && cores == o.cores && memory == o.memory && gpus == o.gpus;
    }
    auto operator<=>(const Key&) const = default;
  };
  std::vector<Key> keys;
  for (uint32_t g = 0; g < snapshot.pending.size(); ++g) {
    if (class_of_[g] == kNone) continue;
    const Amount& need = snapshot.pending[g].need;
    keys.push_back(
        Key{class_of_[g], std::bit_cast<uint64_t>(need.cores), need.memory, need.gpus, g});
  }
  std::sort(keys.begin(), keys.end());
  for (size_t k = 0; k < keys.size(); ++k) {
    if (k > 0 && !keys[k - 1].SameShape(keys[k])) ++shape_count_;
    shape_of_[keys[k].group] = static_cast<uint32_t>(shape_count_);
  }
  if (!keys.empty()) ++shape_count_;
}

}  // namespace rota::sched
