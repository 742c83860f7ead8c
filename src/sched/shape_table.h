// ShapeTable: the pending instances of a snapshot grouped by shape (pool, required tags, need),
// built once per Schedule() call. Instances of one shape fit the same hosts, and since free
// amounts only shrink during a cycle, once one of them fails to fit the later ones fail too.
// Holds indexes into the snapshot, which must outlive it. Not thread-safe; pure.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sched/schedule.h"

namespace rota::sched {

class ShapeTable {
 public:
  explicit ShapeTable(const Snapshot& snapshot);

  size_t shape_count() const { return ranges_.size(); }
  // The shape of snapshot.pending[pending_index].
  uint32_t ShapeOf(size_t pending_index) const { return shape_of_[pending_index]; }
  // Indexes of the alive hosts that serve the shape's pool and have its tags, ascending.
  std::span<const uint32_t> Candidates(uint32_t shape) const {
    return std::span<const uint32_t>(candidates_)
        .subspan(ranges_[shape].begin, ranges_[shape].size);
  }

 private:
  struct Range {
    uint32_t begin;
    uint32_t size;
  };
  std::vector<uint32_t> shape_of_;    // per pending instance
  std::vector<Range> ranges_;         // per shape, into candidates_
  std::vector<uint32_t> candidates_;  // one run of host indexes per (pool, tags)
};

}  // namespace rota::sched
