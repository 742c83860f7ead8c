// RunTable: what the agent knows about each run it was given, from the assignment until the
// server has answered its exit report, and the ids of recently finished runs, so that an
// assignment repeated by the server is ignored (an agent starts a run at most once).
// Pure bookkeeping, no I/O; not thread-safe (AgentCore guards it with its mutex).
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "agent/transport.h"
#include "core/launcher.h"

namespace rota::agent {

// An exit report waiting for the server, and the run's log (the agent's own file, not sent:
// shipped before the report; "" when there is none or it was shipped).
struct PendingReport {
  RunReport report;
  std::string log_path;
};

class RunTable {
 public:
  // What the caller must do after a change.
  enum class Action {
    kNothing,
    kReport,  // a report was queued: wake the reporter
    kKill,    // SIGKILL the run's process group: the server no longer wants it
    kForget,  // the run is over for good: remove its journal entry
  };

  // Claims the run for starting. False when this process has seen the run before.
  bool Claim(RunToken token);
  // The claimed run's process was launched and (if `journaled`) its journal entry written: it
  // now counts as running. Returns kReport if it already exited meanwhile, kKill if the server
  // asked meanwhile for it to be killed.
  Action Started(RunId run, bool journaled);
  // The run exited, or could not start. Kept quiet until Started while the run is starting.
  Action Exited(const RunExit& exit);
  // Queues a report for a run without a process here (lost, or no_exec); `listed`: name it in
  // the running list until the server answers. False when the run was seen before.
  bool AddReport(RunReport report, std::string log_path, bool listed, bool journaled);
  // The server's kill list names the run: kKill while it runs, kForget for a pending report
  // (dropped: the server does not want to hear about it).
  Action Kill(RunId run);
  // The server answered the run's report (ok, stale_run or not_found): it is done.
  Action Accepted(RunId run);
  // The run's log was shipped, or refused for good: a retry does not ship it again.
  void LogShipped(RunId run);

  // Started, not exited, not killed; `token.epoch` 0 matches any epoch.
  bool IsRunning(RunToken token) const;
  // What heartbeats list: started runs not killed, including those whose report is pending.
  std::vector<RunToken> Running() const;
  // Up to `max` queued reports, by run id.
  std::vector<PendingReport> PendingReports(size_t max) const;
  bool HasPending() const { return !pending_.empty(); }
  // Claimed runs not yet Started.
  size_t Starting() const { return starting_; }
  // Runs whose exit has not been heard yet (starting or running).
  size_t Live() const;
  // Runs known and not yet answered by the server.
  size_t Size() const { return entries_.size(); }

 private:
  enum class Phase { kStarting, kRunning, kExited };
  struct Entry {
    RunToken token;
    Phase phase = Phase::kStarting;
    bool killed = false;
    bool listed = true;
    bool journaled = false;
    std::optional<RunReport> report;  // set once the run exited
    std::string log_path;             // its log, until shipped
  };
  using Entries = std::unordered_map<RunId, Entry>;

  bool Seen(RunId run) const { return entries_.contains(run) || finished_.contains(run); }
  Action Queue(Entry& entry);  // the entry has its report: queue it, or forget a killed run
  Action Finish(Entries::iterator it);
  void Remember(RunId run);

  Entries entries_;
  std::set<RunId> pending_;  // runs with a report to send, by run id
  size_t starting_ = 0;
  // Finished runs, newest last; bounded: a repeat arrives within seconds, not 100k runs later.
  static constexpr size_t kRemembered = 100000;
  std::unordered_set<RunId> finished_;
  std::deque<RunId> finished_order_;
};

}  // namespace rota::agent
