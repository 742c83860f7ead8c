#include "sched/cycle.h"

#include <algorithm>
#include <limits>

#include "sched/host_match.h"

namespace rota::sched {
namespace {

// HostIndex orders hosts by cores rounded to millionths, so the most free cores it reports may be
// short of the true most by that much.
constexpr double kRoundingSlack = 1e-6;

}  // namespace

Cycle::Cycle(const Snapshot& snapshot, const std::atomic<bool>* cancelled)
    : snapshot_(snapshot),
      cancelled_(cancelled),
      shapes_(snapshot),
      index_(snapshot, shapes_),
      ledger_(snapshot),
      preemptor_(snapshot, ledger_),
      cell_of_(snapshot.pending.size(), 0),
      shape_failed_(shapes_.shape_count(), 0),
      gang_fails_from_(shapes_.shape_count(), std::numeric_limits<size_t>::max()),
      no_victims_up_to_(shapes_.shape_count(), std::numeric_limits<int>::min()) {
  for (uint32_t g = 0; g < snapshot.pending.size(); ++g) {
    const PendingGroup& group = snapshot.pending[g];
    if (Schedulable(g)) cell_of_[g] = ledger_.CellOf(group.queue, group.pool);
  }
}

Cycle::Step Cycle::PlaceInstance(uint32_t group, uint32_t instance) {
  const PendingGroup& g = snapshot_.pending[group];
  victim_queues_.clear();
  if (!ledger_.WithinBurst(cell_of_[group], g.need.cores)) return Step::kFailed;
  uint32_t shape = shapes_.ShapeOf(group);
  if (shape_failed_[shape] == 0) {
    int64_t host = index_.Choose(shapes_.ClassOf(group), g.need);
    if (host >= 0) {
      Place(group, instance, static_cast<uint32_t>(host));
      ledger_.Add(cell_of_[group], g.need);
      return Step::kPlaced;
    }
    shape_failed_[shape] = 1;
  }
  return Preempt(group) ? Step::kPreempted : Step::kFailed;
}

bool Cycle::Preempt(uint32_t group) {
  if (!preemptor_.active() || FoundNoVictimsBefore(group)) return false;
  const PendingGroup& g = snapshot_.pending[group];
  std::optional<Preemptor::Choice> choice =
      preemptor_.Find(g, cell_of_[group], shapes_.Candidates(shapes_.ClassOf(group)), index_);
  if (!choice) {
    RememberNoVictims(group);
    return false;
  }
  Amount from_free = preemptor_.Commit(*choice, g.need);
  for (uint32_t r : choice->runs) {
    const RunningView& run = snapshot_.running[r];
    ledger_.Remove(preemptor_.CellOf(r), run.need);
    decisions_.preempted.push_back(run.run);
    victim_queues_.push_back(run.queue);
  }
  index_.Take(choice->host, from_free);
  ledger_.Add(cell_of_[group], g.need);
  return true;
}

// A search that found nothing to preempt is not repeated for the same shape and a rank no higher
// (priority preemption: a lower priority finds fewer victims) or the same queue (fair share):
// that keeps a saturated farm cheap. Preemptions later in the cycle could in theory open a way
// (room left unclaimed, shares that moved); the next cycle looks again.
bool Cycle::FoundNoVictimsBefore(uint32_t group) const {
  const PendingGroup& g = snapshot_.pending[group];
  uint32_t shape = shapes_.ShapeOf(group);
  if (snapshot_.preemption == Preemption::kPriority) {
    return g.priority <= no_victims_up_to_[shape];
  }
  return no_victims_for_queue_.count((uint64_t{shape} << 32) | g.queue) != 0;
}

void Cycle::RememberNoVictims(uint32_t group) {
  const PendingGroup& g = snapshot_.pending[group];
  uint32_t shape = shapes_.ShapeOf(group);
  if (snapshot_.preemption == Preemption::kPriority) {
    no_victims_up_to_[shape] = std::max(no_victims_up_to_[shape], g.priority);
  } else {
    no_victims_for_queue_.insert((uint64_t{shape} << 32) | g.queue);
  }
}

bool Cycle::PlaceGang(uint32_t group) {
  const PendingGroup& g = snapshot_.pending[group];
  victim_queues_.clear();
  size_t count = g.instances.size();
  if (!ledger_.WithinBurst(cell_of_[group], g.need.cores * static_cast<double>(count))) {
    return false;
  }
  // Instances of one need fill hosts the same number of times whatever the order, so a gang that
  // failed fails again at the same size or larger while free amounts only shrink.
  uint32_t shape = shapes_.ShapeOf(group);
  if (shape_failed_[shape] != 0 || count >= gang_fails_from_[shape]) return false;
  size_t first = decisions_.placements.size();
  for (uint32_t instance : g.instances) {
    int64_t host = index_.Choose(shapes_.ClassOf(group), g.need);
    if (host < 0) {
      if (decisions_.placements.size() == first) shape_failed_[shape] = 1;
      gang_fails_from_[shape] = count;
      while (decisions_.placements.size() > first) {
        index_.Give(decisions_.placements.back().host, g.need);
        decisions_.placements.pop_back();
      }
      return false;
    }
    Place(group, instance, static_cast<uint32_t>(host));
  }
  for (size_t i = 0; i < count; ++i) ledger_.Add(cell_of_[group], g.need);
  return true;
}

void Cycle::Place(uint32_t group, uint32_t instance, uint32_t host) {
  const PendingGroup& g = snapshot_.pending[group];
  index_.Take(host, g.need);
  decisions_.placements.push_back(Placement{g.key, instance, host});
}

bool Cycle::OutOfRoomFor(double cores) {
  if (preemptor_.active() || !(cores > 0)) return false;
  return index_.MostFreeCores() + kCoreEpsilon + kRoundingSlack < cores;
}

bool Cycle::Cancelled() {
  if (cancelled_ == nullptr || stopped_) return stopped_;
  if (polls_++ % 1024 == 0) stopped_ = cancelled_->load(std::memory_order_relaxed);
  return stopped_;
}

}  // namespace rota::sched
