// ServerCore: everything `rota server` does on its loop thread (DESIGN section 8). It owns the
// engine (in placement mode) and the AgentHub that hands runs to agents. The HTTP routes (io
// thread) parse and check requests, then post calls to these methods through the EngineLoop.
// A method that changes state proposes a Change with what to answer once it is applied; after the
// loop batch, AfterBatch() appends every proposal of the batch to the store's log in one durable
// append (a group commit), applies them to the engine in that order, and only then answers. The
// events the engine derived are written to the store after that, and returned for the live stream.
// A read answers from the engine as it is, in the same batch.
//
// Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/agent_hub.h"
#include "api/http_server.h"
#include "api/metrics.h"
#include "api/replies.h"
#include "api/snapshotter.h"
#include "engine/engine.h"
#include "store/store.h"

namespace rota {

using ExchangePtr = std::shared_ptr<HttpExchange>;
using RunToken = std::pair<RunId, uint64_t>;   // run id, epoch

struct AgentRegistration {
  std::string name;
  sched::Amount total;
  std::vector<std::string> tags;
  std::vector<std::string> pools;
  std::vector<RunToken> running;
};

struct RunReport {
  RunId run = 0;
  uint64_t epoch = 0;
  bool lost = false;            // state "lost"; else "exited"
  int exit_code = 0;
  int term_signal = 0;
  bool launch_failed = false;
  std::string error;
  std::string agent;            // the single-run form names its agent in the body
};

struct ServerCoreOptions {
  EngineOptions engine;
  std::string log_dir;          // run logs: <log_dir>/<job id>/<task>/<instance>.<attempt>.log
  std::chrono::milliseconds heartbeat_interval{2000};
  SnapshotterOptions snapshots;
};

class ServerCore {
 public:
  ServerCore(Store& store, const Clock& clock, ServerCoreOptions options);
  Engine& engine() { return engine_; }
  // Null before Restore.
  Snapshotter* snapshotter() { return snapshotter_.get(); }

  // Rebuilds the state the store holds (call once, before serving): a store of schema version 2
  // is imported into the log first; the latest snapshot and the log after it are replayed; then
  // this start's fencing epoch and `settings` (--config) are appended. Error "store_io" when the
  // store refuses, "store_corrupt" when an entry cannot be read back.
  Result<Unit> Restore(const std::map<std::string, std::string>& settings = {});

  void Submit(JobSpec spec, std::string text, ExchangePtr ex);
  // `archived`: also the retired jobs the archive keeps (`rota jobs --all`).
  void ListJobs(const std::string& state, const std::string& queue, size_t limit, bool archived,
                ExchangePtr ex);
  void ShowJob(const std::string& ref, ExchangePtr ex);
  void CancelJob(const std::string& ref, ExchangePtr ex);
  void RetryJob(const std::string& ref, ExchangePtr ex);
  void Wait(const std::string& ref, bool until_done, uint64_t wait_id, ExchangePtr ex);
  void ExpireWait(uint64_t wait_id);
  void PostSignal(const std::string& key, ExchangePtr ex);
  void Hosts(ExchangePtr ex);
  void GetConfig(ExchangePtr ex);
  void PutConfig(const std::map<std::string, std::string>& values, ExchangePtr ex);
  void Register(AgentRegistration agent, ExchangePtr ex);
  void Heartbeat(const std::string& agent, const std::vector<RunToken>& running, ExchangePtr ex);
  void Work(const std::string& agent, size_t max, uint64_t poll_id, ExchangePtr ex);
  void ExpireWork(const std::string& agent, uint64_t poll_id);
  // `batch`: the /v1/agents/{id}/status form (results per run); else one run, 409 when stale.
  void Reports(const std::string& agent, const std::vector<RunReport>& reports, bool batch,
               ExchangePtr ex);
  void StoreLog(RunId run, uint64_t epoch, const std::string& agent, std::string bytes,
                ExchangePtr ex);
  void GetLog(const std::string& ref, const std::string& task, int instance, int attempt,
              ExchangePtr ex);
  void Metrics(const Histogram& http_latency, ExchangePtr ex);

  // After each loop batch: what time made due and a scheduling slice are proposed too; then one
  // append, the changes applied, work to agents, waits that were reached, the replies, and the
  // derived events written (and returned, for the live stream). When the append fails, every
  // request of the batch is answered 503 and nothing of it is applied.
  std::vector<EventRecord> AfterBatch();

  // A reply that needs nothing applied first still waits for the batch, for simplicity.
  void Reply(ExchangePtr ex, HttpResponse response) { replies_.Add(std::move(ex), std::move(response)); }

 private:
  struct PendingWait {
    JobId job;
    bool until_done;
    ExchangePtr exchange;
  };
  // The engine id of "42" or of the newest job named "shot-010" in memory; -1 if none (or retired).
  int64_t FindJob(const std::string& ref) const;
  // What a request about a retired job gets (server_archive.cc): its detail or summary as the
  // archive keeps it, a wait's "reached", a log, or 409 (nothing of it can change any more).
  enum class Archived { kDetail, kSummary, kWaitReached, kRefuse };
  // The job, or nullopt after answering on `ex`: from the archive for a retired job, else 404.
  std::optional<JobId> FindJobOrReply(const std::string& ref, ExchangePtr& ex,
                                      Archived archived = Archived::kSummary, const char* route = "");
  bool AnswerFromArchive(const std::string& ref, Archived how, const char* route, ExchangePtr& ex);
  // The archived job "42" or the newest archived "shot-010" (nothing when the store fails).
  std::optional<ArchivedJob> LookupArchive(const std::string& ref);
  void ArchiveJob(const JobState& job);   // the engine is about to retire it
  void ReplyArchivedLog(const ArchivedJob& job, const std::string& task, int instance, int attempt,
                        ExchangePtr ex);
  void ReplyLog(uint64_t job_id, const std::string& ref, const std::string& task, int instance,
                int attempt, ExchangePtr ex);
  // A change to append and apply; `answer` (may be null) runs right after it is applied and
  // replies on `ex`; if the append fails, `ex` (if any) is answered 503 instead.
  struct Proposal {
    std::vector<Change> changes;
    ExchangePtr ex;
    std::function<void()> answer;
    bool placements = false;   // a scheduling slice (lost: cycle again)
  };
  void Propose(Change change, ExchangePtr ex = nullptr, std::function<void()> answer = nullptr);
  // Appends, then applies, every proposal so far. False when the store refused them.
  bool CommitProposals();
  // `change`, at `lsn`, was just applied: it goes to the snapshotter once what it derived is
  // stored (FollowStored, after a batch's events and archive were written).
  void Applied(uint64_t lsn, Change change) { unstored_.emplace_back(lsn, std::move(change)); }
  void FollowStored();
  // The events the engine publishes, as the store keeps them; those at or below `skip_through`
  // (already stored, derived again by a replay) are not kept.
  class EventLog final : public EventSink {
   public:
    void Publish(const Event& event) override;
    uint64_t skip_through = 0;
    std::vector<EventRecord> pending;
  };
  Result<Unit> ImportLegacy();
  bool Reached(const PendingWait& wait) const;
  void AnswerWait(const PendingWait& wait, bool reached);
  std::string LogPath(uint64_t job_id, std::string_view task, int instance, int attempt) const;
  void ResendMissing(const std::string& agent, const std::vector<RunToken>& running);

  Store& store_;
  const Clock& clock_;
  ServerCoreOptions options_;
  Replies replies_;
  EventLog events_;
  AgentHub hub_;
  Engine engine_;
  std::vector<Proposal> proposals_;
  std::vector<ArchivedJob> archive_pending_;   // written with the events of the batch
  uint64_t imported_through_ = 0;   // log entries ImportLegacy applied already
  std::unique_ptr<Snapshotter> snapshotter_;
  std::vector<std::pair<uint64_t, Change>> unstored_;   // applied, derived data not yet stored
  std::unordered_map<uint64_t, PendingWait> waits_;
  // Active runs an agent's heartbeats did not list, and how many heartbeats in a row missed them.
  std::unordered_map<RunId, int> missing_;
  Histogram cycle_seconds_;
  Histogram sched_seconds_;
  uint64_t commits_failed_ = 0;
  uint64_t event_writes_failed_ = 0;
  std::string last_commit_error_;
};

}  // namespace rota
