// Schedule() (schedule.h): builds the cycle's state and lets the snapshot's policy drive it.
// (ToString of the enums lives with their text forms in sched_config.cc.)
#include "sched/schedule.h"

#include "sched/cycle.h"
#include "sched/policies.h"

namespace rota::sched {

Decisions Schedule(const Snapshot& snapshot, const std::atomic<bool>* cancelled) {
  Cycle cycle(snapshot, cancelled);
  if (snapshot.policy == Policy::kFairShare) {
    RunFairShare(snapshot, cycle);
  } else {
    RunInOrder(snapshot, cycle);
  }
  return cycle.TakeDecisions();
}

}  // namespace rota::sched
