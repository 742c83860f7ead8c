// Fair-share arithmetic (DESIGN section 7, issue 4): dominant resource shares, usage that decays
// over a half-life, the order in which queues get the next resources, and weighted DRF progressive
// filling. Pure values and functions: no I/O, no clock reads (time is passed in), nothing throws.
// DecayingUsage is a plain value; like any std container it may be read from several threads but
// written from one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sched/schedule.h"

namespace rota::sched {

// Time as the caller sees it; the engine passes its Clock's reading, tests pass fixed points.
using FairClock = std::chrono::steady_clock;

// A resource amount with fractional parts (decayed usage is rarely a whole number of gpus).
struct Usage {
  double cores = 0;
  double memory = 0;  // bytes
  double gpus = 0;
};

Usage ToUsage(const Amount& amount);

// max over resources of usage / capacity; resources whose capacity is 0 (or less) are ignored, so
// an empty capacity gives 0.
double DominantShare(const Usage& usage, const Amount& capacity);
double DominantShare(const Amount& usage, const Amount& capacity);

// Per-queue usage with exponential memory. The value is the sum of every Add()ed amount, each
// multiplied by 2^-(elapsed / half_life): an Amount-valued quantity (not Amount-seconds), so a
// queue that held 8 cores one half-life ago now counts as 4. The caller decides what an Add means
// (the engine adds what a queue holds at each cycle, or what a run held when it finished).
// Half-life 0 means no memory: anything added before `at` has fully decayed; amounts added at `at`
// itself still count. Times must not go backwards per queue; an earlier `at` is treated as the
// latest time seen (no growth). Changing the half-life applies from each queue's last update on.
class DecayingUsage {
 public:
  explicit DecayingUsage(FairClock::duration half_life = FairClock::duration::zero())
      : half_life_(half_life) {}

  void SetHalfLife(FairClock::duration half_life) { half_life_ = half_life; }
  FairClock::duration half_life() const { return half_life_; }

  void Add(std::string_view queue, const Amount& amount, FairClock::time_point at);
  // Zero for a queue never added to.
  Usage Value(std::string_view queue, FairClock::time_point at) const;

 private:
  struct Entry {
    Usage value;  // as of `at`
    FairClock::time_point at;
  };
  Usage Decayed(const Entry& entry, FairClock::time_point at) const;

  FairClock::duration half_life_;
  std::map<std::string, Entry, std::less<>> queues_;
};

struct QueueShare {
  std::string name;
  double weight = 1;  // REQUIRES: > 0
  double share = 0;   // dominant share: current plus decayed usage
};

// Indices into `queues`, the queue that should get the next resources first: lowest share / weight
// first, ties by name, then by index. Deterministic for the same input.
std::vector<size_t> FairOrder(const std::vector<QueueShare>& queues);

struct QueueDemand {
  std::string name;
  double weight = 1;  // REQUIRES: > 0
  Amount task;        // what one task of this queue needs; an all-zero task is never given any
};

// Weighted DRF progressive filling: starting from nothing, repeatedly give one task to the queue
// with the lowest dominant share / weight (FairOrder's order) among those whose task still fits in
// what is left of `capacity`, until no task fits. Returns the number of tasks per queue, in the
// order of `queues`.
std::vector<int64_t> Allocate(const std::vector<QueueDemand>& queues, const Amount& capacity);

}  // namespace rota::sched
