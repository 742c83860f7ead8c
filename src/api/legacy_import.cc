// ServerCore::ImportLegacy: a store of schema version 2 kept records (jobs, runs, retries,
// signals, config, agents) instead of a log. Once, at the first start after the upgrade, those
// records become changes: each is applied to the engine as it is made (so a stored run id can be
// matched to the id Apply gives it), and all of them are appended to the log in one transaction
// that also empties the old tables. The events of that history are stored already, so the import
// derives none; seq continues above the last stored one.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/server_core.h"
#include "sched/sched_config.h"
#include "spec/spec_parser.h"

namespace rota {

namespace {

struct Transition {
  int64_t at;
  bool start;
  const RunRecord* run;     // null: the retry of job `retried`
  uint64_t retried = 0;
};

}  // namespace

Result<Unit> ServerCore::ImportLegacy() {
  Result<StoredState> loaded = store_.LoadLegacy();
  if (!loaded.ok()) return loaded.error();
  const StoredState& state = *loaded;
  if (state.jobs.empty() && state.agents.empty() && state.config.empty() && state.signals.empty()) {
    return Unit{};
  }
  std::vector<std::string> entries;
  const uint64_t skip = events_.skip_through;
  events_.skip_through = ~uint64_t{0};   // the import derives no events
  auto apply = [&](int64_t at, decltype(Change::what) what) {
    Change c{at, std::move(what)};
    entries.push_back(EncodeChange(c));
    ApplyEntry(entries.size(), std::move(c));   // the log is empty before an import
  };
  uint64_t epoch = 1;
  if (auto it = state.config.find("server.epoch"); it != state.config.end()) {
    epoch = std::max<uint64_t>(1, std::strtoull(it->second.c_str(), nullptr, 10));
  }
  const int64_t first_at = state.jobs.empty() ? clock_.UnixMicros() : state.jobs.front().submitted_us;
  apply(first_at, change::EpochStarted{1, 0});
  std::map<std::string, std::string> settings;
  for (const auto& [key, value] : state.config) {
    if (sched::IsSchedKey(key)) settings[key] = value;
  }
  if (!settings.empty()) apply(first_at, change::ConfigSet{settings});
  auto host_index = [&](const std::string& name) -> int {
    for (size_t h = 0; h < engine_.hosts().size(); ++h) {
      if (engine_.hosts()[h].info.name == name) return static_cast<int>(h);
    }
    return -1;
  };
  for (const AgentRecord& a : state.agents) {
    HostInfo info;
    info.name = a.name;
    try {
      const nlohmann::json r = nlohmann::json::parse(a.resources_json);
      info.total = {r.value("cores", 0.0), r.value("memory", int64_t{0}), r.value("gpus", 0)};
      info.tags = r.value("tags", std::vector<std::string>{});
      info.pools = r.value("pools", std::vector<std::string>{});
    } catch (const std::exception&) {
      // a host record we cannot read: it will register again with its resources
    }
    apply(a.registered_us, change::HostRegistered{std::move(info)});
  }
  for (const JobRecord& record : state.jobs) {
    if (record.id != engine_.job_count() + 1) {
      return MakeError("store_corrupt", "job " + std::to_string(record.id) + " follows job " +
                                            std::to_string(engine_.job_count()) + ": job ids have a gap");
    }
    ParsedSpec parsed = ParseSpec(record.spec_text, "job " + std::to_string(record.id));
    if (!parsed.ok()) {
      return MakeError("store_corrupt", "stored job " + std::to_string(record.id) +
                                            " no longer parses: " + parsed.errors[0].message);
    }
    change::JobSubmitted what;
    what.spec = std::make_shared<const JobSpec>(std::move(parsed.job));
    what.spec_text = record.spec_text;
    what.log_dir = options_.log_dir;
    apply(record.submitted_us, std::move(what));
  }
  for (const auto& [key, posted_us] : state.signals) apply(posted_us, change::SignalPosted{key});
  // Every run's start and end, in the order they happened (the times were strictly increasing).
  std::vector<Transition> transitions;
  for (const RunRecord& run : state.runs) {
    if (run.job_id == 0 || run.job_id > engine_.job_count()) continue;
    transitions.push_back({run.started_us, true, &run});
    if (run.ended_us != 0) transitions.push_back({run.ended_us, false, &run});
  }
  for (const auto& [job_id, at] : state.job_retries) {
    if (job_id != 0 && job_id <= engine_.job_count()) transitions.push_back({at, false, nullptr, job_id});
  }
  std::stable_sort(transitions.begin(), transitions.end(), [](const Transition& a, const Transition& b) {
    return a.at != b.at ? a.at < b.at : a.start > b.start;
  });
  std::map<uint64_t, RunId> run_ids;   // stored id -> the id Apply gave it
  for (const Transition& t : transitions) {
    if (t.run == nullptr) {
      apply(t.at, change::JobRetried{static_cast<JobId>(t.retried - 1)});
      continue;
    }
    const RunRecord& run = *t.run;
    const JobId job = static_cast<JobId>(run.job_id - 1);
    const JobState& js = engine_.job(job);
    if (t.start) {
      uint32_t task = 0;
      while (task < js.tasks.size() && js.tasks[task].spec->name != run.task) ++task;
      if (task == js.tasks.size() || run.instance < 0 ||
          static_cast<uint32_t>(run.instance) >= js.tasks[task].instance_count) {
        continue;
      }
      const uint32_t instance = js.tasks[task].first_instance + static_cast<uint32_t>(run.instance);
      if (run.epoch > engine_.epoch()) apply(t.at, change::EpochStarted{run.epoch, 0});
      if (host_index(run.host) < 0) {   // a host whose record is gone: it may still come back
        HostInfo info;
        info.name = run.host;
        apply(t.at, change::HostRegistered{std::move(info)});
      }
      if (js.instances[instance].status == InstanceStatus::kBackoff) {
        apply(t.at, change::BackoffOver{job, instance});
      }
      const RunId before = engine_.last_run();
      change::Placements place;
      place.placements.push_back({job, task, instance, static_cast<uint32_t>(host_index(run.host))});
      apply(t.at, std::move(place));
      if (engine_.last_run() != before) run_ids[run.id] = engine_.last_run();
      continue;
    }
    auto id = run_ids.find(run.id);
    if (id == run_ids.end()) continue;
    const RunView view = engine_.Run(id->second);
    RunOutcome outcome = RunOutcome::kFailed;
    if (!ParseRunOutcome(run.state, outcome)) outcome = RunOutcome::kFailed;
    change::RunEnded ended;
    ended.exit.run = id->second;
    ended.exit.exit_code = run.exit_code.value_or(0);
    ended.epoch = view.epoch;
    ended.host = std::string(view.host);
    switch (outcome) {
      case RunOutcome::kTimedOut: apply(t.at, change::TimeoutDue{id->second}); break;
      case RunOutcome::kCancelled: apply(t.at, change::CancelRequested{job, "job cancelled"}); break;
      case RunOutcome::kPreempted: {
        change::Placements preempt;
        preempt.preempted.push_back(id->second);
        apply(t.at, std::move(preempt));
        if (ended.exit.exit_code == 0) ended.exit.exit_code = 1;
        break;
      }
      case RunOutcome::kLost: ended.exit.lost = true; break;
      case RunOutcome::kFailed:
        if (ended.exit.exit_code == 0) ended.exit.exit_code = 1;
        break;
      default: break;
    }
    apply(t.at, std::move(ended));
  }
  for (const JobRecord& record : state.jobs) {
    if (record.state == "cancelling") {
      apply(clock_.UnixMicros(), change::CancelRequested{static_cast<JobId>(record.id - 1), "job cancelled"});
    }
  }
  apply(clock_.UnixMicros(), change::EpochStarted{epoch, state.last_seq});
  events_.skip_through = std::max(skip, state.last_seq);
  stored_seq_ = std::max(stored_seq_, state.last_seq);
  events_.unstored.clear();
  events_.fresh.clear();
  Result<uint64_t> appended = store_.ImportLegacy(entries);
  if (!appended.ok()) return appended.error();
  imported_through_ = *appended;
  return Unit{};
}

}  // namespace rota
