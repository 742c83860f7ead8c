// Engine: the one owner of live state (DESIGN section 7). It takes validated jobs, decides which
// instances are ready, starts them through the Launcher within each pool's max_workers, turns exits
// into retries, skips, successes and failures, and publishes every change as an Event.
//
// Single-threaded: every method must be called from the same thread (the EngineLoop's, or a test's).
// The clock, launcher and sink are injected and must outlive the engine. The launcher must not call
// back into the engine from inside Launch(); its exits arrive later through OnRunExit().
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/job.h"
#include "engine/clock.h"
#include "engine/event.h"
#include "engine/job_state.h"
#include "engine/launcher.h"

namespace rota {

struct EngineOptions {
  int default_max_workers = 1;                 // pools a spec uses but does not list
  Duration kill_grace = std::chrono::seconds(5);  // SIGTERM, then SIGKILL after this
  std::string host = "local";                  // the `host` of events
  // `rota run`: signals come only from tasks (and --signal at start), so once every task that could
  // post a signal has ended without posting it, its waiters are skipped instead of waiting forever.
  // A server leaves this off: `rota signal KEY` may still come.
  bool signals_only_from_tasks = false;
};

struct SubmitOptions {
  std::string log_dir = ".rota/logs";
  bool teardown = false;   // a `rota stop` job: stop.* events; tasks without a command are no-ops
};

// Instance counts of one pool, for progress displays.
struct PoolView {
  std::string name;
  int max_workers = 0;
  std::array<uint32_t, 8> by_status{};  // indexed by InstanceStatus
  uint32_t count(InstanceStatus s) const { return by_status[static_cast<int>(s)]; }
};

class Engine {
 public:
  Engine(const Clock& clock, Launcher& launcher, EventSink& events, EngineOptions options);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Accepts a job and starts what is ready. REQUIRES: ValidateJob(spec) found no problem.
  JobId Submit(JobSpec spec, const SubmitOptions& options);

  // Posts a signal: every task waiting for `key` has that requirement met. Idempotent.
  void PostSignal(std::string_view key);

  // A run ended (success, failure, kill, or launch failure). Unknown or repeated runs are ignored.
  void OnRunExit(const RunExit& exit);

  // Cancels every unfinished job: nothing new starts; running process groups get SIGTERM, then
  // SIGKILL after kill_grace. Jobs end as cancelled once their runs have exited.
  void CancelAll(std::string_view reason);

  // Sends SIGKILL to every running run at once (a second Ctrl-C).
  void KillAll();

  // Handles every timer (timeouts, kill escalation, retry backoff) due at clock.Now().
  void FireTimers();
  std::optional<TimePoint> NextDeadline() const;

  bool AllFinished() const { return unfinished_jobs_ == 0; }
  const JobState& job(JobId id) const { return *jobs_[id]; }
  size_t job_count() const { return jobs_.size(); }
  std::vector<PoolView> Pools() const;
  size_t running() const { return running_; }

 private:
  struct PoolState {
    PoolView view;
    uint32_t running = 0;
    std::deque<uint64_t> ready;   // InstanceRefs, FIFO; entries no longer kReady are dropped
  };
  struct RunState {
    JobId job;
    uint32_t instance;
    bool active = true;
    bool timed_out = false;
    bool cancel_requested = false;
  };
  struct Timer {
    enum Kind { kRetry, kTimeout, kKill };
    TimePoint at;
    Kind kind;
    uint64_t target;   // RunId for kTimeout/kKill, InstanceRef for kRetry
    bool operator>(const Timer& o) const { return at > o.at; }
  };
  struct Pending {   // an instance whose final state still has to be propagated
    JobId job;
    uint32_t instance;
  };

  static uint64_t Ref(JobId job, uint32_t inst) { return (uint64_t{job} << 32) | inst; }

  uint32_t PoolIndex(const std::string& name, int max_workers);
  void SetStatus(JobState& job, InstanceState& inst, InstanceStatus status);
  void MakeReady(JobId id, uint32_t inst);
  void MaybeReady(JobId id, uint32_t inst);
  void ReleaseTask(JobId id, uint32_t task);
  void Dispatch();
  void DispatchDirtyPools();
  void HandleExit(const RunExit& exit);
  void Post(std::string_view key);
  void Start(JobId id, uint32_t inst);
  void Finish(JobId id, uint32_t inst, InstanceStatus status);
  void Skip(JobId id, uint32_t inst, std::string_view reason, bool unneeded = false);
  void SkipTask(JobId id, uint32_t task, std::string_view reason, bool unneeded);
  void SignalWillNotCome(const std::string& key, std::string_view reason, bool unneeded);
  void Propagate();
  void PropagateOne(JobId id, uint32_t inst);
  void TaskCompleted(JobId id, uint32_t task);
  void StopJob(JobId id, std::string_view reason);
  void MaybeFinishJob(JobId id);
  void Emit(EventType type, const JobState& job, const InstanceState* inst, int attempt = 0,
            std::optional<int> exit_code = {}, std::string_view reason = {});
  void EmitJob(EventType type, const JobState& job, std::string_view reason = {});
  std::string DescribeExit(const RunExit& exit, const RunState& run, const TaskSpec& task) const;

  const Clock& clock_;
  Launcher& launcher_;
  EventSink& events_;
  EngineOptions options_;

  std::vector<std::unique_ptr<JobState>> jobs_;
  std::vector<PoolState> pools_;
  std::unordered_map<std::string, uint32_t> pool_index_;
  std::vector<RunState> runs_;   // runs_[run - 1]
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::unordered_map<std::string, std::vector<std::pair<JobId, uint32_t>>> signal_waiters_;
  std::unordered_map<std::string, bool> posted_signals_;
  std::unordered_map<std::string, int> signal_posters_;  // unfinished tasks that post the key
  std::vector<Pending> pending_;   // worklist of Propagate(), so long chains never recurse
  std::vector<uint32_t> dirty_pools_;
  std::vector<RunId> noop_runs_;     // runs of empty commands, ended by Dispatch()
  uint64_t seq_ = 0;
  size_t running_ = 0;
  size_t unfinished_jobs_ = 0;
};

}  // namespace rota
