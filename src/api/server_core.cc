#include "api/server_core.h"

#include <algorithm>
#include <chrono>

#include "api/job_json.h"
#include "api/json_reply.h"
#include "engine/event_json.h"
#include "core/units.h"
#include "spec/spec_parser.h"

namespace rota {

using json = nlohmann::ordered_json;


HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  json body = {{"error", {{"code", code}, {"message", message}}}};
  return JsonResponse(status, body.dump());
}

ServerCore::ServerCore(Store& store, const Clock& clock, ServerCoreOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      hub_(replies_),
      engine_(clock, hub_, events_, [&] {
        EngineOptions o = options_.engine;
        o.placement = true;
        return o;
      }()) {
  hub_.set_engine(&engine_);
  engine_.set_retire_observer([this](const JobState& job) { ArchiveJob(job); });
}

void ServerCore::EventLog::Publish(const Event& event) {
  if (event.seq <= skip_through) return;
  EventRecord record;
  record.seq = event.seq;
  record.ts_us = event.ts_us;
  AppendEventJson(event, record.json);
  pending.push_back(std::move(record));
}

void ServerCore::Propose(Change change, ExchangePtr ex, std::function<void()> answer) {
  Proposal p;
  p.changes.push_back(std::move(change));
  p.ex = std::move(ex);
  p.answer = std::move(answer);
  proposals_.push_back(std::move(p));
}

bool ServerCore::CommitProposals() {
  if (proposals_.empty()) return true;
  std::vector<Proposal> batch = std::move(proposals_);
  proposals_.clear();
  std::vector<std::string> entries;
  for (const Proposal& p : batch) {
    for (const Change& c : p.changes) entries.push_back(EncodeChange(c));
  }
  Result<uint64_t> appended = store_.Append(entries);
  if (!appended.ok()) {
    ++commits_failed_;
    if (appended.error().message != last_commit_error_) {
      last_commit_error_ = appended.error().message;
      std::fprintf(stderr, "rota server: %s (nothing of it was applied; requests get 503)\n",
                   last_commit_error_.c_str());
    }
    for (Proposal& p : batch) {
      if (p.placements) engine_.PlacementsLost();
      if (p.ex) {
        Reply(std::move(p.ex), ErrorResponse(503, "store_unavailable",
                                             "the store refused the change: " + last_commit_error_ +
                                                 "; nothing was changed, try again"));
      }
    }
    return false;
  }
  last_commit_error_.clear();
  uint64_t lsn = *appended - entries.size();
  for (Proposal& p : batch) {
    for (Change& c : p.changes) {
      engine_.Apply(c);
      Applied(++lsn, std::move(c));
    }
    if (p.answer) p.answer();
  }
  return true;
}

void ServerCore::FollowStored() {
  if (!events_.pending.empty() || !archive_pending_.empty()) return;
  for (auto& [lsn, change] : unstored_) snapshotter_->Follow(lsn, std::move(change));
  unstored_.clear();
}

std::optional<JobId> ServerCore::FindJobOrReply(const std::string& ref, ExchangePtr& ex,
                                                Archived archived, const char* route) {
  const int64_t id = FindJob(ref);
  if (id >= 0) return id;
  if (AnswerFromArchive(ref, archived, route, ex)) return std::nullopt;
  Reply(std::move(ex), ErrorResponse(404, "not_found", "no job " + ref));
  return std::nullopt;
}

int64_t ServerCore::FindJob(const std::string& ref) const {
  if (!ref.empty() && std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (ref.size() > 12) return -1;
    const uint64_t id = std::stoull(ref);
    if (id == 0 || id > engine_.job_count() || engine_.find_job(static_cast<JobId>(id - 1)) == nullptr) return -1;
    return static_cast<int64_t>(id - 1);
  }
  for (size_t i = engine_.job_count(); i-- > 0;) {
    const JobState* job = engine_.find_job(static_cast<JobId>(i));
    if (job != nullptr && job->spec.name == ref) return static_cast<int64_t>(i);
  }
  return -1;
}

void ServerCore::Submit(JobSpec spec, std::string text, ExchangePtr ex) {
  change::JobSubmitted what;
  const std::string name = spec.name;
  what.spec = std::make_shared<const JobSpec>(std::move(spec));
  what.spec_text = std::move(text);
  what.log_dir = options_.log_dir;
  ExchangePtr reply_to = ex;
  Propose(Change{clock_.UnixMicros(), std::move(what)}, std::move(ex), [this, reply_to, name] {
    const uint64_t id = engine_.job_count();   // the job just applied is the newest
    Reply(reply_to, JsonAt(201, {{"id", id}, {"name", name}}, "/v1/jobs"));
  });
}

void ServerCore::ShowJob(const std::string& ref, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex, Archived::kDetail, "/v1/jobs/{id}");
  if (!found) return;
  const JobId id = *found;
  Reply(std::move(ex), JsonAt(200, JobDetailJson(engine_, id), "/v1/jobs/{id}"));
}

void ServerCore::CancelJob(const std::string& ref, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex, Archived::kSummary, "/v1/jobs/{id}/cancel");
  if (!found) return;
  const JobId jid = *found;
  auto answer = [this, jid](ExchangePtr to) {
    Reply(std::move(to), JsonAt(200, JobSummaryJson(engine_.job(jid)), "/v1/jobs/{id}/cancel"));
  };
  if (engine_.job(jid).finished) return answer(std::move(ex));
  ExchangePtr reply_to = ex;
  Propose(Change{clock_.UnixMicros(), change::CancelRequested{jid, "job cancelled"}}, std::move(ex),
          [answer, reply_to] { answer(reply_to); });
}

void ServerCore::RetryJob(const std::string& ref, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex, Archived::kRefuse);
  if (!found) return;
  const JobId jid = *found;
  const JobState& job = engine_.job(jid);
  if (!job.finished) {
    return Reply(std::move(ex), ErrorResponse(409, "not_finished",
                                              "job " + ref + " is " + JobStateName(job) +
                                                  "; only a finished job can be retried"));
  }
  if (job.Succeeded()) {
    return Reply(std::move(ex), ErrorResponse(409, "nothing_to_retry",
                                              "job " + ref + " succeeded; there is nothing to retry"));
  }
  ExchangePtr reply_to = ex;
  Propose(Change{clock_.UnixMicros(), change::JobRetried{jid}}, std::move(ex), [this, jid, reply_to] {
    Reply(reply_to, JsonAt(200, JobSummaryJson(engine_.job(jid)), "/v1/jobs/{id}/retry"));
  });
}

bool ServerCore::Reached(const PendingWait& wait) const {
  if (engine_.find_job(wait.job) == nullptr) return true;   // retired: finished long ago
  const JobState& job = engine_.job(wait.job);
  return wait.until_done ? job.finished : job.started || job.finished;
}

void ServerCore::AnswerWait(const PendingWait& wait, bool reached) {
  if (engine_.find_job(wait.job) == nullptr) {
    ExchangePtr ex = wait.exchange;
    AnswerFromArchive(std::to_string(uint64_t{wait.job} + 1), Archived::kWaitReached, "/v1/jobs/{id}/wait", ex);
    return;
  }
  Reply(wait.exchange,
        JsonAt(200, {{"reached", reached}, {"job", JobSummaryJson(engine_.job(wait.job))}},
               "/v1/jobs/{id}/wait"));
}

void ServerCore::Wait(const std::string& ref, bool until_done, uint64_t wait_id, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex, Archived::kWaitReached, "/v1/jobs/{id}/wait");
  if (!found) return;
  const JobId id = *found;
  PendingWait wait{id, until_done, std::move(ex)};
  if (Reached(wait)) return AnswerWait(wait, true);
  waits_.emplace(wait_id, std::move(wait));
}

void ServerCore::ExpireWait(uint64_t wait_id) {
  auto it = waits_.find(wait_id);
  if (it == waits_.end()) return;
  AnswerWait(it->second, Reached(it->second));
  waits_.erase(it);
}

void ServerCore::PostSignal(const std::string& key, ExchangePtr ex) {
  if (engine_.SignalPosted(key)) {
    return Reply(std::move(ex), JsonAt(200, {{"key", key}, {"new", false}}, "/v1/signals/{key}"));
  }
  ExchangePtr reply_to = ex;
  Propose(Change{clock_.UnixMicros(), change::SignalPosted{key}}, std::move(ex), [this, key, reply_to] {
    Reply(reply_to, JsonAt(200, {{"key", key}, {"new", true}}, "/v1/signals/{key}"));
  });
}

void ServerCore::Hosts(ExchangePtr ex) {
  json hosts = json::array();
  for (const HostState& h : engine_.hosts()) {
    hosts.push_back({{"name", h.info.name},
                     {"state", h.alive ? "alive" : "lost"},
                     {"cores", h.info.total.cores},
                     {"memory", h.info.total.memory},
                     {"gpus", h.info.total.gpus},
                     {"tags", h.info.tags},
                     {"pools", h.info.pools},
                     {"used", {{"cores", h.used.cores}, {"memory", h.used.memory}, {"gpus", h.used.gpus}}},
                     {"running", h.running},
                     {"last_heartbeat_us", h.seen ? clock_.UnixMicros() -
                          std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now() - h.last_seen).count() : 0}});
  }
  Reply(std::move(ex), JsonAt(200, {{"hosts", std::move(hosts)}}, "/v1/hosts"));
}

void ServerCore::GetConfig(ExchangePtr ex) {
  Reply(std::move(ex), JsonAt(200, {{"config", engine_.config()}}, "/v1/config"));
}

// All or nothing: every key is checked before any is applied. The next cycle uses the new
// settings; each changed key is persisted and announced as a config.changed event.
void ServerCore::PutConfig(const std::map<std::string, std::string>& values, ExchangePtr ex) {
  sched::SchedConfig settings = engine_.sched_config();
  if (std::string problem = sched::ApplySettings(settings, values); !problem.empty()) {
    Reply(std::move(ex), ErrorResponse(400, "bad_config", problem));
    return;
  }
  ExchangePtr reply_to = ex;
  Propose(Change{clock_.UnixMicros(), change::ConfigSet{values}}, std::move(ex),
          [this, reply_to] { GetConfig(reply_to); });
}

std::vector<EventRecord> ServerCore::AfterBatch() {
  const auto start = std::chrono::steady_clock::now();
  const bool had_changes = !proposals_.empty();
  // The batch's requests and what time made due, and a scheduling slice. Async: the slice comes
  // from an earlier snapshot anyway, so it joins the same append. Sync: it is decided on the
  // state the requests leave, in a second append, so that what a report freed is placed in this
  // batch and not the next.
  auto propose_slice = [this] {
    std::optional<change::Placements> slice = engine_.ProposePlacements();
    if (!slice) return false;
    Propose(Change{clock_.UnixMicros(), std::move(*slice)});
    proposals_.back().placements = true;
    return true;
  };
  for (Change& due : engine_.DueChanges(clock_.UnixMicros(), clock_.Now())) Propose(std::move(due));
  const bool async = engine_.sched_config().async;
  if (async) propose_slice();
  if (CommitProposals() && !async && propose_slice()) CommitProposals();
  for (double seconds : engine_.TakeSchedDurations()) sched_seconds_.Observe("", seconds);
  engine_.FireEffects(clock_.UnixMicros());
  hub_.Deliver();
  for (auto it = waits_.begin(); it != waits_.end();) {
    if (it->second.exchange->closed()) {
      it = waits_.erase(it);
    } else if (Reached(it->second)) {
      AnswerWait(it->second, true);
      it = waits_.erase(it);
    } else {
      ++it;
    }
  }
  if (!archive_pending_.empty()) {   // derived too: a failure keeps them for the next batch
    if (store_.WriteArchive(archive_pending_).ok()) archive_pending_.clear();
  }
  // The events before the replies: a client that reads events after its answer finds them.
  if (!events_.pending.empty()) {
    if (Result<Unit> written = store_.WriteEvents(events_.pending); !written.ok()) {
      ++event_writes_failed_;   // kept, and tried again after the next batch
      replies_.SendAll();
      return {};
    }
  }
  replies_.SendAll();
  FollowStored();
  if (had_changes) {
    cycle_seconds_.Observe("", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return std::exchange(events_.pending, {});
}

}  // namespace rota
