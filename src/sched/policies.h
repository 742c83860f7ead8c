// The order in which Schedule() offers pending groups their hosts (Policy in schedule.h). Each
// policy drives a Cycle (cycle.h), which does the placing, until nothing more fits or the cycle is
// cancelled. Not thread-safe.
#pragma once

#include "sched/cycle.h"
#include "sched/schedule.h"

namespace rota::sched {

// fifo (by submission order) and priority (by priority, then submission order): every group in
// turn, as many of its instances as fit, ties by key and then by position in Snapshot::pending.
void RunInOrder(const Snapshot& snapshot, Cycle& cycle);

// fairshare: one instance (or one whole gang) at a time to the queue with the lowest weighted
// dominant share (ties by queue name, then index); within a queue by priority, then submission
// order. A queue whose next group cannot be placed goes on to its following group; a queue with
// nothing placeable left drops out.
void RunFairShare(const Snapshot& snapshot, Cycle& cycle);

}  // namespace rota::sched
