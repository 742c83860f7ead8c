// ServerCore: everything `rota server` does on its loop thread (DESIGN section 8), in typed values:
// its methods take decoded requests and answer through an Answer<T> callback (server_answers.h);
// the HTTP routes (src/api/routes.cc, io thread) decode requests, post calls to these methods
// through the EngineLoop, and render the answers. It owns the engine (in placement mode) and the
// AgentHub that hands runs to agents.
// A method that changes state proposes a Change with what to answer once it is applied; after the
// loop batch, AfterBatch() appends every proposal of the batch to the store's log in one durable
// append (a group commit), applies them to the engine in that order, hands the events the engine
// derived to the live stream, and only then answers. The store gets those events with the next
// append (or on their own once the server is idle): they are derived, and a restart derives any
// it lacks again. A read answers from the engine as it is, in the same batch.
//
// Loop thread only; every Answer is called on it, once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "api/agent_hub.h"
#include "api/lease_keeper.h"
#include "api/metrics.h"
#include "api/server_answers.h"
#include "api/snapshotter.h"
#include "engine/engine.h"
#include "store/store.h"
#include "wire/agent_messages.h"

namespace rota {

struct ServerCoreOptions {
  EngineOptions engine;
  std::string log_dir;          // run logs: <log_dir>/<job id>/<task>/<instance>.<attempt>.log
  std::chrono::milliseconds heartbeat_interval{2000};
  SnapshotterOptions snapshots;
  // Several servers on one log (a store with a LeaseTable): this server, and its leases.
  ServerInfo server;
  LeaseOptions leases;
};

// GET /v1/jobs: which jobs; "" matches any state or queue.
struct JobFilter {
  std::string state;
  std::string queue;
  size_t limit = 100000;
  bool archived = false;   // also the retired jobs the archive keeps (`rota jobs --all`)
};

// An agent's request for work (GET or POST /v1/agents/{id}/work).
struct WorkRequest {
  std::vector<wire::RunReport> reports;   // applied first; their results come with the answer
  size_t max = 1000;                      // assignments at most
  bool wait = true;   // park until there is work; a request that carries reports never parks
  uint64_t poll_id = 0;                   // names it for ExpireWork
};

class ServerCore {
 public:
  // `leases`: the lease table several servers share (null: this server holds everything).
  ServerCore(Store& store, const Clock& clock, ServerCoreOptions options, LeaseTable* leases = nullptr);
  Engine& engine() { return engine_; }
  // Null before Restore.
  Snapshotter* snapshotter() { return snapshotter_.get(); }

  // Rebuilds the state the store holds (call once, before serving): a store of schema version 2
  // is imported into the log first; the latest snapshot and the log after it are replayed; then
  // this start's fencing epoch and `settings` (--config) are appended. Error "store_io" when the
  // store refuses, "store_corrupt" when an entry cannot be read back.
  Result<Unit> Restore(const std::map<std::string, std::string>& settings = {});

  // Jobs. A reference `ref` is a job id ("42") or a name (the newest job of that name).
  void Submit(JobSpec spec, std::string text, Answer<SubmitAnswer> done);
  void ListJobs(JobFilter filter, Answer<std::vector<JobSummary>> done);
  void ShowJob(const std::string& ref, Answer<JobDetail> done);
  void CancelJob(const std::string& ref, Answer<JobSummary> done);
  void RetryJob(const std::string& ref, Answer<JobSummary> done);
  // Answered once the job started (or finished: `until_done`), or with reached=false when
  // ExpireWait(wait_id) comes first.
  void Wait(const std::string& ref, bool until_done, uint64_t wait_id, Answer<WaitAnswer> done,
            Abandoned abandoned);
  void ExpireWait(uint64_t wait_id);
  // The run's log as stored (`attempt` 0: the instance's latest).
  void GetLog(const std::string& ref, const std::string& task, int instance, int attempt,
              Answer<std::string> done);

  // The farm.
  void PostSignal(const std::string& key, Answer<SignalAnswer> done);
  void Hosts(Answer<std::vector<HostView>> done);
  void GetConfig(Answer<std::map<std::string, std::string>> done);
  // All or nothing: every key is checked before any is applied; answers the whole config.
  void PutConfig(const std::map<std::string, std::string>& values,
                 Answer<std::map<std::string, std::string>> done);
  // Prometheus' text format.
  void Metrics(const Histogram& http_latency, Answer<std::string> done);
  // The servers sharing the log, and who holds which lease (as of the last renewal); alone, this
  // server holding every pool.
  void Servers(Answer<LeaseView> done);

  // Time-driven work (issue 11; server_periodic.cc): schedules, watchdogs, webhooks. Set answers
  // the state once applied; Remove answers not_found for an unknown name.
  void SetSchedule(std::shared_ptr<const ScheduleDef> def, Answer<ScheduleState> done);
  void RemoveSchedule(const std::string& name, Answer<Unit> done);
  void PauseSchedule(const std::string& name, bool paused, Answer<ScheduleState> done);
  // Fires a slot of its own now (conflict "already_fired" twice in one second); answers its job.
  void TriggerSchedule(const std::string& name, Answer<SubmitAnswer> done);
  void ListSchedules(Answer<std::vector<ScheduleState>> done);
  void ShowSchedule(const std::string& name, Answer<ScheduleState> done);
  void SetExpectation(std::shared_ptr<const ExpectationDef> def, Answer<ExpectationState> done);
  void RemoveExpectation(const std::string& name, Answer<Unit> done);
  void ListExpectations(Answer<std::vector<ExpectationState>> done);
  void SetHook(std::shared_ptr<const HookDef> def, Answer<HookState> done);
  void RemoveHook(const std::string& name, Answer<Unit> done);
  void ListHooks(Answer<std::vector<HookState>> done);
  // The hook sender: every wanted event up to `seq` reached hook `name`.
  void HookDelivered(const std::string& name, uint64_t seq);
  // More Prometheus lines for /metrics (the hook sender's).
  void set_extra_metrics(std::function<std::string()> extra) { extra_metrics_ = std::move(extra); }
  // Whether this server proposes firings, alerts and deliveries (holds the schedules lease).
  bool HoldsSchedules() const { return engine_.Owns(change::kSchedulesLease); }

  // Agents (docs/api.md "Agents").
  void Register(wire::Registration agent, Answer<wire::RegisterAnswer> done);
  // The kill list; not_found when the agent must register again.
  void Heartbeat(const std::string& agent, const std::vector<wire::RunToken>& running,
                 Answer<std::vector<wire::RunToken>> done);
  void Work(const std::string& agent, WorkRequest request, Answer<wire::WorkAnswer> done,
            Abandoned abandoned);
  void ExpireWork(const std::string& agent, uint64_t poll_id);
  // One result per report (the /v1/agents/{id}/status batch, or one run's status).
  void Reports(const std::string& agent, const std::vector<wire::RunReport>& reports,
               Answer<std::vector<wire::ReportResult>> done);
  void StoreLog(RunId run, uint64_t epoch, const std::string& agent, std::string bytes,
                Answer<Unit> done);

  // Where the events each batch derived go (the live stream), before anyone is answered, with the
  // highest seq the store holds by then (those above it are not stored yet). Optional.
  using EventPublisher = std::function<void(std::vector<EventRecord> events, uint64_t stored_through)>;
  void set_event_publisher(EventPublisher publisher) { publisher_ = std::move(publisher); }

  // After each loop batch: what time made due and a scheduling slice are proposed too; then one
  // append, the changes applied, work to agents, waits that were reached, the events published,
  // the answers. When the append fails, every request of the batch is answered store_unavailable
  // and nothing of it is applied.
  void AfterBatch();

  // Stores what is derived and not stored yet (the server stops).
  void Flush();

  // Applies what other servers appended to a shared log (Store::Shared) since this one last
  // looked: the log tailer asks for it when notified, and at least every second.
  void FollowOthers();
  uint64_t applied_lsn() const { return applied_lsn_; }

  // Why the server must stop, once the store could not make its log durable ("" until then):
  // what it applied since may not survive, so it answers nothing more.
  const std::string& fatal() const { return fatal_; }

 private:
  struct PendingWait {
    JobId job;
    bool until_done;
    Answer<WaitAnswer> done;
    Abandoned abandoned;
  };
  // A change to append and apply; `answer` (may be null) runs right after it is applied; if the
  // append fails, `fail` (may be null) runs instead.
  struct Proposal {
    std::vector<Change> changes;
    std::function<void(const Error&)> fail;
    std::function<void()> answer;
    bool placements = false;   // a scheduling slice (lost: cycle again)
  };
  template <class T>
  void Reply(Answer<T> done, Result<T> result) {
    deferred_.Add(std::move(done), std::move(result));
  }
  template <class T>
  static std::function<void(const Error&)> FailWith(const Answer<T>& done) {
    return [done](const Error& error) { done(error); };
  }
  void Propose(Change change, std::function<void(const Error&)> fail = nullptr,
               std::function<void()> answer = nullptr);
  // Appends, then applies, every proposal so far. False when the store refused them (or could
  // not make them durable: then fatal_ says why). `fence`: what a scheduling slice was placed
  // under (several servers).
  bool CommitProposals(Durability durability, const Fence* fence = nullptr);
  // Several servers: a turn of the lease keeper (renew, take, give back), the grants applied,
  // and the engine told what it holds now.
  void TurnLeases(bool force);
  // Makes what was appended with Durability::kLater durable; false (and fatal_) when it cannot.
  bool MakeDurable();
  // Applies the log's entry at `lsn` (the next one); it goes to the snapshotter once what it
  // derived is stored (FollowStored): a snapshot that covered it without its events would lose
  // them.
  void ApplyEntry(uint64_t lsn, Change change);
  // Reads the log after applied_lsn_ up to `through` (kAllOfTheLog: all there is) and applies it:
  // at a restart, and what other servers appended. Error "store_behind" when the log was
  // compacted past where this server is.
  static constexpr uint64_t kAllOfTheLog = ~uint64_t{0};
  Result<Unit> ReadAndApply(uint64_t through);
  void FollowStored();
  // Stores the derived events on their own (the server is idle).
  void StoreEvents();

  // The engine id of "42" or of the newest job named "shot-010" in memory (not retired).
  std::optional<JobId> FindJob(const std::string& ref) const;
  // Retired jobs (server_archive.cc).
  void ArchiveJob(const JobState& job);   // the engine is about to retire it
  // The archived job "42" or the newest archived "shot-010" (nothing when the store fails).
  std::optional<JobDetail> LookupArchive(const std::string& ref);
  static Error NoJob(const std::string& ref);
  Result<std::string> ReadLog(uint64_t job_id, const std::string& ref, const std::string& task,
                              int instance, int attempt) const;
  Result<std::string> ArchivedLog(const JobDetail& job, const std::string& task, int instance,
                                  int attempt) const;
  std::string LogPath(uint64_t job_id, std::string_view task, int instance, int attempt) const;

  // The events the engine publishes, as the store keeps them; those at or below `skip_through`
  // (already stored, derived again by a replay) are not kept.
  class EventLog final : public EventSink {
   public:
    void Publish(const Event& event) override;
    uint64_t skip_through = 0;
    std::vector<EventRecord> unstored;   // not in the store yet, in seq order
    std::vector<EventRecord> fresh;      // derived in this batch: for the live stream
  };
  struct AppliedChange {
    uint64_t lsn;
    Change change;
    uint64_t seq_after;   // the engine's event seq once it was applied
  };
  Result<Unit> ImportLegacy();
  bool Reached(const PendingWait& wait) const;
  void AnswerWait(PendingWait& wait, bool reached);
  // Checks each report's token and proposes the ends of those that pass; their results.
  std::vector<wire::ReportResult> ProposeEnds(const std::string& agent,
                                              const std::vector<wire::RunReport>& reports,
                                              Proposal& proposal);
  void ResendMissing(const std::string& agent, const std::vector<wire::RunToken>& running);
  // The agent called: a heartbeat to the engine, and (on a shared log) one to tell the others of.
  bool Touch(const std::string& agent);
  void ProposeHostsSeen();
  void PeriodicMetrics(std::string& out) const;   // server_metrics.cc

  Store& store_;
  const Clock& clock_;
  ServerCoreOptions options_;
  Deferred deferred_;
  EventLog events_;
  AgentHub hub_;
  Engine engine_;
  std::vector<Proposal> proposals_;
  std::vector<ArchivedJob> archive_pending_;   // written with the events of the batch
  uint64_t imported_through_ = 0;   // log entries ImportLegacy applied already
  std::unique_ptr<Snapshotter> snapshotter_;
  std::vector<AppliedChange> unstored_;   // applied, derived data not yet stored
  uint64_t stored_seq_ = 0;               // the highest event seq the store holds
  uint64_t appended_ = 0;                 // log entries this process appended
  uint64_t applied_lsn_ = 0;              // the last entry of the log applied to engine_
  std::unique_ptr<LeaseKeeper> leases_;   // several servers; null alone
  // Since when events_.unstored has waited for an append to take it along.
  std::optional<TimePoint> unstored_since_;
  static constexpr std::chrono::milliseconds kEventDelay{100};
  EventPublisher publisher_;
  std::unordered_map<uint64_t, PendingWait> waits_;
  // Active runs an agent's heartbeats did not list, and how many heartbeats in a row missed them.
  std::unordered_map<RunId, int> missing_;
  // Shared log: agents heard since the last batch, and when each was last told of to the others.
  std::unordered_set<std::string> heard_;
  std::unordered_map<std::string, TimePoint> told_;
  Histogram cycle_seconds_;
  Histogram sched_seconds_;
  uint64_t commits_failed_ = 0;
  uint64_t event_writes_failed_ = 0;
  std::string last_commit_error_;
  std::string last_lease_error_;
  std::string fatal_;
  std::function<std::string()> extra_metrics_;
};

}  // namespace rota
