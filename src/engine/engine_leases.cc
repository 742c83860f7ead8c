// Leases (DESIGN section 8, "Several servers, one PostgreSQL"): which server places in which pool.
// The log's LeaseGranted changes say who holds each lease at which epoch; a placement carries the
// epochs its proposer held (its fence) and stands only at the newest ("fencing twice": the store
// checked the same at the append). The proposer's side, which leases this server holds, steers
// its own cycles and timers and is no state of the log.
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

void Engine::ApplyWhat(const Change& c, const change::LeaseGranted& what) {
  Lease& lease = leases_[what.name];
  if (what.epoch <= lease.epoch) return Drop(c);   // an older grant overtaken in the log
  lease.holder = what.holder;
  lease.epoch = what.epoch;
  cycle_needed_ = true;   // its pools may have waited for a holder
}

bool Engine::Fenced(uint32_t pool, const std::vector<std::pair<std::string, uint64_t>>& fence) const {
  auto lease = leases_.find(farm_pools_[pool]);
  if (lease == leases_.end()) return true;   // never leased: one server, which holds everything
  for (const auto& [name, epoch] : fence) {
    if (name == lease->first) return epoch == lease->second.epoch;
  }
  return false;
}

void Engine::SetOwnedLeases(std::optional<std::map<std::string, uint64_t>> owned) {
  if (owned == owned_) return;
  // A cycle under way, or a result not yet proposed whole, was decided over the leases held
  // before: a pool lost must see nothing more of it, a pool gained was not in it. Both go, and a
  // full cycle over what is held now runs at once (Armada's runner reset on a leadership change).
  if (runner_) runner_->Reset();
  result_.reset();
  cycle_needed_ = true;
  owned_ = std::move(owned);
}

bool Engine::Owns(std::string_view lease) const {
  return !owned_ || owned_->count(std::string(lease)) > 0;
}

}  // namespace rota
