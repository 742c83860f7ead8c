#include "sched/host_match.h"

#include <algorithm>
#include <functional>

namespace rota::sched {

bool ServesPool(const HostView& host, std::string_view pool) {
  if (host.pools.empty()) return true;
  return std::binary_search(host.pools.begin(), host.pools.end(), pool, std::less<>());
}

bool HasTags(const HostView& host, const std::vector<std::string>& tags) {
  return std::includes(host.tags.begin(), host.tags.end(), tags.begin(), tags.end());
}

bool CoversCores(double have, double need) { return need <= 0 || have + kCoreEpsilon >= need; }
bool CoversMemory(int64_t have, int64_t need) { return need <= 0 || have >= need; }
bool CoversGpus(int have, int need) { return need <= 0 || have >= need; }

bool Covers(const Amount& have, const Amount& need) {
  return CoversCores(have.cores, need.cores) && CoversMemory(have.memory, need.memory) &&
         CoversGpus(have.gpus, need.gpus);
}

void TakeFrom(Amount& free, const Amount& amount) {
  if (amount.cores > 0) free.cores -= amount.cores;
  if (amount.memory > 0) free.memory -= amount.memory;
  if (amount.gpus > 0) free.gpus -= amount.gpus;
}

void GiveBack(Amount& free, const Amount& amount) {
  if (amount.cores > 0) free.cores += amount.cores;
  if (amount.memory > 0) free.memory += amount.memory;
  if (amount.gpus > 0) free.gpus += amount.gpus;
}

}  // namespace rota::sched
