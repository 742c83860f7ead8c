// WhyNotPlaced (declared in schedule.h): the first check that rules a pending group out, as a
// sentence for `rota show`: exclusions, the burst limit, then four checks of the hosts. Uses the
// same matching rules as Schedule().
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/units.h"
#include "sched/host_match.h"
#include "sched/schedule.h"

namespace rota::sched {
namespace {

enum class Resource { kCores, kMemory, kGpus };
constexpr Resource kResources[] = {Resource::kCores, Resource::kMemory, Resource::kGpus};

// "4", "0.5", "0.125": at most three decimals, no trailing zeros.
std::string FormatCores(double cores) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, cores, std::chars_format::fixed, 3);
  if (ec != std::errc()) return "?";
  std::string s(buf, end);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

bool Needs(const Amount& need, Resource r) {
  switch (r) {
    case Resource::kCores: return need.cores > 0;
    case Resource::kMemory: return need.memory > 0;
    case Resource::kGpus: return need.gpus > 0;
  }
  return false;
}

bool CoversOne(const Amount& have, const Amount& need, Resource r) {
  switch (r) {
    case Resource::kCores: return CoversCores(have.cores, need.cores);
    case Resource::kMemory: return CoversMemory(have.memory, need.memory);
    case Resource::kGpus: return CoversGpus(have.gpus, need.gpus);
  }
  return false;
}

bool Less(const Amount& a, const Amount& b, Resource r) {
  switch (r) {
    case Resource::kCores: return a.cores < b.cores;
    case Resource::kMemory: return a.memory < b.memory;
    case Resource::kGpus: return a.gpus < b.gpus;
  }
  return false;
}

// Just the number: "8", "512M", "2".
std::string Number(const Amount& a, Resource r) {
  switch (r) {
    case Resource::kCores: return FormatCores(a.cores);
    case Resource::kMemory: return FormatSize(a.memory);
    case Resource::kGpus: return std::to_string(a.gpus);
  }
  return "";
}

// With its unit: "4 cores", "1 core", "512M memory", "2 gpus".
std::string Quantity(const Amount& a, Resource r) {
  switch (r) {
    case Resource::kCores: return Number(a, r) + (a.cores == 1 ? " core" : " cores");
    case Resource::kMemory: return Number(a, r) + " memory";
    case Resource::kGpus: return Number(a, r) + (a.gpus == 1 ? " gpu" : " gpus");
  }
  return "";
}

// Every resource the need asks for: "2 cores", "2 cores and 4G memory", "2 cores, 4G memory and
// 1 gpu".
std::string AllNeeded(const Amount& need) {
  std::vector<std::string> parts;
  for (Resource r : kResources) {
    if (Needs(need, r)) parts.push_back(Quantity(need, r));
  }
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) s += i + 1 == parts.size() ? " and " : ", ";
    s += parts[i];
  }
  return s;
}

std::string TagList(const std::vector<std::string>& tags) {
  std::string s = "[";
  for (size_t i = 0; i < tags.size(); ++i) s += (i > 0 ? ", " : "") + tags[i];
  return s + "]";
}

// The candidate with the most of `r` in `amount_of(host)`; the first one on ties.
template <class AmountOf>
const HostView* Largest(const std::vector<const HostView*>& hosts, Resource r, AmountOf amount_of) {
  const HostView* best = hosts.front();
  for (const HostView* h : hosts) {
    if (Less(amount_of(*best), amount_of(*h), r)) best = h;
  }
  return best;
}

std::string NotBigEnough(const std::vector<const HostView*>& candidates, const std::string& pool,
                         const Amount& need) {
  auto total = [](const HostView& h) -> const Amount& { return h.total; };
  std::string prefix = "no live host in pool " + pool + " is big enough: needs ";
  for (Resource r : kResources) {
    const HostView* largest = Largest(candidates, r, total);
    if (!CoversOne(largest->total, need, r)) {
      return prefix + Quantity(need, r) + ", the largest has " + Number(largest->total, r);
    }
  }
  for (const HostView* h : candidates) {
    if (Covers(h->total, need)) return "";
  }
  return prefix + AllNeeded(need) + " together";
}

std::string NotFreeNow(const std::vector<const HostView*>& candidates, const std::string& pool,
                       const Amount& need) {
  auto free = [](const HostView& h) -> const Amount& { return h.free; };
  std::string prefix = "no live host in pool " + pool + " has ";
  for (Resource r : kResources) {
    const HostView* most = Largest(candidates, r, free);
    if (!CoversOne(most->free, need, r)) {
      Amount shown;  // an over-committed host has nothing free rather than a negative amount
      if (Less(shown, most->free, r)) shown = most->free;
      return prefix + Quantity(need, r) + " free right now (most free: " + Number(shown, r) +
             " on " + most->name + ")";
    }
  }
  for (const HostView* h : candidates) {
    if (Covers(h->free, need)) return "";
  }
  return prefix + AllNeeded(need) + " free together right now";
}

// Held cores of the queue in the pool before the cycle (Snapshot::held).
double HeldCores(const Snapshot& snapshot, uint32_t queue, uint32_t pool) {
  double cores = 0;
  for (const Held& h : snapshot.held) {
    if (h.queue == queue && h.pool == pool) cores += h.amount.cores;
  }
  return cores;
}

// "queue q is at its burst limit in pool p (8 of 8 cores)", or "" while the group (a gang: all
// of it) still fits under the limit.
std::string OverBurst(const Snapshot& snapshot, const PendingGroup& group) {
  double burst = std::numeric_limits<double>::infinity();
  for (const QueueLimit& l : snapshot.limits) {
    if (l.queue == group.queue && l.pool == group.pool) burst = l.burst;
  }
  double held = HeldCores(snapshot, group.queue, group.pool);
  double count = group.gang ? static_cast<double>(group.instances.size()) : 1;
  if (held + group.need.cores * count <= burst + kCoreEpsilon) return "";
  return "queue " + snapshot.queues[group.queue].name + " is at its burst limit in pool " +
         snapshot.pools[group.pool].name + " (" + FormatCores(held) + " of " + FormatCores(burst) +
         (burst == 1 ? " core)" : " cores)");
}

std::string NoRoomOnHosts(const Snapshot& snapshot, const std::string& pool,
                          const std::vector<std::string>& tags, const Amount& need) {
  std::vector<const HostView*> in_pool;
  for (const HostView& h : snapshot.hosts) {
    if (h.alive && ServesPool(h, pool)) in_pool.push_back(&h);
  }
  if (in_pool.empty()) return "no live host serves pool " + pool;

  std::vector<const HostView*> candidates;
  for (const HostView* h : in_pool) {
    if (HasTags(*h, tags)) candidates.push_back(h);
  }
  if (candidates.empty()) return "no live host in pool " + pool + " has tags " + TagList(tags);

  if (std::string why = NotBigEnough(candidates, pool, need); !why.empty()) return why;
  return NotFreeNow(candidates, pool, need);
}

}  // namespace

std::string WhyNotPlaced(const Snapshot& snapshot, const PendingGroup& group) {
  // Indexes out of range are the engine's bug; say so rather than read past the end.
  if (group.queue >= snapshot.queues.size()) return "unknown queue #" + std::to_string(group.queue);
  if (group.pool >= snapshot.pools.size()) return "unknown pool #" + std::to_string(group.pool);
  const QueueView& queue = snapshot.queues[group.queue];
  const PoolView& pool = snapshot.pools[group.pool];
  if (queue.excluded) return "queue " + queue.name + " is excluded from scheduling";
  if (pool.excluded) return "pool " + pool.name + " is excluded from scheduling";
  if (std::string why = OverBurst(snapshot, group); !why.empty()) return why;
  static const std::vector<std::string> kNoTags;
  const std::vector<std::string>& tags =
      group.tags < snapshot.tag_sets.size() ? snapshot.tag_sets[group.tags] : kNoTags;
  return NoRoomOnHosts(snapshot, pool.name, tags, group.need);
}

}  // namespace rota::sched
