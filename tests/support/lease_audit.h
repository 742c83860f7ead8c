// LeaseAudit: reads the log of several servers' PostgreSQL database behind their backs and checks
// what fencing promises (DESIGN section 8): every lease's epochs only grow, and every committed
// placement names the leases it was made under at their newest epoch at that point of the log.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <string>

#include "engine/change.h"

namespace rota::testing {

struct LeaseAudit {
  std::string problem;                   // "" when every check held
  size_t placement_entries = 0;          // Placements entries that placed or preempted something
  size_t grants = 0;
  std::map<std::string, uint64_t> newest;   // lease -> its newest epoch in the log
  uint64_t first_lsn = 0;                // the log may start above 1 (compacted below a snapshot)
};

inline LeaseAudit AuditLeases(const std::string& database_url) {
  LeaseAudit audit;
  auto fail = [&](uint64_t lsn, const std::string& why) {
    if (audit.problem.empty()) audit.problem = "lsn " + std::to_string(lsn) + ": " + why;
  };
  pqxx::connection c(database_url);
  pqxx::nontransaction tx(c);
  const pqxx::result log = tx.exec("SELECT lsn, entry FROM log ORDER BY lsn");
  for (const pqxx::row& row : log) {
    const auto lsn = row[0].as<uint64_t>();
    if (audit.first_lsn == 0) audit.first_lsn = lsn;
    const pqxx::binarystring bytes(row[1]);
    Result<Change> change = DecodeChange(bytes.str());
    if (!change.ok()) {
      fail(lsn, "cannot be read: " + change.error().message);
      continue;
    }
    if (const auto* grant = std::get_if<change::LeaseGranted>(&change->what)) {
      ++audit.grants;
      uint64_t& newest = audit.newest[grant->name];
      if (grant->epoch <= newest) {
        fail(lsn, grant->name + " granted to " + grant->holder + " at epoch " + std::to_string(grant->epoch) +
                      ", not above " + std::to_string(newest));
      }
      newest = grant->epoch;
    } else if (const auto* placed = std::get_if<change::Placements>(&change->what)) {
      if (placed->placements.empty() && placed->preempted.empty()) continue;
      ++audit.placement_entries;
      if (placed->fence.empty()) fail(lsn, "placements fenced by no lease");
      for (const auto& [name, epoch] : placed->fence) {
        auto it = audit.newest.find(name);
        if (it == audit.newest.end()) {
          if (audit.first_lsn == 1) fail(lsn, "placements under " + name + ", never granted");
        } else if (epoch != it->second) {
          fail(lsn, "placements under " + name + " at epoch " + std::to_string(epoch) + ", stale: the newest is " +
                        std::to_string(it->second));
        }
      }
    }
  }
  return audit;
}

}  // namespace rota::testing
