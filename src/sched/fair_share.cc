#include "sched/fair_share.h"

#include <algorithm>

namespace rota::sched {
namespace {

double Ratio(double used, double total) { return total > 0 ? used / total : 0; }

}  // namespace

Usage ToUsage(const Amount& amount) {
  return Usage{amount.cores, static_cast<double>(amount.memory), static_cast<double>(amount.gpus)};
}

double DominantShare(const Usage& usage, const Amount& capacity) {
  return std::max({Ratio(usage.cores, capacity.cores),
                   Ratio(usage.memory, static_cast<double>(capacity.memory)),
                   Ratio(usage.gpus, static_cast<double>(capacity.gpus)), 0.0});
}

double DominantShare(const Amount& usage, const Amount& capacity) {
  return DominantShare(ToUsage(usage), capacity);
}

}  // namespace rota::sched
