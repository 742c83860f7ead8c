// ServerCore, the agents' side: registration, heartbeats, work long-polls, exit reports with
// their fencing tokens, and run logs.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "api/json_reply.h"
#include "api/server_core.h"

namespace rota {

using json = nlohmann::ordered_json;

namespace {

json TokensJson(const std::vector<RunToken>& tokens) {
  json a = json::array();
  for (const auto& [run, epoch] : tokens) a.push_back({{"run", run}, {"epoch", epoch}});
  return a;
}

std::string SanitizeForPath(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (out == "." || out == "..") out = "_";
  return out;
}

}  // namespace

void ServerCore::Register(AgentRegistration agent, ExchangePtr ex) {
  HostInfo info;
  info.name = agent.name;
  info.total = agent.total;
  info.tags = agent.tags;
  info.pools = agent.pools;
  std::sort(info.tags.begin(), info.tags.end());
  std::sort(info.pools.begin(), info.pools.end());
  const std::string name = agent.name;
  ExchangePtr reply_to = ex;
  Propose(Change{clock_.UnixMicros(), change::HostRegistered{std::move(info)}}, std::move(ex),
          [this, name, reply_to, running = std::move(agent.running)] {
            engine_.TouchHost(name);
            Reply(reply_to, JsonAt(200, {{"id", name},
                                         {"heartbeat_ms", options_.heartbeat_interval.count()},
                                         {"kill", TokensJson(engine_.UnwantedRuns(name, running))}},
                                   "/v1/agents/register"));
          });
}

void ServerCore::Heartbeat(const std::string& agent, const std::vector<RunToken>& running,
                           ExchangePtr ex) {
  if (!engine_.HostAlive(agent) || !engine_.TouchHost(agent)) {
    return Reply(std::move(ex), ErrorResponse(404, "not_found", "no live agent " + agent + "; register again"));
  }
  ResendMissing(agent, running);
  Reply(std::move(ex), JsonAt(200, {{"kill", TokensJson(engine_.UnwantedRuns(agent, running))}}, "/v1/agents/{id}/heartbeat"));
}

// An assignment can be lost on the way without anyone crashing: the agent's long-poll connection
// breaks after the reply was written. Such a run is active here but absent from the agent's
// heartbeats; after kMissesBeforeResend heartbeats in a row it is sent again (an agent ignores a
// run id it already has, and one that ended and is still being reported is not started twice).
void ServerCore::ResendMissing(const std::string& agent, const std::vector<RunToken>& running) {
  constexpr int kMissesBeforeResend = 3;
  std::erase_if(missing_, [&](const auto& entry) { return !engine_.Run(entry.first).active; });
  std::unordered_set<RunId> listed;
  for (const auto& [run, epoch] : running) listed.insert(run);
  for (const auto& [run, epoch] : engine_.ActiveRuns(agent)) {
    if (listed.count(run) || hub_.Queued(agent, run)) {
      missing_.erase(run);
      continue;
    }
    if (++missing_[run] >= kMissesBeforeResend) {
      missing_.erase(run);
      engine_.Relaunch(run);
    }
  }
}

void ServerCore::Work(const std::string& agent, size_t max, uint64_t poll_id, ExchangePtr ex) {
  if (!engine_.HostAlive(agent)) {
    return Reply(std::move(ex), ErrorResponse(404, "not_found", "no live agent " + agent + "; register again"));
  }
  engine_.TouchHost(agent);   // a poll is as good as a heartbeat
  hub_.Poll(agent, std::move(ex), max, poll_id);
}

void ServerCore::ExpireWork(const std::string& agent, uint64_t poll_id) { hub_.Expire(agent, poll_id); }

void ServerCore::Reports(const std::string& agent, const std::vector<RunReport>& reports,
                         bool batch, ExchangePtr ex) {
  json results = json::array();
  std::string first_refusal;
  Proposal proposal;
  for (const RunReport& report : reports) {
    // Checked now for the answer; Apply checks again in log order (and drops what went stale).
    const std::string refusal = engine_.CheckToken(report.run, report.epoch, agent);
    if (!refusal.empty()) {
      if (first_refusal.empty()) first_refusal = refusal;
      results.push_back({{"run", report.run}, {"ok", false}, {"error", "stale_run"}, {"message", refusal}});
      continue;
    }
    change::RunEnded ended;
    RunExit& exit = ended.exit;
    exit.run = report.run;
    exit.exit_code = report.exit_code;
    exit.term_signal = report.term_signal;
    exit.launch_failed = report.launch_failed;
    exit.error = report.error;
    exit.lost = report.lost;
    if (exit.lost && exit.error.empty()) exit.error = "agent " + agent + " lost the run";
    ended.epoch = report.epoch;
    ended.host = agent;
    proposal.changes.push_back(Change{clock_.UnixMicros(), std::move(ended)});
    results.push_back({{"run", report.run}, {"ok", true}});
  }
  if (agent.size() > 0) engine_.TouchHost(agent);
  HttpResponse r = batch ? JsonAt(200, {{"results", std::move(results)}}, "/v1/agents/{id}/status")
                   : first_refusal.empty() ? JsonAt(200, json::object(), "/v1/runs/{id}/status")
                                           : ErrorResponse(409, "stale_run", first_refusal);
  if (proposal.changes.empty()) return Reply(std::move(ex), std::move(r));
  proposal.ex = ex;
  proposal.answer = [this, ex, r = std::move(r)]() mutable { Reply(ex, std::move(r)); };
  proposals_.push_back(std::move(proposal));
}

std::string ServerCore::LogPath(uint64_t job_id, std::string_view task, int instance,
                                int attempt) const {
  return options_.log_dir + "/" + std::to_string(job_id) + "/" + SanitizeForPath(task) + "/" +
         std::to_string(instance) + "." + std::to_string(attempt) + ".log";
}

void ServerCore::StoreLog(RunId run, uint64_t epoch, const std::string& agent, std::string bytes,
                          ExchangePtr ex) {
  const RunView v = engine_.Run(run);
  // The log form of the token is run + epoch; an agent name, when given, must match too.
  const std::string refusal = engine_.CheckToken(run, epoch, agent.empty() ? v.host : agent);
  if (!refusal.empty()) return Reply(std::move(ex), ErrorResponse(409, "stale_run", refusal));
  const std::string path = LogPath(v.job_id, v.task, v.index, v.attempt);
  if (bytes.empty()) {   // a run that printed nothing has no log, as in `rota run`
    return Reply(std::move(ex), JsonAt(200, json::object(), "/v1/runs/{id}/log"));
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Reply(std::move(ex), ErrorResponse(503, "store_unavailable", "could not write " + path));
  Reply(std::move(ex), JsonAt(200, json::object(), "/v1/runs/{id}/log"));
}

void ServerCore::GetLog(const std::string& ref, const std::string& task, int instance, int attempt,
                        ExchangePtr ex) {
  const int64_t found_id = FindJob(ref);
  if (found_id < 0) {
    if (std::optional<ArchivedJob> archived = LookupArchive(ref)) {
      return ReplyArchivedLog(*archived, task, instance, attempt, std::move(ex));
    }
    return Reply(std::move(ex), ErrorResponse(404, "not_found", "no job " + ref));
  }
  const auto id = static_cast<JobId>(found_id);
  const JobState& job = engine_.job(id);
  const TaskState* found = nullptr;
  for (const TaskState& t : job.tasks) {
    if (t.spec->name == task) found = &t;
  }
  if (found == nullptr || instance < 0 || static_cast<uint32_t>(instance) >= found->instance_count) {
    return Reply(std::move(ex), ErrorResponse(404, "not_found",
                                              "job " + ref + " has no task " + task + " instance " +
                                                  std::to_string(instance)));
  }
  const InstanceState& inst = job.instances[found->first_instance + static_cast<uint32_t>(instance)];
  if (attempt <= 0) attempt = inst.attempts;
  ReplyLog(static_cast<uint64_t>(id) + 1, ref, task, instance, attempt, std::move(ex));
}

void ServerCore::ReplyLog(uint64_t job_id, const std::string& ref, const std::string& task, int instance,
                          int attempt, ExchangePtr ex) {
  const std::string path = LogPath(job_id, task, instance, attempt);
  std::ifstream in(path, std::ios::binary);
  if (attempt <= 0 || !in) {
    return Reply(std::move(ex), ErrorResponse(404, "not_found",
                                              "no log for " + task + "/" + std::to_string(instance) +
                                                  (attempt > 0 ? " attempt " + std::to_string(attempt) : "") +
                                                  " of job " + ref + " (it printed nothing, or has not run)"));
  }
  std::stringstream s;
  s << in.rdbuf();
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = s.str();
  r.route = "/v1/jobs/{id}/logs";
  Reply(std::move(ex), std::move(r));
}

}  // namespace rota
