// Fair-share arithmetic (DESIGN section 7): dominant resource shares, which the Ledger keeps per
// queue and the fairshare policy orders queues by (fair_share_policy.cc). The usage history that
// is added to what a queue holds is the engine's (engine_cycle.cc). Pure functions; any thread.
#pragma once

#include "sched/schedule.h"

namespace rota::sched {

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

}  // namespace rota::sched
