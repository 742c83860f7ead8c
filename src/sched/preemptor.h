// Preemptor: who may be preempted for whom (Preemption in schedule.h), and on which host the
// fewest runs make room for one instance. Keeps which runs this cycle has already preempted, how
// many more it may, and per host what preempted runs will free but no instance has claimed yet.
// That room is only ever given to instances that preempt (they are placed in a later cycle, once
// the runs have exited): a placement returned now must not land on resources still in use.
// Reads the ledger (shares, holdings) as it is at the moment of each search; the caller applies a
// choice to the ledger and the host index. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sched/host_index.h"
#include "sched/ledger.h"
#include "sched/schedule.h"

namespace rota::sched {

class Preemptor {
 public:
  // REQUIRES: `snapshot` and `ledger` outlive the Preemptor.
  Preemptor(const Snapshot& snapshot, const Ledger& ledger);

  // Preemption is on and the cycle's budget (Snapshot::max_preemptions) is not spent.
  bool active() const { return mode_ != Preemption::kOff && budget_ > 0; }

  struct Choice {
    uint32_t host = 0;
    std::vector<uint32_t> runs;  // indexes into Snapshot::running, newest first
  };
  // For one instance of `group` (whose queue x pool is `cell`) that fits on none of `hosts`: the
  // host where preempting the fewest eligible runs, newest first, makes enough room with its free
  // amount and what earlier preemptions left unclaimed there (ties: lowest index), among the
  // hosts whose total could hold the instance. Nothing if no host can.
  std::optional<Choice> Find(const PendingGroup& group, uint32_t cell,
                             std::span<const uint32_t> hosts, const HostIndex& index) const;
  // Marks the choice's runs preempted, spends budget on them and gives `need` the room: first
  // what the preempted runs free, then the host's free amount. Returns the part taken from the
  // free amount.
  Amount Commit(const Choice& choice, const Amount& need);

  uint32_t CellOf(uint32_t run) const { return run_cell_[run]; }

 private:
  struct Removed {  // what the runs chosen so far on one host take from one queue
    uint32_t queue;
    Usage all;             // in every pool
    double cores_in_pool;  // in the preempting instance's pool
  };
  // What the rank of a run is compared with: the preempting instance, as of this search.
  struct Claimant {
    const PendingGroup& group;
    uint32_t cell;
    double share_after;  // the group's queue's dominant share with the instance added
    bool below_size;     // the group's queue holds less than its size in the pool
  };
  std::optional<Choice> UnclaimedRoom(const Amount& need, std::span<const uint32_t> hosts,
                                      const HostIndex& index) const;
  bool RanksBelow(const Claimant& claimant, uint32_t run,
                  const std::vector<Removed>& removed) const;
  bool FairShareRanksBelow(const Claimant& claimant, uint32_t run,
                           const std::vector<Removed>& removed) const;

  const Snapshot& snapshot_;
  const Ledger& ledger_;
  Preemption mode_;
  size_t budget_;
  std::vector<uint32_t> first_run_;     // per host, into runs_by_host_; one past the end last
  std::vector<uint32_t> runs_by_host_;  // newest started first, then lowest run id
  std::vector<uint32_t> run_cell_;      // per run; unused for runs never eligible
  std::vector<char> preempted_;         // per run
  std::vector<Amount> unclaimed_;       // per host: freed by preemption, not yet given
  std::vector<uint32_t> hosts_with_unclaimed_;  // any order; some may have none left
  std::vector<char> listed_;                    // per host: in hosts_with_unclaimed_
};

}  // namespace rota::sched
