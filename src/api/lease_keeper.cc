#include "api/lease_keeper.h"

#include <algorithm>

namespace rota {

LeasePlan PlanLeases(const LeaseView& view, const std::string& me, const std::set<std::string>& exclude,
                     const std::map<std::string, TimePoint>& held_since, TimePoint now,
                     std::chrono::milliseconds hold) {
  std::set<std::string> alive;
  std::map<std::string, const ServerInfo*> servers;
  for (const ServerInfo& s : view.servers) {
    servers[s.name] = &s;
    if (s.alive) alive.insert(s.name);
  }
  alive.insert(me);
  const size_t share = (view.leases.size() + alive.size() - 1) / alive.size();
  // Whether a live server other than `me` could hold `lease` (it does not exclude it).
  auto another_could_hold = [&](const std::string& lease) {
    for (const std::string& other : alive) {
      if (other == me) continue;
      auto s = servers.find(other);
      const std::vector<std::string>* excluded = s == servers.end() ? nullptr : &s->second->exclude_pools;
      if (excluded == nullptr || std::find(excluded->begin(), excluded->end(), lease) == excluded->end()) return true;
    }
    return false;
  };
  LeasePlan plan;
  size_t mine = held_since.size();
  auto free_for_me = [&](const LeaseInfo& lease) {
    if (held_since.count(lease.name) || exclude.count(lease.name)) return false;
    return lease.holder.empty() || lease.expired || !alive.count(lease.holder);
  };
  // What only this server may hold, whatever its share: else nobody would place in it.
  for (const LeaseInfo& lease : view.leases) {
    if (!free_for_me(lease) || another_could_hold(lease.name)) continue;
    plan.take.push_back(lease.name);
    ++mine;
  }
  for (const LeaseInfo& lease : view.leases) {   // by name
    if (mine >= share) break;
    if (!free_for_me(lease) || !another_could_hold(lease.name)) continue;
    plan.take.push_back(lease.name);
    ++mine;
  }
  if (mine <= share || alive.size() < 2) return plan;
  // Surplus: the last by name, held long enough, that another live server would take.
  for (auto it = held_since.rbegin(); it != held_since.rend() && mine > share; ++it) {
    if (now - it->second < hold || !another_could_hold(it->first)) continue;
    plan.give_back.push_back(it->first);
    --mine;
  }
  return plan;
}

std::map<std::string, uint64_t> LeaseKeeper::held() const {
  std::map<std::string, uint64_t> out;
  for (const auto& [name, h] : held_) out[name] = h.epoch;
  return out;
}

void LeaseKeeper::Note(const std::string& name, const std::string& holder, uint64_t epoch, bool expired) {
  for (LeaseInfo& lease : view_.leases) {
    if (lease.name != name) continue;
    lease.holder = holder;
    lease.epoch = epoch;
    lease.expired = expired;
  }
}

Result<uint64_t> LeaseKeeper::Turn(const std::vector<std::string>& names, TimePoint now, const Grant& grant,
                                   bool force) {
  // A pool never seen before (a job brought it) is taken at once, not at the next renewal, so
  // that its first work waits for nothing.
  const bool unknown = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    return std::none_of(view_.leases.begin(), view_.leases.end(), [&](const LeaseInfo& l) { return l.name == name; });
  });
  if (!force && !distrusted_ && !unknown && now < next_turn_) {
    if (now < next_watch_) return uint64_t{0};
    next_watch_ = now + options_.watch_every;
    Result<std::vector<std::string>> abandoned = table_.Abandoned(me_.name, options_.ttl);
    if (!abandoned.ok()) return abandoned.error();
    // News only: a lease left for another server to take does not make this one turn each time.
    const bool news = std::any_of(abandoned->begin(), abandoned->end(), [&](const std::string& name) {
      return std::find(abandoned_.begin(), abandoned_.end(), name) == abandoned_.end();
    });
    abandoned_ = std::move(abandoned).value();
    if (!news) return uint64_t{0};
  }
  next_turn_ = now + options_.renew_every;
  next_watch_ = now + options_.watch_every;
  std::vector<std::pair<std::string, uint64_t>> holding;
  for (const auto& [name, h] : held_) holding.emplace_back(name, h.epoch);
  Result<LeaseView> view = table_.Renew(me_, names, holding, options_.ttl);
  if (!view.ok()) return view.error();
  view_ = std::move(view).value();
  distrusted_ = false;
  // Still ours: what the table says we hold at the epoch we took it at.
  std::map<std::string, Held> still;
  for (const LeaseInfo& lease : view_.leases) {
    auto it = held_.find(lease.name);
    if (it != held_.end() && lease.holder == me_.name && lease.epoch == it->second.epoch) still[lease.name] = it->second;
  }
  held_ = std::move(still);
  std::map<std::string, TimePoint> since;
  for (const auto& [name, h] : held_) since[name] = h.since;
  const std::set<std::string> exclude(me_.exclude_pools.begin(), me_.exclude_pools.end());
  const LeasePlan plan = PlanLeases(view_, me_.name, exclude, since, now, options_.hold);
  uint64_t granted_through = 0;
  for (const std::string& name : plan.take) {
    Result<std::optional<LeaseTaken>> taken =
        table_.Take(name, me_.name, options_.ttl, [&](uint64_t epoch) { return grant(name, epoch); });
    if (!taken.ok()) return taken.error();
    if (!*taken) continue;   // a live server got there first
    held_[name] = Held{(*taken)->epoch, now};
    granted_through = std::max(granted_through, (*taken)->lsn);
    Note(name, me_.name, (*taken)->epoch, false);
  }
  for (const std::string& name : plan.give_back) {
    auto it = held_.find(name);
    if (it == held_.end()) continue;
    if (Result<Unit> released = table_.Release(name, me_.name, it->second.epoch); !released.ok()) {
      return released.error();
    }
    Note(name, me_.name, it->second.epoch, true);
    held_.erase(it);
  }
  return granted_through;
}

}  // namespace rota
