#include "api/server_core.h"

#include <algorithm>
#include <chrono>

#include "api/job_views.h"
#include "engine/event_json.h"

namespace rota {

ServerCore::ServerCore(Store& store, const Clock& clock, ServerCoreOptions options, LeaseTable* leases)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      hub_(deferred_),
      engine_(clock, hub_, events_, [&] {
        EngineOptions o = options_.engine;
        o.placement = true;
        return o;
      }()) {
  hub_.set_engine(&engine_);
  engine_.set_retire_observer([this](const JobState& job) { ArchiveJob(job); });
  if (leases != nullptr) {
    leases_ = std::make_unique<LeaseKeeper>(*leases, options_.server, options_.leases);
    engine_.SetOwnedLeases(std::map<std::string, uint64_t>{});   // nothing until it takes some
    engine_.SetLocalExcludedQueues({options_.server.exclude_queues.begin(), options_.server.exclude_queues.end()});
  }
}

void ServerCore::TurnLeases(bool force) {
  if (!leases_ || !fatal_.empty()) return;
  std::vector<std::string> names = engine_.farm_pools();
  names.push_back(change::kFarmLease);
  names.push_back(change::kSchedulesLease);
  const int64_t now_us = clock_.UnixMicros();
  Result<uint64_t> granted = leases_->Turn(names, clock_.Now(), [&](const std::string& name, uint64_t epoch) {
    return EncodeChange(Change{now_us, change::LeaseGranted{name, options_.server.name, epoch}});
  }, force);
  if (!granted.ok() && granted.error().message != last_lease_error_) {
    // The leases held stay as they were: they expire on their own if this lasts.
    std::fprintf(stderr, "rota server: leases not renewed: %s\n", granted.error().message.c_str());
  }
  last_lease_error_ = granted.ok() ? std::string() : granted.error().message;
  if (granted.ok() && *granted > applied_lsn_) {   // our grants, and what came before them
    if (Result<Unit> applied = ReadAndApply(*granted); !applied.ok()) {
      fatal_ = "the log cannot be followed: " + applied.error().message;
      return;
    }
  }
  // Only what is ours in the table and, in the log, at the newest epoch: a grant of ours that
  // another overtook in the log is not ours to place under.
  std::map<std::string, uint64_t> owned;
  for (const auto& [name, epoch] : leases_->held()) {
    auto lease = engine_.leases().find(name);
    if (lease != engine_.leases().end() && lease->second.epoch == epoch) owned[name] = epoch;
  }
  engine_.SetOwnedLeases(std::move(owned));
}

void ServerCore::EventLog::Publish(const Event& event) {
  if (event.seq <= skip_through) return;
  EventRecord record;
  record.seq = event.seq;
  record.ts_us = event.ts_us;
  AppendEventJson(event, record.json);
  fresh.push_back(record);
  unstored.push_back(std::move(record));
}

void ServerCore::Propose(Change change, std::function<void(const Error&)> fail,
                         std::function<void()> answer) {
  Proposal p;
  p.changes.push_back(std::move(change));
  p.fail = std::move(fail);
  p.answer = std::move(answer);
  proposals_.push_back(std::move(p));
}

bool ServerCore::CommitProposals(Durability durability, const Fence* fence) {
  if (proposals_.empty()) return true;
  std::vector<Proposal> batch = std::move(proposals_);
  proposals_.clear();
  std::vector<std::string> entries;
  for (const Proposal& p : batch) {
    for (const Change& c : p.changes) entries.push_back(EncodeChange(c));
  }
  // The events derived so far ride along: no transaction of their own.
  Result<uint64_t> appended = store_.Append(entries, durability, events_.unstored, fence);
  if (!appended.ok() && appended.error().code == "store_sync") {
    fatal_ = appended.error().message;   // appended, yet not applied here: stop
    return false;
  }
  if (!appended.ok() && appended.error().code == "store_fenced") {
    // A lease went to another server: the slice is not ours to place. Nobody waits on it.
    for (Proposal& p : batch) {
      if (p.placements) engine_.PlacementsLost();
    }
    if (leases_) leases_->Distrust();
    return false;
  }
  if (!appended.ok()) {
    ++commits_failed_;
    if (appended.error().message != last_commit_error_) {
      last_commit_error_ = appended.error().message;
      std::fprintf(stderr, "rota server: %s (nothing of it was applied; requests get 503)\n",
                   last_commit_error_.c_str());
    }
    const Error refused = MakeError(kStoreUnavailable, "the store refused the change: " + last_commit_error_ +
                                                           "; nothing was changed, try again");
    for (Proposal& p : batch) {
      if (p.placements) engine_.PlacementsLost();
      if (p.fail) p.fail(refused);
    }
    return false;
  }
  last_commit_error_.clear();
  if (!events_.unstored.empty()) stored_seq_ = std::max(stored_seq_, events_.unstored.back().seq);
  events_.unstored.clear();
  appended_ += entries.size();
  uint64_t lsn = *appended - entries.size();
  // What other servers appended before these comes first: the log's order is the one order.
  if (lsn > applied_lsn_) {
    if (Result<Unit> caught_up = ReadAndApply(lsn); !caught_up.ok()) {
      fatal_ = "the log cannot be followed: " + caught_up.error().message;
      return false;
    }
  }
  for (Proposal& p : batch) {
    for (Change& c : p.changes) ApplyEntry(++lsn, std::move(c));
    if (p.answer) p.answer();
  }
  return true;
}

void ServerCore::ApplyEntry(uint64_t lsn, Change change) {
  engine_.Apply(change);
  // Another server heard these agents: as good as a heartbeat here (the engine keeps liveness on
  // the proposer's side, from its own clock).
  if (const auto* seen = std::get_if<change::HostsSeen>(&change.what)) {
    for (const std::string& host : seen->hosts) engine_.TouchHost(host);
  }
  applied_lsn_ = lsn;
  unstored_.push_back({lsn, std::move(change), engine_.last_seq()});
}

Result<Unit> ServerCore::ReadAndApply(uint64_t through) {
  constexpr size_t kPage = 4096;
  while (applied_lsn_ < through) {
    Result<std::vector<LogEntry>> page =
        store_.ReadFrom(applied_lsn_, static_cast<size_t>(std::min<uint64_t>(kPage, through - applied_lsn_)));
    if (!page.ok()) return page.error();
    if (page->empty()) {
      if (through == kAllOfTheLog) return Unit{};
      return MakeError("store_corrupt", "the log ends at " + std::to_string(applied_lsn_) + ", before " +
                                            std::to_string(through));
    }
    for (LogEntry& entry : *page) {
      if (entry.lsn != applied_lsn_ + 1) {   // compacted away below a snapshot while this server lagged
        return MakeError("store_behind", "the log goes on at " + std::to_string(entry.lsn) + " after " +
                                             std::to_string(applied_lsn_) +
                                             " (compacted below a snapshot): a restart starts from the snapshot");
      }
      Result<Change> change = DecodeChange(entry.bytes);
      if (!change.ok()) {
        return MakeError("store_corrupt", "change " + std::to_string(entry.lsn) +
                                              " of the log cannot be read: " + change.error().message);
      }
      ApplyEntry(entry.lsn, std::move(change).value());
    }
  }
  return Unit{};
}

void ServerCore::FollowOthers() {
  if (!fatal_.empty()) return;
  if (Result<Unit> caught_up = ReadAndApply(kAllOfTheLog); !caught_up.ok()) {
    if (caught_up.error().code == "store_io") return;   // the store is away: the next tick tries again
    fatal_ = "the log cannot be followed: " + caught_up.error().message;
  }
}

bool ServerCore::MakeDurable() {
  Result<Unit> synced = store_.Sync();
  if (!synced.ok()) fatal_ = synced.error().message;
  return synced.ok();
}

void ServerCore::FollowStored() {
  if (!archive_pending_.empty()) return;
  size_t followed = 0;
  for (AppliedChange& applied : unstored_) {
    if (applied.seq_after > stored_seq_) break;
    snapshotter_->Follow(applied.lsn, std::move(applied.change));
    ++followed;
  }
  unstored_.erase(unstored_.begin(), unstored_.begin() + static_cast<ptrdiff_t>(followed));
}

void ServerCore::StoreEvents() {
  if (events_.unstored.empty()) return;
  if (Result<Unit> written = store_.WriteEvents(events_.unstored); !written.ok()) {
    ++event_writes_failed_;   // kept, and tried again later
    return;
  }
  stored_seq_ = std::max(stored_seq_, events_.unstored.back().seq);
  events_.unstored.clear();
  unstored_since_.reset();
}

void ServerCore::Flush() {
  if (!fatal_.empty()) return;
  StoreEvents();
  if (!archive_pending_.empty() && store_.WriteArchive(archive_pending_).ok()) archive_pending_.clear();
  FollowStored();
}

std::optional<JobId> ServerCore::FindJob(const std::string& ref) const {
  if (!ref.empty() && std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (ref.size() > 12) return std::nullopt;
    const uint64_t id = std::stoull(ref);
    if (id == 0 || id > engine_.job_count() || engine_.find_job(static_cast<JobId>(id - 1)) == nullptr) {
      return std::nullopt;
    }
    return static_cast<JobId>(id - 1);
  }
  for (size_t i = engine_.job_count(); i-- > 0;) {
    const JobState* job = engine_.find_job(static_cast<JobId>(i));
    if (job != nullptr && job->spec.name == ref) return static_cast<JobId>(i);
  }
  return std::nullopt;
}

Error ServerCore::NoJob(const std::string& ref) { return MakeError(kNotFound, "no job " + ref); }

void ServerCore::Submit(JobSpec spec, std::string text, Answer<SubmitAnswer> done) {
  change::JobSubmitted what;
  const std::string name = spec.name;
  what.spec = std::make_shared<const JobSpec>(std::move(spec));
  what.spec_text = std::move(text);
  what.log_dir = options_.log_dir;
  Propose(Change{clock_.UnixMicros(), std::move(what)}, FailWith(done), [this, done, name] {
    const uint64_t id = engine_.job_count();   // the job just applied is the newest
    Reply<SubmitAnswer>(done, SubmitAnswer{id, name});
  });
}

void ServerCore::ShowJob(const std::string& ref, Answer<JobDetail> done) {
  if (const std::optional<JobId> id = FindJob(ref)) return Reply<JobDetail>(std::move(done), DetailOf(engine_, *id));
  if (std::optional<JobDetail> archived = LookupArchive(ref)) return Reply<JobDetail>(std::move(done), std::move(*archived));
  Reply<JobDetail>(std::move(done), NoJob(ref));
}

void ServerCore::CancelJob(const std::string& ref, Answer<JobSummary> done) {
  const std::optional<JobId> found = FindJob(ref);
  if (!found) {
    std::optional<JobDetail> archived = LookupArchive(ref);   // finished long ago: nothing to do
    if (archived) return Reply<JobSummary>(std::move(done), std::move(archived->summary));
    return Reply<JobSummary>(std::move(done), NoJob(ref));
  }
  const JobId jid = *found;
  if (engine_.job(jid).finished) return Reply<JobSummary>(std::move(done), SummaryOf(engine_.job(jid)));
  Propose(Change{clock_.UnixMicros(), change::CancelRequested{jid, "job cancelled"}}, FailWith(done),
          [this, jid, done] { Reply<JobSummary>(done, SummaryOf(engine_.job(jid))); });
}

void ServerCore::RetryJob(const std::string& ref, Answer<JobSummary> done) {
  const std::optional<JobId> found = FindJob(ref);
  if (!found) {
    if (LookupArchive(ref)) {
      return Reply<JobSummary>(std::move(done),
                               MakeError(kRetired, "job " + ref +
                                                       " finished long ago and was retired to the archive "
                                                       "(the server's retention setting); submit it again instead"));
    }
    return Reply<JobSummary>(std::move(done), NoJob(ref));
  }
  const JobId jid = *found;
  const JobState& job = engine_.job(jid);
  if (!job.finished) {
    return Reply<JobSummary>(std::move(done), MakeError(kNotFinished, "job " + ref + " is " + JobStateName(job) +
                                                                          "; only a finished job can be retried"));
  }
  if (job.Succeeded()) {
    return Reply<JobSummary>(std::move(done),
                             MakeError(kNothingToRetry, "job " + ref + " succeeded; there is nothing to retry"));
  }
  Propose(Change{clock_.UnixMicros(), change::JobRetried{jid}}, FailWith(done),
          [this, jid, done] { Reply<JobSummary>(done, SummaryOf(engine_.job(jid))); });
}

bool ServerCore::Reached(const PendingWait& wait) const {
  const JobState* job = engine_.find_job(wait.job);
  if (job == nullptr) return true;   // retired: finished long ago
  return wait.until_done ? job->finished : job->started || job->finished;
}

void ServerCore::AnswerWait(PendingWait& wait, bool reached) {
  if (const JobState* job = engine_.find_job(wait.job)) {
    return Reply<WaitAnswer>(std::move(wait.done), WaitAnswer{reached, SummaryOf(*job)});
  }
  const std::string ref = std::to_string(uint64_t{wait.job} + 1);
  std::optional<JobDetail> archived = LookupArchive(ref);
  if (!archived) return Reply<WaitAnswer>(std::move(wait.done), NoJob(ref));
  Reply<WaitAnswer>(std::move(wait.done), WaitAnswer{true, std::move(archived->summary)});
}

void ServerCore::Wait(const std::string& ref, bool until_done, uint64_t wait_id, Answer<WaitAnswer> done,
                      Abandoned abandoned) {
  const std::optional<JobId> found = FindJob(ref);
  if (!found) {
    std::optional<JobDetail> archived = LookupArchive(ref);
    if (archived) return Reply<WaitAnswer>(std::move(done), WaitAnswer{true, std::move(archived->summary)});
    return Reply<WaitAnswer>(std::move(done), NoJob(ref));
  }
  PendingWait wait{*found, until_done, std::move(done), std::move(abandoned)};
  if (Reached(wait)) return AnswerWait(wait, true);
  waits_.emplace(wait_id, std::move(wait));
}

void ServerCore::ExpireWait(uint64_t wait_id) {
  auto it = waits_.find(wait_id);
  if (it == waits_.end()) return;
  AnswerWait(it->second, Reached(it->second));
  waits_.erase(it);
}

void ServerCore::PostSignal(const std::string& key, Answer<SignalAnswer> done) {
  if (engine_.SignalPosted(key)) return Reply<SignalAnswer>(std::move(done), SignalAnswer{key, false});
  Propose(Change{clock_.UnixMicros(), change::SignalPosted{key}}, FailWith(done),
          [this, key, done] { Reply<SignalAnswer>(done, SignalAnswer{key, true}); });
}

void ServerCore::Hosts(Answer<std::vector<HostView>> done) {
  std::vector<HostView> hosts;
  for (const HostState& h : engine_.hosts()) {
    HostView& v = hosts.emplace_back();
    v.name = h.info.name;
    v.alive = h.alive;
    v.cores = h.info.total.cores;
    v.memory = h.info.total.memory;
    v.gpus = h.info.total.gpus;
    v.tags = h.info.tags;
    v.pools = h.info.pools;
    v.used_cores = h.used.cores;
    v.used_memory = h.used.memory;
    v.used_gpus = h.used.gpus;
    v.running = h.running;
    if (h.seen) {
      v.last_heartbeat_us = clock_.UnixMicros() -
                            std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now() - h.last_seen).count();
    }
  }
  Reply<std::vector<HostView>>(std::move(done), std::move(hosts));
}

void ServerCore::Servers(Answer<LeaseView> done) {
  if (leases_) return Reply<LeaseView>(std::move(done), leases_->view());
  LeaseView alone;   // one server holds everything, at the epoch of its start
  alone.now_us = clock_.UnixMicros();
  ServerInfo me = options_.server;
  me.alive = true;
  me.renewed_us = alone.now_us;
  alone.servers.push_back(std::move(me));
  std::vector<std::string> names = engine_.farm_pools();
  names.push_back(change::kFarmLease);
  names.push_back(change::kSchedulesLease);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) alone.leases.push_back({name, options_.server.name, engine_.epoch(), 0, false});
  Reply<LeaseView>(std::move(done), std::move(alone));
}

void ServerCore::GetConfig(Answer<std::map<std::string, std::string>> done) {
  Reply<std::map<std::string, std::string>>(std::move(done), engine_.config());
}

// The next cycle uses the new settings; each changed key is persisted and announced as a
// config.changed event.
void ServerCore::PutConfig(const std::map<std::string, std::string>& values,
                           Answer<std::map<std::string, std::string>> done) {
  sched::SchedConfig settings = engine_.sched_config();
  if (std::string problem = sched::ApplySettings(settings, values); !problem.empty()) {
    return Reply<std::map<std::string, std::string>>(std::move(done), MakeError(kBadConfig, problem));
  }
  Propose(Change{clock_.UnixMicros(), change::ConfigSet{values}}, FailWith(done),
          [this, done] { GetConfig(done); });
}

void ServerCore::AfterBatch() {
  if (!fatal_.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  const bool had_changes = !proposals_.empty();
  const uint64_t appended_before = appended_;
  // The batch's requests and what time made due, and a scheduling slice. Async: the slice comes
  // from an earlier snapshot anyway, so it joins the same append. Sync: it is decided on the
  // state the requests leave, in a second append, so that what a report freed is placed in this
  // batch and not the next; the first append is made durable by the second (or by a Sync when
  // nothing was placed), one fsync per batch either way. Nobody is answered before that. Several
  // servers: the slice always has an append of its own, fenced by the leases it was placed
  // under, so that a lease lost meanwhile loses the slice and nobody's request.
  TurnLeases(/*force=*/false);
  Fence fence;
  auto propose_slice = [this, &fence] {
    std::optional<change::Placements> slice = engine_.ProposePlacements();
    if (!slice) return false;
    fence = Fence{options_.server.name, slice->fence};
    Propose(Change{clock_.UnixMicros(), std::move(*slice)});
    proposals_.back().placements = true;
    return true;
  };
  for (Change& due : engine_.DueChanges(clock_.UnixMicros(), clock_.Now())) Propose(std::move(due));
  ProposeHostsSeen();
  if (engine_.sched_config().async && !leases_) {
    propose_slice();
    CommitProposals(Durability::kNow);
  } else if (CommitProposals(Durability::kLater)) {
    if (!propose_slice() || !CommitProposals(Durability::kNow, leases_ ? &fence : nullptr)) MakeDurable();
  }
  if (!fatal_.empty()) return;   // nothing is answered: the server stops
  for (double seconds : engine_.TakeSchedDurations()) sched_seconds_.Observe("", seconds);
  engine_.FireEffects(clock_.UnixMicros());
  hub_.Deliver();
  for (auto it = waits_.begin(); it != waits_.end();) {
    if (it->second.abandoned && it->second.abandoned()) {
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
  // No append took the events along: they go on their own once they have waited kEventDelay
  // (an idle server), not after every batch that only read.
  if (events_.unstored.empty()) {
    unstored_since_.reset();
  } else if (!unstored_since_) {
    unstored_since_ = clock_.Now();
  } else if (appended_ == appended_before && clock_.Now() - *unstored_since_ >= kEventDelay) {
    StoreEvents();
  }
  // The events before the answers: a client that reads events after its answer finds them.
  if (publisher_ && !events_.fresh.empty()) publisher_(std::exchange(events_.fresh, {}), stored_seq_);
  events_.fresh.clear();
  deferred_.RunAll();
  FollowStored();
  if (had_changes || appended_ != appended_before) {   // requests, or a slice placed by time alone
    cycle_seconds_.Observe("", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}

}  // namespace rota
