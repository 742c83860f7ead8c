// LeaseTable: what several servers sharing one log need to agree on besides the log (DESIGN
// section 8): which servers are alive, and who holds which lease (a pool, or the farm-wide one)
// at which epoch. PostgresStore is one; a server alone on SQLite needs none (it holds everything).
//
// Times are the database's clock, so servers with skewed clocks agree on who expired. A lease is
// free when nobody holds it, when its holder did not renew it within its ttl, or when its holder
// is dead (its advisory lock is free: a `kill -9` is seen at once, not after the ttl).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace rota {

struct ServerInfo {
  std::string name;                          // unique among the servers (--name)
  std::string url;                           // where clients and agents reach it
  std::vector<std::string> exclude_pools;    // never leased by it
  std::vector<std::string> exclude_queues;   // never placed by it
  // Holds an advisory lock while it lives, so that others see it die at once (a `kill -9` ends
  // its connection); without, a dead server is seen when it has not renewed within the ttl.
  bool locks = true;
  int64_t started_us = 0;
  int64_t renewed_us = 0;                    // its last renewal (database clock)
  bool alive = false;                        // renewed within the ttl, and its lock held
};

struct LeaseInfo {
  std::string name;
  std::string holder;    // "" when nobody ever held it, or it was given back
  uint64_t epoch = 0;
  int64_t expires_us = 0;
  bool expired = false;  // by the database's clock
};

struct LeaseView {
  std::vector<ServerInfo> servers;   // by name
  std::vector<LeaseInfo> leases;     // by name
  int64_t now_us = 0;                // the database's clock
};

// What Take did.
struct LeaseTaken {
  uint64_t epoch = 0;   // the new epoch
  uint64_t lsn = 0;     // where its grant is in the log
};

class LeaseTable {
 public:
  virtual ~LeaseTable() = default;

  // Marks `me` alive (and holds its advisory lock from now on), makes lease rows for `names` not
  // known yet, and extends by `ttl` the leases `me` holds at the epochs in `held` (name, epoch):
  // a lease this process did not take, or that was taken from it, is not extended. Returns the
  // servers and leases as they are now.
  virtual Result<LeaseView> Renew(const ServerInfo& me, const std::vector<std::string>& names,
                                  const std::vector<std::pair<std::string, uint64_t>>& held,
                                  std::chrono::milliseconds ttl) = 0;
  // Takes lease `name` for `me` if it is free (see above), at the next epoch, for `ttl`; in the
  // same transaction appends `grant(epoch)` to the log, so that every server learns of it in log
  // order. nullopt when a live server holds it.
  virtual Result<std::optional<LeaseTaken>> Take(const std::string& name, const std::string& me,
                                                 std::chrono::milliseconds ttl,
                                                 const std::function<std::string(uint64_t epoch)>& grant) = 0;
  // Gives `name` back (it expires now) if `me` holds it at `epoch`.
  virtual Result<Unit> Release(const std::string& name, const std::string& me, uint64_t epoch) = 0;
  // The leases another server holds that are free for the taking all the same: expired, or held
  // by a server that is not alive (its advisory lock gone, or silent for `ttl`). One cheap query,
  // asked between renewals so that a dead holder's leases are taken at once, not at the next.
  virtual Result<std::vector<std::string>> Abandoned(const std::string& me, std::chrono::milliseconds ttl) = 0;
};

}  // namespace rota
