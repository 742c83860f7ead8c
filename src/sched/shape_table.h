// ShapeTable: the pending groups of a snapshot sorted into candidate classes and shapes, built once
// per Schedule() call.
// - A class is where a group may go: its pool, its required tags and the gpus it needs, with the
//   alive hosts that qualify (a host whose total has fewer gpus could never take it). The gpus are
//   part of the class so that gpu work searches the gpu hosts only.
// - A shape is a class and a need. Groups of one shape fit the same hosts, so once one of their
//   instances fits nowhere, the others need not look (free amounts only shrink during a cycle).
// Groups that are not scheduled at all (excluded queue or pool, an index out of range, no
// instances) have neither. Holds no pointers into the snapshot. Not thread-safe; pure.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sched/schedule.h"

namespace rota::sched {

// Whether Schedule() considers the group at all: its queue, pool and tag set exist and are not
// excluded, and it has instances.
bool Schedulable(const Snapshot& snapshot, const PendingGroup& group);

class ShapeTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit ShapeTable(const Snapshot& snapshot);

  size_t shape_count() const { return shape_count_; }
  size_t class_count() const { return classes_.size(); }
  // Of snapshot.pending[group]; kNone for a group that is not scheduled.
  uint32_t ShapeOf(size_t group) const { return shape_of_[group]; }
  uint32_t ClassOf(size_t group) const { return class_of_[group]; }
  // The pool of a class (index into Snapshot::pools).
  uint32_t PoolOf(uint32_t klass) const { return classes_[klass].pool; }
  // Indexes of the hosts that may run the class's groups, ascending.
  std::span<const uint32_t> Candidates(uint32_t klass) const {
    return std::span<const uint32_t>(candidates_)
        .subspan(classes_[klass].begin, classes_[klass].size);
  }

 private:
  struct Class {
    uint32_t pool;
    uint32_t begin;  // into candidates_
    uint32_t size;
  };
  std::vector<uint32_t> shape_of_;  // per pending group
  std::vector<uint32_t> class_of_;  // per pending group
  std::vector<Class> classes_;
  std::vector<uint32_t> candidates_;  // one run of host indexes per class
  size_t shape_count_ = 0;
};

}  // namespace rota::sched
