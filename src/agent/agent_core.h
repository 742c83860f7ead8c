// AgentCore: the agent's logic (docs/api.md "Agents"). A work thread long-polls for assignments,
// starts each run at most once and delivers signals; a heartbeat thread sends the running list;
// a reporter thread ships logs and batches exit reports, retrying for as long as the server is
// away. A `kill` list in any answer SIGKILLs those runs unreported; a 404 from the server means
// it forgot this agent, which then registers again. Runs in flight are journaled (run_journal.h).
// It talks to the server only through an AgentTransport, so tests use a fake one.
//
// Threads: Create, RecoverLeftovers, Register, Start and Stop from one controlling thread. The
// core's own threads hold it by shared_ptr: one stuck in a transport call when Stop gives up on
// it is detached and keeps what it uses alive. REQUIRES: Stop() before the owner lets go, once
// Start() was called.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/connection_watch.h"
#include "agent/log_shipping.h"
#include "agent/resources.h"
#include "agent/run_journal.h"
#include "agent/run_table.h"
#include "agent/transport.h"
#include "exec/process_launcher.h"

namespace rota::agent {

struct AgentConfig {
  std::string name;
  std::string server;  // for messages: "http://127.0.0.1:7070"
  HostResources resources;
  std::vector<std::string> pools;
  std::vector<std::string> tags;
  std::string work_dir;   // runs/ (the journal) and logs/ go under it
  bool no_exec = false;   // report every assignment as exited 0 without starting anything
  NoteSink note;          // one line per notable thing; empty: quiet
  bool note_runs = true;  // also one line per started run
  std::chrono::milliseconds poll_wait{30000};
  int poll_max = 1000;
  std::chrono::milliseconds retry_first{100};  // backoff while the server is away
  std::chrono::milliseconds retry_max{5000};
  std::chrono::milliseconds stop_grace{5000};  // SIGTERM to SIGKILL when stopping
  std::chrono::milliseconds flush_time{2000};  // reporting what is left when stopping
  size_t max_batch = 10000;                    // reports per status request
  int64_t max_log_bytes = kMaxShippedLog;
};

class AgentCore : public std::enable_shared_from_this<AgentCore> {
 public:
  static std::shared_ptr<AgentCore> Create(AgentConfig config,
                                           std::shared_ptr<AgentTransport> transport);
  ~AgentCore();
  AgentCore(const AgentCore&) = delete;
  AgentCore& operator=(const AgentCore&) = delete;

  // Reads what a previous agent process left in the journal: SIGKILLs those process groups (their
  // exits cannot be followed) and queues the runs as lost, "agent restarted". Returns how many.
  // Error code "journal" when the journal directory cannot be made or read.
  Result<size_t> RecoverLeftovers();

  // One registration attempt, with the running list. Honours the answer's kill list.
  Result<RegisterAnswer> Register();

  // Starts the work, heartbeat and reporter threads. REQUIRES: Register() succeeded.
  void Start();

  // Stops polling; SIGTERM to running process groups, SIGKILL after stop_grace; reports what it
  // can within flush_time; then joins the threads (detaching any stuck in the transport).
  void Stop();

 private:
  AgentCore(AgentConfig config, std::shared_ptr<AgentTransport> transport);

  // Threads.
  void WorkLoop();
  void HeartbeatLoop();
  void ReportLoop();
  void ThreadDone(unsigned bit);

  // Work.
  void StartRun(Assignment assignment);
  void SkipRuns(const std::vector<Assignment>& assignments);  // no_exec
  void DeliverSignal(const SignalOrder& order);
  void HandleKills(const std::vector<RunToken>& kill);
  void OnExit(RunExit exit);  // the launcher's sink: reaper thread, or inside Launch
  void Act(RunId run, RunTable::Action action);

  // Reporting.
  bool Deliver(const std::vector<PendingReport>& batch, const std::string& agent, uint64_t generation);
  Result<Unit> ShipLog(const PendingReport& pending);

  // Server.
  void Failed(const Error& error, uint64_t generation);  // 404: Reregister; else note it
  void Reregister(uint64_t generation);
  void TerminateRuns();
  bool WaitUnlessStopping(std::chrono::milliseconds delay);  // false when stopping

  const AgentConfig config_;
  const std::shared_ptr<AgentTransport> transport_;
  const std::string logs_root_;
  RunJournal journal_;
  ConnectionWatch watch_;
  std::mutex register_mu_;  // one re-registration at a time

  std::mutex mu_;
  std::condition_variable cv_;                 // any change below, and every exit
  RunTable table_;                             // GUARDED_BY(mu_)
  std::string agent_id_;                       // GUARDED_BY(mu_)
  std::chrono::milliseconds heartbeat_{2000};  // GUARDED_BY(mu_)
  uint64_t generation_ = 0;                    // GUARDED_BY(mu_); counts registrations
  bool started_ = false;                       // GUARDED_BY(mu_)
  bool stopping_ = false;                      // GUARDED_BY(mu_)
  bool flushing_ = false;  // GUARDED_BY(mu_); Stop: report what is left, then end
  std::chrono::steady_clock::time_point flush_deadline_;  // GUARDED_BY(mu_)
  unsigned done_ = 0;  // GUARDED_BY(mu_); bits of threads that ended

  std::thread work_, heartbeat_thread_, reporter_;  // controlling thread only
  std::unique_ptr<ProcessLauncher> launcher_;       // last: destroyed first; null when no_exec
};

}  // namespace rota::agent
