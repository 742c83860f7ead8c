#include "api/server_core.h"

#include <algorithm>
#include <chrono>

#include "api/job_json.h"
#include "api/json_reply.h"
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
      recorder_(store, clock),
      hub_(replies_),
      engine_(clock, hub_, recorder_, [&] {
        EngineOptions o = options_.engine;
        o.placement = true;
        return o;
      }()) {
  recorder_.set_engine(&engine_);
  hub_.set_engine(&engine_);
  engine_.set_run_observer(&recorder_);
}

Result<Unit> ServerCore::Restore(const StoredState& state) {
  config_ = state.config;
  sched::SchedConfig settings;
  for (const auto& [key, value] : config_) {
    if (!sched::IsSchedKey(key)) continue;   // server.epoch and the like
    if (std::string problem = sched::ApplySetting(settings, key, value); !problem.empty()) {
      std::fprintf(stderr, "rota server: ignoring stored setting: %s\n", problem.c_str());
    }
  }
  engine_.SetSchedConfig(std::move(settings));
  engine_.BeginRestore();
  for (const AgentRecord& a : state.agents) {
    HostInfo info;
    info.name = a.name;
    try {
      const json r = json::parse(a.resources_json);
      info.total = {r.value("cores", 0.0), r.value("memory", int64_t{0}), r.value("gpus", 0)};
      info.tags = r.value("tags", std::vector<std::string>{});
      info.pools = r.value("pools", std::vector<std::string>{});
    } catch (const std::exception&) {
      // a host record we cannot read: it will register again with its resources
    }
    engine_.UpsertHost(std::move(info));
  }
  for (const JobRecord& record : state.jobs) {
    if (record.id != engine_.job_count() + 1) {
      return MakeError("store_corrupt", "job " + std::to_string(record.id) +
                                            " follows job " + std::to_string(engine_.job_count()) +
                                            ": job ids have a gap");
    }
    ParsedSpec parsed = ParseSpec(record.spec_text, "job " + std::to_string(record.id));
    if (!parsed.ok()) {
      return MakeError("store_corrupt", "stored job " + std::to_string(record.id) +
                                            " no longer parses: " + parsed.errors[0].message);
    }
    SubmitOptions submit;
    submit.log_dir = options_.log_dir;
    engine_.Submit(std::move(parsed.job), submit);
    recorder_.JobAccepted(record);
  }
  for (const auto& [key, posted_us] : state.signals) engine_.PostSignal(key);
  // Every run's start and end, replayed in the order they happened (the Recorder's times are
  // strictly increasing).
  struct Transition {
    int64_t at;
    bool start;
    const RunRecord* run;     // null: the retry of job `retried`
    uint64_t retried = 0;
  };
  std::vector<Transition> transitions;
  int64_t last_time = 0;
  for (const RunRecord& run : state.runs) {
    if (run.job_id == 0 || run.job_id > engine_.job_count()) continue;
    transitions.push_back({run.started_us, true, &run});
    if (run.ended_us != 0) transitions.push_back({run.ended_us, false, &run});
    last_time = std::max({last_time, run.started_us, run.ended_us});
  }
  for (const auto& [job_id, at] : state.job_retries) {
    if (job_id == 0 || job_id > engine_.job_count()) continue;
    transitions.push_back({at, false, nullptr, job_id});
    last_time = std::max(last_time, at);
  }
  std::stable_sort(transitions.begin(), transitions.end(), [](const Transition& a, const Transition& b) {
    return a.at != b.at ? a.at < b.at : a.start > b.start;
  });
  recorder_.set_last_time(last_time);
  for (const Transition& t : transitions) {
    if (t.run == nullptr) {
      engine_.Retry(static_cast<JobId>(t.retried - 1));
      continue;
    }
    const RunRecord& run = *t.run;
    Engine::StoredRun stored;
    stored.run = run.id;
    stored.task = run.task;
    stored.index = run.instance;
    stored.attempt = run.attempt;
    stored.epoch = run.epoch;
    stored.host = run.host;
    if (!ParseRunOutcome(run.state, stored.outcome)) stored.outcome = RunOutcome::kRunning;
    stored.exit_code = run.exit_code.value_or(0);
    if (t.start) {
      engine_.RestoreStart(static_cast<JobId>(run.job_id - 1), stored);
      if (run.ended_us == 0) recorder_.RunLoaded(run);
    } else {
      engine_.RestoreEnd(stored);
    }
  }
  for (const JobRecord& record : state.jobs) {
    if (record.state == "cancelling") engine_.Cancel(static_cast<JobId>(record.id - 1), "job cancelled");
  }
  engine_.EndRestore(state.last_seq);
  Result<std::vector<EventRecord>> committed = recorder_.Commit();   // only the record copies
  if (!committed.ok()) return committed.error();
  return Unit{};
}

std::optional<JobId> ServerCore::FindJobOrReply(const std::string& ref, ExchangePtr& ex) {
  const int64_t id = FindJob(ref);
  if (id >= 0) return id;
  Reply(std::move(ex), ErrorResponse(404, "not_found", "no job " + ref));
  return std::nullopt;
}

int64_t ServerCore::FindJob(const std::string& ref) const {
  if (!ref.empty() && std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (ref.size() > 12) return -1;
    const uint64_t id = std::stoull(ref);
    if (id == 0 || id > engine_.job_count()) return -1;
    return static_cast<int64_t>(id - 1);
  }
  for (size_t i = engine_.job_count(); i-- > 0;) {
    if (engine_.job(static_cast<JobId>(i)).spec.name == ref) return static_cast<int64_t>(i);
  }
  return -1;
}

JobRecord ServerCore::RecordOf(JobId id) const {
  const JobRecord* r = recorder_.job(uint64_t{id} + 1);
  if (r != nullptr) return *r;
  JobRecord fallback;
  fallback.id = uint64_t{id} + 1;
  return fallback;
}

void ServerCore::Submit(JobSpec spec, std::string text, ExchangePtr ex) {
  const JobId id = static_cast<JobId>(engine_.job_count());
  JobRecord record;
  record.id = uint64_t{id} + 1;
  record.name = spec.name;
  record.queue = spec.queue;
  record.priority = spec.priority;
  record.spec_text = std::move(text);
  record.spec_format = "yaml";
  record.submitted_us = clock_.UnixMicros();
  record.state = "pending";
  recorder_.JobAccepted(std::move(record));
  SubmitOptions submit;
  submit.log_dir = options_.log_dir;
  const std::string name = spec.name;
  engine_.Submit(std::move(spec), submit);
  Reply(std::move(ex), JsonAt(201, {{"id", uint64_t{id} + 1}, {"name", name}}, "/v1/jobs"));
}

void ServerCore::ListJobs(const std::string& state, const std::string& queue, size_t limit,
                          ExchangePtr ex) {
  json jobs = json::array();
  for (JobId id = 0; id < engine_.job_count() && jobs.size() < limit; ++id) {
    const JobState& job = engine_.job(id);
    if (!queue.empty() && job.spec.queue != queue) continue;
    if (!state.empty() && state != JobStateName(job)) continue;
    jobs.push_back(JobSummaryJson(job, RecordOf(id)));
  }
  Reply(std::move(ex), JsonAt(200, {{"jobs", std::move(jobs)}}, "/v1/jobs"));
}

void ServerCore::ShowJob(const std::string& ref, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex);
  if (!found) return;
  const JobId id = *found;
  Reply(std::move(ex), JsonAt(200, JobDetailJson(engine_, id, RecordOf(id)), "/v1/jobs/{id}"));
}

void ServerCore::CancelJob(const std::string& ref, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex);
  if (!found) return;
  const JobId jid = *found;
  if (!engine_.job(jid).finished) {
    recorder_.CancelRequested(uint64_t{jid} + 1);
    engine_.Cancel(jid, "job cancelled");
  }
  Reply(std::move(ex), JsonAt(200, JobSummaryJson(engine_.job(jid), RecordOf(jid)), "/v1/jobs/{id}/cancel"));
}

void ServerCore::RetryJob(const std::string& ref, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex);
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
  recorder_.JobRetried(uint64_t{jid} + 1);
  engine_.Retry(jid);
  Reply(std::move(ex), JsonAt(200, JobSummaryJson(engine_.job(jid), RecordOf(jid)), "/v1/jobs/{id}/retry"));
}

bool ServerCore::Reached(const PendingWait& wait) const {
  const JobState& job = engine_.job(wait.job);
  return wait.until_done ? job.finished : job.started || job.finished;
}

void ServerCore::AnswerWait(const PendingWait& wait, bool reached) {
  Reply(wait.exchange,
        JsonAt(200, {{"reached", reached}, {"job", JobSummaryJson(engine_.job(wait.job), RecordOf(wait.job))}},
               "/v1/jobs/{id}/wait"));
}

void ServerCore::Wait(const std::string& ref, bool until_done, uint64_t wait_id, ExchangePtr ex) {
  const std::optional<JobId> found = FindJobOrReply(ref, ex);
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
  const bool fresh = !engine_.SignalPosted(key);
  engine_.PostSignal(key);
  Reply(std::move(ex), JsonAt(200, {{"key", key}, {"new", fresh}}, "/v1/signals/{key}"));
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
                     {"last_heartbeat_us", clock_.UnixMicros() -
                          std::chrono::duration_cast<std::chrono::microseconds>(clock_.Now() - h.last_seen).count()}});
  }
  Reply(std::move(ex), JsonAt(200, {{"hosts", std::move(hosts)}}, "/v1/hosts"));
}

void ServerCore::GetConfig(ExchangePtr ex) {
  Reply(std::move(ex), JsonAt(200, {{"config", config_}}, "/v1/config"));
}

// All or nothing: every key is checked before any is applied. The next cycle uses the new
// settings; each changed key is persisted and announced as a config.changed event.
void ServerCore::PutConfig(const std::map<std::string, std::string>& values, ExchangePtr ex) {
  sched::SchedConfig settings = engine_.sched_config();
  if (std::string problem = sched::ApplySettings(settings, values); !problem.empty()) {
    Reply(std::move(ex), ErrorResponse(400, "bad_config", problem));
    return;
  }
  engine_.SetSchedConfig(std::move(settings));
  for (const auto& [key, value] : values) {
    config_[key] = value;
    recorder_.ConfigChanged(key, value);
    engine_.AnnounceConfig(key, value);
  }
  GetConfig(std::move(ex));
}

void ServerCore::Metrics(const Histogram& http_latency, ExchangePtr ex) {
  std::string out;
  std::map<std::string, uint64_t> jobs_by_state;
  std::array<uint64_t, 8> instances{};
  for (JobId id = 0; id < engine_.job_count(); ++id) {
    const JobState& job = engine_.job(id);
    ++jobs_by_state[JobStateName(job)];
    for (const InstanceState& inst : job.instances) ++instances[static_cast<int>(inst.status)];
  }
  MetricHeader("rota_jobs", "gauge", "Jobs by state.", out);
  for (const char* s : {"pending", "running", "succeeded", "failed", "cancelled"}) {
    MetricLine("rota_jobs", std::string("state=\"") + s + "\"", static_cast<double>(jobs_by_state[s]), out);
  }
  MetricHeader("rota_instances", "gauge", "Instances by state.", out);
  for (int s = 0; s < 8; ++s) {
    MetricLine("rota_instances", std::string("state=\"") + InstanceStatusName(static_cast<InstanceStatus>(s)) + "\"",
               static_cast<double>(instances[s]), out);
  }
  size_t alive = 0;
  for (const HostState& h : engine_.hosts()) alive += h.alive ? 1 : 0;
  MetricHeader("rota_agents_alive", "gauge", "Agents that heartbeat within the timeout.", out);
  MetricLine("rota_agents_alive", "", static_cast<double>(alive), out);
  MetricHeader("rota_agents_lost", "gauge", "Agents marked lost.", out);
  MetricLine("rota_agents_lost", "", static_cast<double>(engine_.hosts().size() - alive), out);
  MetricHeader("rota_runs_running", "gauge", "Runs placed on agents and not yet ended.", out);
  MetricLine("rota_runs_running", "", static_cast<double>(engine_.running()), out);
  MetricHeader("rota_store_commit_failures_total", "counter", "Commits the store refused.", out);
  MetricLine("rota_store_commit_failures_total", "", static_cast<double>(commits_failed_), out);
  const Engine::CycleStats cycles = engine_.cycle_stats();
  MetricHeader("rota_sched_cycles_total", "counter", "Scheduling results applied.", out);
  MetricLine("rota_sched_cycles_total", "", static_cast<double>(cycles.cycles), out);
  MetricHeader("rota_sched_decisions_total", "counter",
               "Scheduling decisions (placements and preemptions), applied or dropped by reconciliation.", out);
  MetricLine("rota_sched_decisions_total", "outcome=\"applied\"", static_cast<double>(cycles.decisions_applied), out);
  MetricLine("rota_sched_decisions_total", "outcome=\"dropped\"", static_cast<double>(cycles.decisions_dropped), out);
  MetricHeader("rota_sched_preemptions_total", "counter", "Runs preempted by the scheduler.", out);
  MetricLine("rota_sched_preemptions_total", "", static_cast<double>(cycles.preemptions), out);
  MetricHeader("rota_sched_runner_running", "gauge", "1 while the scheduling algorithm runs.", out);
  MetricLine("rota_sched_runner_running", "", cycles.runner_state == RunnerState::kRunning ? 1 : 0, out);
  sched_seconds_.Render("rota_sched_duration_seconds",
                        "Time the scheduling algorithm took per cycle (on the runner's thread in async mode).", out);
  cycle_seconds_.Render("rota_cycle_seconds", "Time of one loop batch's cycle, work delivery and commit.", out);
  http_latency.Render("rota_http_request_seconds", "HTTP request latency, from the whole request read to the reply written.", out);
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(out);
  r.route = "/metrics";
  Reply(std::move(ex), std::move(r));
}

std::vector<EventRecord> ServerCore::AfterBatch() {
  const auto start = std::chrono::steady_clock::now();
  engine_.RunCycle();
  for (double seconds : engine_.TakeSchedDurations()) sched_seconds_.Observe("", seconds);
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
  const bool had_changes = recorder_.has_changes();
  Result<std::vector<EventRecord>> committed = recorder_.Commit();
  if (!committed.ok()) {
    ++commits_failed_;
    if (committed.error().message != last_commit_error_) {
      last_commit_error_ = committed.error().message;
      std::fprintf(stderr, "rota server: %s (retrying; no request is answered until it works)\n",
                   last_commit_error_.c_str());
    }
    return {};
  }
  last_commit_error_.clear();
  replies_.SendAll();
  if (had_changes) {
    cycle_seconds_.Observe("", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return std::move(committed.value());
}

}  // namespace rota
