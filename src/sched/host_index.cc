#include "sched/host_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sched/host_match.h"

namespace rota::sched {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Cores in millionths, saturated far beyond any farm so that inf and NaN stay harmless.
int64_t CoreTicks(double cores) {
  constexpr double kLimit = 1e12;
  if (!(cores > -kLimit)) return static_cast<int64_t>(-kLimit * 1e6);
  if (cores > kLimit) return static_cast<int64_t>(kLimit * 1e6);
  return std::llround(cores * 1e6);
}

int64_t Negated(int64_t v) { return v == kMin ? std::numeric_limits<int64_t>::max() : -v; }

}  // namespace

HostIndex::HostIndex(const Snapshot& snapshot, const ShapeTable& shapes) {
  free_.reserve(snapshot.hosts.size());
  for (const HostView& h : snapshot.hosts) free_.push_back(h.free);

  // Memberships grouped by host: count, then fill.
  first_membership_.assign(snapshot.hosts.size() + 1, 0);
  for (uint32_t c = 0; c < shapes.class_count(); ++c) {
    for (uint32_t h : shapes.Candidates(c)) ++first_membership_[h + 1];
  }
  for (size_t h = 0; h < snapshot.hosts.size(); ++h) {
    first_membership_[h + 1] += first_membership_[h];
  }
  memberships_.resize(first_membership_.back());
  std::vector<uint32_t> next(first_membership_.begin(), first_membership_.end() - 1);

  classes_.reserve(shapes.class_count());
  for (uint32_t c = 0; c < shapes.class_count(); ++c) {
    Class& klass = classes_.emplace_back(Class{snapshot.pools[shapes.PoolOf(c)].choice, {}, {}});
    for (uint32_t h : shapes.Candidates(c)) {
      auto at = klass.hosts.insert(KeyOf(klass.choice, h)).first;
      memberships_[next[h]++] = Membership{c, h, false, at};
    }
  }
}

HostIndex::Key HostIndex::KeyOf(HostChoice choice, uint32_t host) const {
  const Amount& f = free_[host];
  int64_t cores = CoreTicks(f.cores);
  if (choice == HostChoice::kSpread) return Key{-cores, Negated(f.memory), host};
  return Key{cores, f.memory, host};
}

int64_t HostIndex::Choose(uint32_t klass, const Amount& need) {
  Class& c = classes_[klass];
  Refresh(c);
  return c.choice == HostChoice::kSpread ? ChooseSpread(c.hosts, need)
                                         : ChoosePacked(c.hosts, need);
}

// From the first host with about enough cores upwards. Within one cores value hosts go by
// memory, so a host short of memory jumps to the first one with enough.
int64_t HostIndex::ChoosePacked(const Index& hosts, const Amount& need) const {
  auto it = need.cores > 0 ? hosts.lower_bound(Key{CoreTicks(need.cores - kCoreEpsilon), kMin, 0})
                           : hosts.begin();
  while (it != hosts.end()) {
    const Amount& f = free_[it->host];
    if (!CoversCores(f.cores, need.cores) || !CoversGpus(f.gpus, need.gpus)) {
      ++it;
    } else if (!CoversMemory(f.memory, need.memory)) {
      it = hosts.lower_bound(Key{it->cores, need.memory, 0});
    } else {
      return it->host;
    }
  }
  return -1;
}

// From the host with the most cores downwards, until cores run short. Within one cores value
// hosts go by memory, most first, so a host short of memory skips the rest of its cores value.
int64_t HostIndex::ChooseSpread(const Index& hosts, const Amount& need) const {
  int64_t least_cores = need.cores > 0 ? CoreTicks(need.cores - kCoreEpsilon) : kMin;
  auto it = hosts.begin();
  while (it != hosts.end() && Negated(it->cores) >= least_cores) {
    const Amount& f = free_[it->host];
    if (!CoversCores(f.cores, need.cores) || !CoversGpus(f.gpus, need.gpus)) {
      ++it;
    } else if (!CoversMemory(f.memory, need.memory)) {
      it = it->cores == std::numeric_limits<int64_t>::max()
               ? hosts.end()
               : hosts.lower_bound(Key{it->cores + 1, kMin, 0});
    } else {
      return it->host;
    }
  }
  return -1;
}

double HostIndex::MostFreeCores() {
  double most = -std::numeric_limits<double>::infinity();
  for (Class& c : classes_) {
    Refresh(c);
    if (c.hosts.empty()) continue;
    const Key& best = c.choice == HostChoice::kSpread ? *c.hosts.begin() : *c.hosts.rbegin();
    most = std::max(most, free_[best.host].cores);
  }
  return most;
}

void HostIndex::Take(uint32_t host, const Amount& amount) {
  TakeFrom(free_[host], amount);
  MarkStale(host);
}

void HostIndex::Give(uint32_t host, const Amount& amount) {
  GiveBack(free_[host], amount);
  MarkStale(host);
}

void HostIndex::MarkStale(uint32_t host) {
  for (uint32_t m = first_membership_[host]; m < first_membership_[host + 1]; ++m) {
    Membership& membership = memberships_[m];
    if (membership.stale) continue;
    membership.stale = true;
    classes_[membership.klass].stale.push_back(m);
  }
}

// Extract and re-insert reuse the node, so nothing is allocated.
void HostIndex::Refresh(Class& klass) {
  for (uint32_t m : klass.stale) {
    Membership& membership = memberships_[m];
    auto node = klass.hosts.extract(membership.at);
    node.value() = KeyOf(klass.choice, membership.host);
    membership.at = klass.hosts.insert(std::move(node)).position;
    membership.stale = false;
  }
  klass.stale.clear();
}

}  // namespace rota::sched
