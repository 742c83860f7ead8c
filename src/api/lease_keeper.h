// LeaseKeeper: one server's side of the leases (DESIGN section 8, "Leases per pool"). Every
// second the server renews what it holds, takes free leases (nobody's, expired, or a dead
// server's) up to its fair share of the leases among the live servers, and gives back what it
// holds beyond that share once it has held it for `hold` (so that leases do not flap while
// servers come and go). Each take is a lease_granted change in the log, at a new epoch. Which
// leases to take and give back is PlanLeases, a pure function.
// Loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/clock.h"
#include "store/lease_table.h"

namespace rota {

struct LeaseOptions {
  std::chrono::milliseconds ttl{5000};           // a lease not renewed this long is free
  std::chrono::milliseconds renew_every{1000};
  std::chrono::milliseconds hold{10000};         // surplus is given back only after this
  // Between renewals, how often to ask the table for leases a dead server left (one query):
  // what bounds a takeover after a kill -9 when the advisory lock tells of it at once.
  std::chrono::milliseconds watch_every{200};
};

struct LeasePlan {
  std::vector<std::string> take;
  std::vector<std::string> give_back;
};

// What `me` should take and give back now. `held_since`: the leases it holds and since when. The
// fair share is the leases there are over the live servers, rounded up; a lease is free for `me`
// when it does not exclude it and nobody live holds it. Surplus goes back only when another live
// server could take it. Deterministic: leases in name order ("*farm" first).
LeasePlan PlanLeases(const LeaseView& view, const std::string& me, const std::set<std::string>& exclude,
                     const std::map<std::string, TimePoint>& held_since, TimePoint now,
                     std::chrono::milliseconds hold);

class LeaseKeeper {
 public:
  LeaseKeeper(LeaseTable& table, ServerInfo me, LeaseOptions options)
      : table_(table), me_(std::move(me)), options_(options) {}

  // Builds the log entry of a grant (a LeaseGranted change).
  using Grant = std::function<std::string(const std::string& name, uint64_t epoch)>;
  // One turn, if one is due (or forced, or `names` has one never seen, or a lease was abandoned
  // since the last look): renew, then take and give back per PlanLeases.
  // `names`: the leases there are (the pools, and kFarmLease). Returns the last lsn of the grants
  // it appended (0: none). Error when the table could not be reached (the leases held stay as
  // they were: they expire on their own if this lasts).
  Result<uint64_t> Turn(const std::vector<std::string>& names, TimePoint now, const Grant& grant, bool force = false);

  // name -> epoch of what this server holds.
  std::map<std::string, uint64_t> held() const;
  // Forget what is held (an append was fenced: a lease went elsewhere); the next turn, forced,
  // says what is left.
  void Distrust() { distrusted_ = true; }
  const LeaseView& view() const { return view_; }
  const ServerInfo& me() const { return me_; }

 private:
  // The view as this turn left it (what it took and gave back), for GET /v1/servers.
  void Note(const std::string& name, const std::string& holder, uint64_t epoch, bool expired);

  struct Held {
    uint64_t epoch = 0;
    TimePoint since;
  };
  LeaseTable& table_;
  const ServerInfo me_;
  const LeaseOptions options_;
  std::map<std::string, Held> held_;
  LeaseView view_;
  TimePoint next_watch_{};
  std::vector<std::string> abandoned_;   // what the last look found
  TimePoint next_turn_{};
  bool distrusted_ = false;
};

}  // namespace rota
