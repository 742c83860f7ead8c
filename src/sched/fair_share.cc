#include "sched/fair_share.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rota::sched {
namespace {

// a before b in FairOrder. Cross-multiplied so equal ratios (0.1/1 vs 0.2/2) tie exactly.
bool FairLess(double share_a, double weight_a, const std::string& name_a, double share_b,
              double weight_b, const std::string& name_b) {
  double lhs = share_a * weight_b;
  double rhs = share_b * weight_a;
  if (lhs != rhs) return lhs < rhs;
  return name_a < name_b;
}

double Ratio(double used, double total) { return total > 0 ? used / total : 0; }

bool Fits(const Amount& need, const Amount& free) {
  return need.cores <= free.cores && need.memory <= free.memory && need.gpus <= free.gpus;
}

bool IsZero(const Amount& amount) {
  return amount.cores <= 0 && amount.memory <= 0 && amount.gpus <= 0;
}

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

Usage DecayingUsage::Decayed(const Entry& entry, FairClock::time_point at) const {
  if (at <= entry.at) return entry.value;
  if (half_life_ <= FairClock::duration::zero()) return Usage{};
  double half_lives = std::chrono::duration<double>(at - entry.at).count() /
                      std::chrono::duration<double>(half_life_).count();
  double factor = std::exp2(-half_lives);
  return Usage{entry.value.cores * factor, entry.value.memory * factor, entry.value.gpus * factor};
}

void DecayingUsage::Add(std::string_view queue, const Amount& amount, FairClock::time_point at) {
  auto it = queues_.find(queue);
  if (it == queues_.end()) {
    queues_.emplace(std::string(queue), Entry{ToUsage(amount), at});
    return;
  }
  Entry& entry = it->second;
  Usage value = Decayed(entry, at);
  value.cores += amount.cores;
  value.memory += static_cast<double>(amount.memory);
  value.gpus += amount.gpus;
  entry = Entry{value, std::max(entry.at, at)};
}

Usage DecayingUsage::Value(std::string_view queue, FairClock::time_point at) const {
  auto it = queues_.find(queue);
  return it == queues_.end() ? Usage{} : Decayed(it->second, at);
}

std::vector<size_t> FairOrder(const std::vector<QueueShare>& queues) {
  std::vector<size_t> order(queues.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const QueueShare& qa = queues[a];
    const QueueShare& qb = queues[b];
    return FairLess(qa.share, qa.weight, qa.name, qb.share, qb.weight, qb.name);
  });
  return order;
}

std::vector<int64_t> Allocate(const std::vector<QueueDemand>& queues, const Amount& capacity) {
  std::vector<int64_t> tasks(queues.size(), 0);
  std::vector<double> shares(queues.size(), 0);
  Amount free = capacity;
  while (true) {
    size_t best = queues.size();
    for (size_t i = 0; i < queues.size(); ++i) {
      const QueueDemand& q = queues[i];
      if (IsZero(q.task) || !Fits(q.task, free)) continue;
      if (best == queues.size() || FairLess(shares[i], q.weight, q.name, shares[best],
                                            queues[best].weight, queues[best].name)) {
        best = i;
      }
    }
    if (best == queues.size()) return tasks;
    const Amount& task = queues[best].task;
    free.cores -= task.cores;
    free.memory -= task.memory;
    free.gpus -= task.gpus;
    ++tasks[best];
    Amount held{task.cores * static_cast<double>(tasks[best]), task.memory * tasks[best],
                static_cast<int>(task.gpus * tasks[best])};
    shares[best] = DominantShare(held, capacity);
  }
}

}  // namespace rota::sched
