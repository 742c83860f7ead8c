// AgentCore: the agent's logic (docs/api.md "Agents"). One loop thread does everything about runs:
// it hears their exits (the launcher's descriptors in its epoll set, as `rota run` does), reports
// them in a request for work that brings back the next runs in the same round trip, starts those
// runs, delivers signals, and sends heartbeats. A second thread keeps one long poll parked on the
// server for work that no report brings (a new job while the agent is idle) and hands what it gets
// to the loop. A `kill` list in any answer SIGKILLs those runs unreported; a 404 from the server
// means it forgot this agent, which then registers again. Runs in flight are journaled
// (run_journal.h). It talks to the server only through an AgentTransport, so tests use a fake one.
//
// Why one thread: on a machine that is busy starting processes, each hand-off between threads is a
// wake-up and a context switch per run, and a process whose threads run on other CPUs pays for
// TLB shootdowns around every spawn; the long-poll thread sleeps in the server's answer.
//
// Threads: Create, RecoverLeftovers, Register, Start and Stop from one controlling thread. The
// core's own threads hold it by shared_ptr: one stuck in a transport call when Stop gives up on
// it is detached and keeps what it uses alive. REQUIRES: Stop() before the owner lets go, once
// Start() was called.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
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
  size_t max_batch = 10000;                    // reports per request
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

  // Starts the loop and the long-poll thread. REQUIRES: Register() succeeded.
  void Start();

  // Stops polling; SIGTERM to running process groups, SIGKILL after stop_grace; reports what it
  // can within flush_time; then joins the threads (detaching any stuck in the transport).
  void Stop();

 private:
  AgentCore(AgentConfig config, std::shared_ptr<AgentTransport> transport);

  // What the long-poll thread hands to the loop.
  struct Inbox {
    std::vector<WorkAnswer> work;
    bool register_again = false;
  };

  // The loop thread (agent_loop.cc).
  void Loop();
  void TakeInbox();
  // Ships the logs of pending reports, then sends the reports in a request for work and starts
  // what comes back (`take_work`), or only reports them (stopping). False when the server could
  // not be reached or did not answer every report.
  bool Report(bool take_work);
  void HandleWork(WorkAnswer answer);
  // Whether `a` comes from a server behind the log: it names an older epoch of its pool's lease
  // than an assignment from another server did. Such an assignment is refused (not started, not
  // reported): the server sends it again after a few heartbeats that do not list it.
  bool BehindTheLog(const Assignment& a);
  void StartRun(Assignment assignment);
  void SkipRuns(const std::vector<Assignment>& assignments);  // no_exec
  void DeliverSignal(const SignalOrder& order);
  void HandleKills(const std::vector<RunToken>& kill);
  void OnExit(RunExit exit);  // the launcher's sink: inside ReapReady or Launch, on the loop
  void Act(RunId run, RunTable::Action action);
  Result<Unit> ShipLog(const PendingReport& pending);
  void SendHeartbeat();
  // SIGTERM, then SIGKILL after the grace, and the exits heard.
  void TerminateRuns();
  // Reaps until no run is live or `deadline` passes; true when none is live.
  bool ReapUntil(std::chrono::steady_clock::time_point deadline);
  // Registers again after a 404, with backoff until it works or the agent stops.
  void Reregister();

  // The long-poll thread.
  void PollLoop();

  void Failed(const Error& error);  // 404: register again; else note it
  void Wake();
  bool Stopping();
  bool WaitUnlessStopping(std::chrono::milliseconds delay);  // false when stopping

  const AgentConfig config_;
  const std::shared_ptr<AgentTransport> transport_;
  const std::string logs_root_;
  RunJournal journal_;
  ConnectionWatch watch_;
  int wake_fd_ = -1;   // eventfd: the inbox has something, or Stop

  // Loop thread only (and the controlling thread before Start).
  RunTable table_;
  bool register_again_ = false;
  std::map<std::string, uint64_t> lease_epochs_;   // pool -> the newest lease epoch seen

  std::mutex mu_;
  std::condition_variable cv_;                 // stopping_ and done_
  Inbox inbox_;                                // GUARDED_BY(mu_)
  std::string agent_id_;                       // GUARDED_BY(mu_)
  std::chrono::milliseconds heartbeat_{2000};  // GUARDED_BY(mu_)
  bool started_ = false;                       // GUARDED_BY(mu_)
  bool stopping_ = false;                      // GUARDED_BY(mu_)
  unsigned done_ = 0;  // GUARDED_BY(mu_); bits of threads that ended

  std::thread loop_, poller_;                  // controlling thread only
  std::unique_ptr<ProcessLauncher> launcher_;  // last: destroyed first; null when no_exec
};

}  // namespace rota::agent
