// ServerCore: everything `rota server` does on its loop thread. It owns the engine (in placement
// mode), the Recorder that persists it, the AgentHub that hands runs to agents, and the replies
// waiting for the batch's commit. The HTTP routes (io thread) parse and check requests, then post
// calls to these methods through the EngineLoop; every method answers through the exchange it is
// given, and AfterBatch() sends those answers once the batch is durable.
//
// Loop thread only, except where noted.
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
#include "api/recorder.h"
#include "api/replies.h"
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
};

class ServerCore {
 public:
  ServerCore(Store& store, const Clock& clock, ServerCoreOptions options);
  Engine& engine() { return engine_; }

  // Rebuilds the state the store holds (call once, before serving). Error when a stored job
  // cannot be read back.
  Result<Unit> Restore(const StoredState& state);

  void Submit(JobSpec spec, std::string text, ExchangePtr ex);
  void ListJobs(const std::string& state, const std::string& queue, size_t limit, ExchangePtr ex);
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

  // After each loop batch: a scheduling cycle, work to agents, waits that were reached, then one
  // commit. If it succeeded the replies go out and the committed events are returned (for the
  // live stream); if not, everything is kept for the next batch.
  std::vector<EventRecord> AfterBatch();

  // A reply that needs nothing committed first still waits for the batch, for simplicity.
  void Reply(ExchangePtr ex, HttpResponse response) { replies_.Add(std::move(ex), std::move(response)); }

 private:
  struct PendingWait {
    JobId job;
    bool until_done;
    ExchangePtr exchange;
  };
  // The engine id of "42" or of the newest job named "shot-010"; -1 if none.
  int64_t FindJob(const std::string& ref) const;
  // The job, or nullopt after answering 404 on `ex`.
  std::optional<JobId> FindJobOrReply(const std::string& ref, ExchangePtr& ex);
  bool Reached(const PendingWait& wait) const;
  void AnswerWait(const PendingWait& wait, bool reached);
  std::string LogPath(uint64_t job_id, std::string_view task, int instance, int attempt) const;
  JobRecord RecordOf(JobId id) const;
  void ResendMissing(const std::string& agent, const std::vector<RunToken>& running);

  Store& store_;
  const Clock& clock_;
  ServerCoreOptions options_;
  Replies replies_;
  Recorder recorder_;
  AgentHub hub_;
  Engine engine_;
  std::unordered_map<uint64_t, PendingWait> waits_;
  // Active runs an agent's heartbeats did not list, and how many heartbeats in a row missed them.
  std::unordered_map<RunId, int> missing_;
  std::map<std::string, std::string> config_;
  Histogram cycle_seconds_;
  Histogram sched_seconds_;
  uint64_t commits_failed_ = 0;
  std::string last_commit_error_;
};

}  // namespace rota
