#include "sched/host_match.h"

#include <algorithm>
#include <functional>

namespace rota::sched {

bool ServesPool(const HostView& host, std::string_view pool) {
  if (host.pools.empty()) return true;
  return std::binary_search(host.pools.begin(), host.pools.end(), pool, std::less<>());
}

bool HasTags(const HostView& host, const std::vector<std::string>* tags) {
  if (tags == nullptr) return true;
  return std::includes(host.tags.begin(), host.tags.end(), tags->begin(), tags->end());
}

bool CouldRun(const HostView& host, const PendingView& pending) {
  return host.alive && ServesPool(host, pending.pool) && HasTags(host, pending.tags);
}

bool CoversCores(double have, double need) { return need <= 0 || have + kCoreEpsilon >= need; }
bool CoversMemory(int64_t have, int64_t need) { return need <= 0 || have >= need; }
bool CoversGpus(int have, int need) { return need <= 0 || have >= need; }

bool Covers(const Amount& have, const Amount& need) {
  return CoversCores(have.cores, need.cores) && CoversMemory(have.memory, need.memory) &&
         CoversGpus(have.gpus, need.gpus);
}

}  // namespace rota::sched
