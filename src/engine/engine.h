// Engine: the one owner of live state (DESIGN sections 7 and 8). A deterministic state machine:
// Apply(const Change&) is its only mutator. It takes validated jobs, decides which instances are
// ready, starts them through the Launcher within each pool's max_workers (or places them where a
// scheduling result says, in server mode), turns exits into retries, skips, successes and
// failures, and publishes every transition as an Event whose time is the change's and whose seq
// is assigned in Apply order.
//
// Apply reads no clock. The proposer side (DueChanges, ProposePlacements, FireEffects and the
// clock-stamped shorthands Submit, OnRunExit, ... that `rota run` and tests use) does: it decides
// what to apply next, never how state changes.
//
// Effects (Launch, Signal) are the only output besides events; between BeginReplay and EndReplay
// there are none, so a log can be replayed into a fresh engine without starting anything.
//
// Single-threaded: every method must be called from the same thread (the EngineLoop's, or a test's).
// The clock, launcher and sink are injected and must outlive the engine. The launcher must not call
// back into the engine from inside Launch(); its exits arrive later through OnRunExit().
#pragma once

#include <array>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/job.h"
#include "engine/change.h"
#include "engine/clock.h"
#include "engine/event.h"
#include "engine/hosts.h"
#include "engine/job_state.h"
#include "engine/periodic_state.h"
#include "core/launcher.h"
#include "engine/sched_runner.h"
#include "sched/sched_config.h"

namespace rota {

struct EngineOptions {
  int default_max_workers = 1;                 // pools a spec uses but does not list
  Duration kill_grace = std::chrono::seconds(5);  // SIGTERM, then SIGKILL after this
  std::string host = "local";                  // the `host` of events
  // `rota run`: signals come only from tasks (and --signal at start), so once every task that could
  // post a signal has ended without posting it, its waiters are skipped instead of waiting forever.
  // A server leaves this off: `rota signal KEY` may still come.
  bool signals_only_from_tasks = false;
  // Server mode: instances are placed on hosts (UpsertHost) by src/sched in RunCycle() instead of
  // started as pool slots free up; a job's pools are its own (max_workers caps that job's
  // instances; a pool it does not list is unlimited); runs carry `epoch` as their fencing epoch.
  bool placement = false;
  uint64_t epoch = 1;
  Duration heartbeat_timeout = std::chrono::seconds(30);  // a host silent this long is lost
  // Server mode: the scheduling algorithm; null means sched::Schedule. Tests inject one they can
  // hold and release, to act while an async cycle runs.
  SchedRunner<sched::Snapshot, sched::Decisions>::Algorithm algorithm;
};

struct SubmitOptions {
  std::string log_dir = ".rota/logs";
  bool teardown = false;   // a `rota stop` job: stop.* events; tasks without a command are no-ops
  std::string schedule;    // the schedule firing it (its events name it)
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

  // The only mutator: applies one change at its own time (change.ts_us). Never fails: a change
  // that no longer applies (a report with a stale token, a placement for an instance cancelled
  // meanwhile) is dropped and counted in dropped().
  void Apply(const Change& change);
  // Called with every change before it is applied (tests record the log with it).
  void set_change_tap(std::function<void(const Change&)> tap) { change_tap_ = std::move(tap); }
  // Changes dropped at apply, by kind (rota_changes_dropped_total{kind}).
  const std::map<std::string, uint64_t>& dropped() const { return dropped_; }
  // Proposer: what time has made due by `now_us` (timeouts, backoffs over) and hosts silent for
  // heartbeat_timeout by the monotonic `now`. Changes nothing; each applies at `now_us`.
  std::vector<Change> DueChanges(int64_t now_us, TimePoint now) const;
  // Effects: SIGKILL to runs whose kill grace ran out by `now_us`.
  void FireEffects(int64_t now_us);
  // Between these two, Apply starts and signals nothing. EndReplay then sends the runs still
  // active to their launcher again (an agent ignores a run it already has), signals again those
  // that were being cancelled, timed out or preempted, and gives every host a full heartbeat
  // timeout from `now` to come back.
  void BeginReplay() { replaying_ = true; }
  void EndReplay(TimePoint now);

  // Snapshots (engine_snapshot.cc): the whole state Apply built, canonically encoded (equal
  // states, equal bytes). REQUIRES for EncodeSnapshot: every job was submitted with its text.
  // LoadSnapshot REQUIRES a new engine; error "bad_snapshot" when the bytes cannot be read back.
  std::string EncodeSnapshot() const;
  Result<Unit> LoadSnapshot(std::string_view bytes);

  // --- Shorthands: each stamps one change with the clock and applies it (`rota run`, tests) -----
  JobId Submit(JobSpec spec, const SubmitOptions& options);   // REQUIRES: ValidateJob passed
  void PostSignal(std::string_view key);
  // A run ended. In server mode the token is the run's own (a shorthand for a report that is
  // known to be current); unknown or repeated runs are dropped.
  void OnRunExit(const RunExit& exit);
  // Cancels every unfinished job: nothing new starts; running process groups get SIGTERM, then
  // SIGKILL after kill_grace. Jobs end as cancelled once their runs have exited.
  void CancelAll(std::string_view reason);
  // The same for one job. No-op for a finished job.
  void Cancel(JobId id, std::string_view reason);
  // Server mode: sends a finished job that did not succeed round again. What succeeded stays
  // done; every other instance runs again from attempt 1 (OpenCue's "retry dead frames").
  // Returns false (and changes nothing) for an unfinished or successful job.
  bool Retry(JobId id);
  // Applies what is due now (DueChanges) and fires due effects.
  void FireTimers();
  // The earliest of every deadline: timeouts, backoffs, kill escalations, host heartbeats.
  std::optional<TimePoint> NextDeadline() const;
  // The time a shorthand stamps its change with.
  int64_t NowMicros() const { return clock_.UnixMicros(); }

  // --- Server mode (options.placement) ---------------------------------------------------------
  // The scheduling cycle (engine_cycle.cc), proposer side. Returns the next slice of a result the
  // runner has ready, if any; then, if anything changed since the last snapshot and the runner is
  // idle, takes a snapshot and hands it to the runner: in sync mode its result is ready at once
  // (the next call returns it); in async mode `cycle_wake` says when. Applying the slice reconciles
  // it (decisions for instances no longer ready, hosts gone or full now, and whole gangs with any
  // such member are dropped).
  std::optional<change::Placements> ProposePlacements();
  // A proposed slice that never got applied (the log refused it): cycle again.
  void PlacementsLost() { cycle_needed_ = true; }
  // Shorthand: proposes and applies until nothing is left to place now.
  void RunCycle();
  // Called on the runner's thread when an async result is ready: it must wake the loop (which then
  // calls RunCycle). Set before the first cycle.
  void set_cycle_wake(std::function<void()> wake) { cycle_wake_ = std::move(wake); }
  // The scheduler settings; the next cycle uses them (a cycle under way finishes with the old ones).
  void SetSchedConfig(sched::SchedConfig config);
  const sched::SchedConfig& sched_config() const { return sched_config_; }
  // Publishes config.changed for one key.
  void AnnounceConfig(std::string_view key, std::string_view value);
  // Cancels a cycle under way and waits for the runner's thread to end. Call before whatever
  // cycle_wake touches goes away; later cycles run again (a new runner).
  void StopCycles();
  struct CycleStats {
    uint64_t cycles = 0;               // results applied
    uint64_t decisions_applied = 0;    // placements started and preemptions sent
    uint64_t decisions_dropped = 0;    // dropped by reconciliation
    uint64_t preemptions = 0;          // runs preempted
    RunnerState runner_state = RunnerState::kIdle;
  };
  CycleStats cycle_stats() const;
  // How long the algorithm took in each cycle applied since the last call (for the histogram).
  std::vector<double> TakeSchedDurations() { return std::exchange(sched_durations_, {}); }
  // Shorthand: a host registered (again): it is alive, with these resources, and seen now.
  // Returns its index.
  uint32_t UpsertHost(HostInfo info);
  // A heartbeat: soft state of the proposer (not a change), for DueChanges. False when the host
  // is unknown.
  bool TouchHost(std::string_view name, TimePoint now);
  bool TouchHost(std::string_view name) { return TouchHost(name, clock_.Now()); }
  // Shorthand: the host is gone: its active runs end as lost (and are retried within their budget).
  void LoseHost(std::string_view name, std::string_view reason);
  uint64_t epoch() const { return epoch_; }

  // Leases (several servers; engine_leases.cc). The newest grant of each lease, as the log has it.
  struct Lease {
    std::string holder;
    uint64_t epoch = 0;
  };
  const std::map<std::string, Lease>& leases() const { return leases_; }
  // The proposer's side: the leases this server holds (name -> epoch). Its cycles place only in
  // those pools, its timers fire only there (and the farm-wide ones with kFarmLease), and its
  // placements carry them as their fence. nullopt (the default): everything, unfenced (one server).
  void SetOwnedLeases(std::optional<std::map<std::string, uint64_t>> owned);
  bool Owns(std::string_view lease) const;
  // The proposer's side too: queues this server never places (`rota server --exclude-queues`),
  // on top of the farm-wide `exclude.queues` setting.
  void SetLocalExcludedQueues(std::set<std::string> queues) { local_excluded_queues_ = std::move(queues); }
  // The farm pools the jobs use so far, in first-seen order (what leases are for).
  const std::vector<std::string>& farm_pools() const { return farm_pools_; }

  // Time-driven work (issue 11; engine_schedules.cc, engine_watchdogs.cc).
  const std::map<std::string, ScheduleState>& schedules() const { return schedules_; }
  const std::map<std::string, ExpectationState>& expectations() const { return expectations_; }
  const std::map<std::string, HookState>& hooks() const { return hooks_; }
  // The newest job of that name ever accepted (retired ones too).
  std::optional<JobId> LatestJob(const std::string& name) const {
    auto it = latest_job_.find(name);
    return it == latest_job_.end() ? std::nullopt : std::optional<JobId>(it->second);
  }
  // What the jobs a task waits for are (`{job: X}`), for `rota show`: "" when none is awaited.
  std::string AwaitedJobs(JobId id, uint32_t task) const;

  const std::map<std::string, std::string>& config() const { return config_; }
  uint64_t last_seq() const { return seq_; }
  const std::vector<HostState>& hosts() const { return hosts_; }
  bool HostAlive(std::string_view name) const {
    const int h = HostIndex(name);
    return h >= 0 && hosts_[h].alive;
  }
  bool SignalPosted(const std::string& key) const { return posted_signals_.count(key) > 0; }
  // Of the runs a host says it has, those the engine no longer wants there (ended, or never its).
  std::vector<RunToken> UnwantedRuns(std::string_view host, std::span<const RunToken> reported) const;
  // Checks a report's fencing token: "" if `run` is active on `host` with `epoch`, else why not.
  std::string CheckToken(RunId run, uint64_t epoch, std::string_view host) const;
  RunView Run(RunId run) const;
  // The runs active on `host`, with their epochs.
  std::vector<RunToken> ActiveRuns(std::string_view host) const;
  // Hands an active run to its launcher again (an assignment that never reached its agent).
  void Relaunch(RunId run);
  RunId last_run() const { return last_run_; }
  // Why an unfinished instance is not running, exactly (docs/api.md "why"); "" when it runs.
  std::string WhyPending(JobId id, uint32_t instance) const;

  // Sends SIGKILL to every running run at once (a second Ctrl-C).
  void KillAll();

  bool AllFinished() const { return unfinished_jobs_ == 0; }
  // REQUIRES: the job is not retired (see find_job).
  const JobState& job(JobId id) const { return *jobs_[id]; }
  // Null for a job that is retired (or unknown).
  const JobState* find_job(JobId id) const { return id < jobs_.size() ? jobs_[id].get() : nullptr; }
  // Every job ever accepted, retired ones included (ids are below this).
  size_t job_count() const { return jobs_.size(); }
  // Called with a job just before it is retired (the server archives it).
  void set_retire_observer(std::function<void(const JobState&)> observer) { retire_observer_ = std::move(observer); }
  std::vector<PoolView> Pools() const;
  size_t running() const { return running_; }

 private:
  struct PoolState {
    PoolView view;
    uint32_t farm_pool = 0;       // server mode: index into farm_pools_ (the pool hosts serve)
    uint32_t running = 0;
    std::deque<uint64_t> ready;   // InstanceRefs, FIFO; entries no longer kReady are dropped
  };
  // An active run: ended runs leave memory (what a report about one gets is "has ended").
  struct RunState {
    JobId job;
    uint32_t instance;
    bool active = true;        // false only while its end is being handled
    bool timed_out = false;
    bool cancel_requested = false;
    bool preempted = false;    // the scheduler preempted it: requeue without spending a retry
    int64_t timeout_at = 0;    // when its timeout is due (0: none)
    uint32_t host = kNoHost;   // server mode: index into hosts_
    uint64_t epoch = 0;
  };
  static constexpr uint32_t kNoHost = ~0u;
  // Deadlines are state (a timeout or a backoff is due at a time decided in Apply); kill
  // escalation is an effect. Deadline keys: a RunId for a timeout, kBackoffKey | InstanceRef for a
  // backoff.
  static constexpr uint64_t kBackoffKey = uint64_t{1} << 63;
  void AddDeadline(uint64_t key, int64_t at);
  void RemoveDeadline(uint64_t key);
  void Drop(const Change& change) { ++dropped_[ChangeKindName(change)]; }
  // The variant's alternatives, one each (engine_apply.cc).
  void ApplyWhat(const Change& c, const change::JobSubmitted& what);
  void ApplyWhat(const Change& c, const change::CancelRequested& what);
  void ApplyWhat(const Change& c, const change::JobRetried& what);
  void ApplyWhat(const Change& c, const change::SignalPosted& what);
  void ApplyWhat(const Change& c, const change::ConfigSet& what);
  void ApplyWhat(const Change& c, const change::EpochStarted& what);
  void ApplyWhat(const Change& c, const change::HostRegistered& what);
  void ApplyWhat(const Change& c, const change::HostLost& what);
  void ApplyWhat(const Change& c, const change::Placements& what);
  void ApplyWhat(const Change& c, const change::RunEnded& what);
  void ApplyWhat(const Change& c, const change::TimeoutDue& what);
  void ApplyWhat(const Change& c, const change::BackoffOver& what);
  void ApplyWhat(const Change& c, const change::JobsRetired& what);
  void ApplyWhat(const Change&, const change::HostsSeen&) {}   // for the servers: no state
  void ApplyWhat(const Change& c, const change::LeaseGranted& what);
  void ApplyWhat(const Change& c, const change::ScheduleSet& what);
  void ApplyWhat(const Change& c, const change::ScheduleRemoved& what);
  void ApplyWhat(const Change& c, const change::SchedulePaused& what);
  void ApplyWhat(const Change& c, const change::ScheduleFired& what);
  void ApplyWhat(const Change& c, const change::ScheduleMissed& what);
  void ApplyWhat(const Change& c, const change::ExpectationSet& what);
  void ApplyWhat(const Change& c, const change::ExpectationRemoved& what);
  void ApplyWhat(const Change& c, const change::ExpectationDue& what);
  void ApplyWhat(const Change& c, const change::HookSet& what);
  void ApplyWhat(const Change& c, const change::HookRemoved& what);
  void ApplyWhat(const Change& c, const change::HookDelivered& what);
  // engine_schedules.cc: a slot's job, overlap, and when each schedule is due next.
  void FireSlot(const std::string& name, ScheduleState& s, int64_t slot);
  void SubmitSlot(const std::string& name, ScheduleState& s, int64_t slot);
  void UpdateScheduleDue(const std::string& name, ScheduleState& s);
  void ScheduledJobFinished(const JobState& job);
  void EmitSchedule(EventType type, const std::string& name, int64_t slot, const JobState* job = nullptr,
                    int64_t count = 0, std::string_view reason = {});
  void DueSchedules(int64_t now_us, std::vector<Change>& due) const;
  // engine_watchdogs.cc: every event goes to the sink through Publish, which also tells the
  // watchdogs (whose own alert events do not come back to them).
  void Publish(const Event& event);
  // An event of `type` at the change being applied, with the next seq and this engine's host.
  Event NextEvent(EventType type) {
    Event e;
    e.seq = ++seq_;
    e.ts_us = now_us_;
    e.type = type;
    e.host = options_.host;
    return e;
  }
  void UpdateExpectationDue(const std::string& name, ExpectationState& e);
  void EmitAlert(EventType type, const std::string& name, std::string_view reason);
  // engine_job_waits.cc: `{job: X}` requirements.
  void WaitForJobs(JobId id, std::vector<std::pair<uint32_t, std::string>>& skips);
  void NameJob(JobId id);
  void SettleJobWaiters(const JobState& job);
  void ForgetJobWaiters(JobId id);   // the job retires, or is installed again by a retry
  void NameJobsOfOldSnapshot();      // a snapshot from before version 3 (retired jobs stay unknown)
  // engine_snapshot_periodic.cc: the snapshot's section of the above (version 3).
  void EncodePeriodic(ByteWriter& w) const;
  Result<Unit> LoadPeriodic(ByteReader& r);   // the job retires, or is installed again by a retry
  // Whether a placement or preemption in farm pool `pool` stands under `fence`: yes when nobody
  // ever leased it; else only at its newest epoch.
  bool Fenced(uint32_t pool, const std::vector<std::pair<std::string, uint64_t>>& fence) const;
  void Retire(JobId id);
  bool RetryJob(JobId id);
  std::vector<uint64_t> ReadyLine(const PoolState& pool) const;
  void SignalRun(RunId run, int signo);   // an effect: SIGTERM also arms the SIGKILL escalation
  Change Stamped(decltype(Change::what) what) const { return Change{clock_.UnixMicros(), std::move(what)}; }
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
  void SettleSignal(const std::string& key);
  void Start(JobId id, uint32_t inst, uint32_t host = kNoHost);
  void Launch(RunId run);
  void Install(JobId id, JobSpec spec, const SubmitOptions& options, bool announce);
  void Lose(uint32_t host, std::string_view reason);
  void OccupyHost(RunId run);      // charges the run's need to its host and its queue
  void ReleaseHost(const RunState& run, const TaskSpec& task);
  // engine_cycle.cc
  sched::Snapshot BaseSnapshot() const;   // everything but pending and running
  sched::Snapshot CycleSnapshot();
  change::Placements NextSlice(size_t count);
  void ApplyPlacements(const std::vector<change::Placements::Place>& places,
                       const std::vector<std::pair<std::string, uint64_t>>& fence);
  void ApplyPreemptions(const std::vector<uint64_t>& runs, const std::vector<std::pair<std::string, uint64_t>>& fence);
  bool IsGangKey(uint64_t key) const;
  void Preempt(RunId run);
  void Requeue(JobId id, uint32_t inst);
  void UpdateHistory();
  uint32_t QueueIndex(const std::string& name);
  uint32_t FarmPoolIndex(const std::string& name);
  sched::Amount& Held(const JobState& job, const TaskState& task);
  RunState* FindRun(RunId run) {
    auto it = runs_.find(run);
    return it == runs_.end() ? nullptr : &it->second;
  }
  const RunState* FindRun(RunId run) const {
    auto it = runs_.find(run);
    return it == runs_.end() ? nullptr : &it->second;
  }
  std::optional<TimePoint> HostDeadline() const;
  int HostIndex(std::string_view name) const;
  void Finish(JobId id, uint32_t inst, InstanceStatus status);
  void Skip(JobId id, uint32_t inst, std::string_view reason, bool unneeded = false);
  void SkipTask(JobId id, uint32_t task, std::string_view reason, bool unneeded);
  void SignalWillNotCome(const std::string& key, std::string_view reason, bool unneeded);
  void Propagate();
  void PropagateOne(JobId id, uint32_t inst);
  void TaskCompleted(JobId id, uint32_t task);
  void StopJob(JobId id, std::string_view reason);
  void CancelJob(JobId id, std::string_view reason);   // without propagation
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
  std::vector<uint32_t> free_pools_;   // server mode: slots of retired jobs' pools, reused LIFO
  std::map<RunId, RunState> runs_;   // the active runs, in start order
  RunId last_run_ = 0;
  std::set<std::pair<int64_t, uint64_t>> deadlines_;    // (at, key)
  std::unordered_map<uint64_t, int64_t> deadline_at_;  // key -> at
  std::priority_queue<std::pair<int64_t, RunId>, std::vector<std::pair<int64_t, RunId>>,
                      std::greater<>>
      kills_;   // effect: SIGKILL due at, for runs sent SIGTERM
  std::unordered_map<std::string, std::vector<std::pair<JobId, uint32_t>>> signal_waiters_;
  std::unordered_map<std::string, bool> posted_signals_;
  std::unordered_map<std::string, int> signal_posters_;  // unfinished tasks that post the key
  std::vector<Pending> pending_;   // worklist of Propagate(), so long chains never recurse
  std::vector<uint32_t> dirty_pools_;
  std::vector<RunId> noop_runs_;     // runs of empty commands, ended by Dispatch()
  std::vector<HostState> hosts_;
  // Server mode: queues and farm pools by first sight (snapshots index them the same way), what
  // each queue holds in each pool (key queue << 32 | pool), each queue's decayed past usage, and
  // the active runs (for preemption).
  std::vector<std::string> queues_;
  std::unordered_map<std::string, uint32_t> queue_index_;
  std::vector<std::string> farm_pools_;
  std::unordered_map<std::string, uint32_t> farm_pool_index_;
  std::unordered_map<uint64_t, sched::Amount> held_;
  std::vector<sched::Amount> history_;   // per queue
  TimePoint history_at_{};
  sched::SchedConfig sched_config_;
  std::function<void()> cycle_wake_;
  // The result being applied, and the next placement of it to reconcile and apply.
  std::optional<sched::Decisions> result_;
  size_t result_next_ = 0;
  // Async: placements applied per loop batch. Each slice is committed with the batch, and a
  // request waits for up to about two slices: 500 keep that near 10 ms (bench/cancel_latency).
  static constexpr size_t kApplySlice = 500;
  std::vector<double> sched_durations_;
  CycleStats cycle_stats_;
  bool cycle_needed_ = false;
  bool replaying_ = false;   // no effects
  bool quiet_ = false;       // no events (a retried job replays what had succeeded)
  int64_t now_us_ = 0;       // the time of the change being applied
  uint64_t epoch_ = 0;       // server mode: the fencing epoch of new runs
  uint64_t seq_ = 0;
  std::map<std::string, std::string> config_;   // settings applied by ConfigSet
  std::map<std::string, Lease> leases_;         // by LeaseGranted
  // Time-driven work. The *_due_ sets are derived (rebuilt when a snapshot loads): (when, name)
  // in time order, so a loop turn looks only at what is due.
  std::map<std::string, ScheduleState> schedules_;
  std::set<std::pair<int64_t, std::string>> schedule_due_;       // unix seconds
  std::map<std::string, ExpectationState> expectations_;
  std::set<std::pair<int64_t, std::string>> expectation_due_;    // micros
  std::map<std::string, HookState> hooks_;
  // `{job: X}`: the newest job of each name, every finished job's outcome (kept past retirement:
  // 0 unfinished, else 1 + InstanceStatus of the job as a whole), and the tasks waiting, by
  // "#<engine id>" or "@<name>" (no job of that name yet).
  struct JobWaiter {
    JobId job;
    uint32_t task;
    DepOn on;
  };
  std::unordered_map<std::string, JobId> latest_job_;
  std::vector<uint8_t> job_outcomes_;
  std::map<std::string, std::vector<JobWaiter>> job_waiters_;
  std::optional<std::map<std::string, uint64_t>> owned_;   // proposer-side: nullopt = everything
  std::set<std::string> local_excluded_queues_;             // proposer-side
  std::map<std::string, uint64_t> dropped_;
  std::function<void(const Change&)> change_tap_;
  std::function<void(const JobState&)> retire_observer_;
  // Finished jobs in the order they finished, with their finish time: the front is the next to
  // retire. Entries of jobs retried since are skipped.
  std::deque<std::pair<JobId, int64_t>> finished_order_;
  size_t running_ = 0;
  size_t unfinished_jobs_ = 0;
  // Last, so that it is destroyed first: its thread may still be reading nothing of ours, but
  // calls cycle_wake_.
  std::unique_ptr<SchedRunner<sched::Snapshot, sched::Decisions>> runner_;
};

}  // namespace rota
