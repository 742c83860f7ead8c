// ServerCore, the agents' side: registration, heartbeats, requests for work (which may carry exit
// reports), exit reports with their fencing tokens, and run logs.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "api/server_core.h"

namespace rota {

namespace {

std::string SanitizeForPath(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (out == "." || out == "..") out = "_";
  return out;
}

Error NoAgent(const std::string& agent) {
  return MakeError(kNotFound, "no live agent " + agent + "; register again");
}

}  // namespace

void ServerCore::Register(wire::Registration agent, Answer<wire::RegisterAnswer> done) {
  HostInfo info;
  info.name = agent.name;
  info.total = sched::Amount{agent.cores, agent.memory, agent.gpus};
  info.tags = std::move(agent.tags);
  info.pools = std::move(agent.pools);
  std::sort(info.tags.begin(), info.tags.end());
  std::sort(info.pools.begin(), info.pools.end());
  const std::string name = agent.name;
  Propose(Change{clock_.UnixMicros(), change::HostRegistered{std::move(info)}}, FailWith(done),
          [this, name, done, running = std::move(agent.running)] {
            Touch(name);
            Reply<wire::RegisterAnswer>(
                done, wire::RegisterAnswer{name, options_.heartbeat_interval, engine_.UnwantedRuns(name, running)});
          });
}

void ServerCore::Heartbeat(const std::string& agent, const std::vector<wire::RunToken>& running,
                           Answer<std::vector<wire::RunToken>> done) {
  if (!engine_.HostAlive(agent) || !Touch(agent)) {
    return Reply<std::vector<wire::RunToken>>(std::move(done), NoAgent(agent));
  }
  ResendMissing(agent, running);
  Reply<std::vector<wire::RunToken>>(std::move(done), engine_.UnwantedRuns(agent, running));
}

// An assignment can be lost on the way without anyone crashing: the agent's long-poll connection
// breaks after the reply was written. Such a run is active here but absent from the agent's
// heartbeats; after kMissesBeforeResend heartbeats in a row it is sent again (an agent ignores a
// run id it already has, and one that ended and is still being reported is not started twice).
bool ServerCore::Touch(const std::string& agent) {
  if (!engine_.TouchHost(agent)) return false;
  if (store_.Shared()) heard_.insert(agent);
  return true;
}

// Each server hears only the agents that call it; the others learn of those calls from the log,
// at most every quarter of the heartbeat timeout per host.
void ServerCore::ProposeHostsSeen() {
  if (heard_.empty()) return;
  const TimePoint now = clock_.Now();
  const auto every = options_.engine.heartbeat_timeout / 4;
  change::HostsSeen seen;
  for (const std::string& host : heard_) {
    auto [it, first] = told_.emplace(host, now);
    if (!first && now - it->second < every) continue;
    it->second = now;
    seen.hosts.push_back(host);
  }
  heard_.clear();
  if (!seen.hosts.empty()) Propose(Change{clock_.UnixMicros(), std::move(seen)});
}

void ServerCore::ResendMissing(const std::string& agent, const std::vector<wire::RunToken>& running) {
  constexpr int kMissesBeforeResend = 3;
  std::erase_if(missing_, [&](const auto& entry) { return !engine_.Run(entry.first).active; });
  std::unordered_set<RunId> listed;
  for (const wire::RunToken& token : running) listed.insert(token.run);
  for (const wire::RunToken& token : engine_.ActiveRuns(agent)) {
    if (listed.count(token.run) || hub_.Queued(agent, token.run)) {
      missing_.erase(token.run);
      continue;
    }
    if (++missing_[token.run] >= kMissesBeforeResend) {
      missing_.erase(token.run);
      engine_.Relaunch(token.run);
    }
  }
}

std::vector<wire::ReportResult> ServerCore::ProposeEnds(const std::string& agent,
                                                        const std::vector<wire::RunReport>& reports,
                                                        Proposal& proposal) {
  std::vector<wire::ReportResult> results;
  results.reserve(reports.size());
  for (const wire::RunReport& report : reports) {
    // Checked now for the answer; Apply checks again in log order (and drops what went stale).
    std::string refusal = engine_.CheckToken(report.run, report.epoch, agent);
    if (!refusal.empty()) {
      results.push_back({report.run, false, kStaleRun, std::move(refusal)});
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
    results.push_back({report.run, true, "", ""});
  }
  if (!agent.empty()) Touch(agent);
  return results;
}

void ServerCore::Reports(const std::string& agent, const std::vector<wire::RunReport>& reports,
                         Answer<std::vector<wire::ReportResult>> done) {
  Proposal proposal;
  std::vector<wire::ReportResult> results = ProposeEnds(agent, reports, proposal);
  if (proposal.changes.empty()) return Reply<std::vector<wire::ReportResult>>(std::move(done), std::move(results));
  proposal.fail = FailWith(done);
  proposal.answer = [this, done, results = std::move(results)]() mutable {
    Reply<std::vector<wire::ReportResult>>(done, std::move(results));
  };
  proposals_.push_back(std::move(proposal));
}

void ServerCore::Work(const std::string& agent, WorkRequest request, Answer<wire::WorkAnswer> done,
                      Abandoned abandoned) {
  if (!engine_.HostAlive(agent)) return Reply<wire::WorkAnswer>(std::move(done), NoAgent(agent));
  Touch(agent);   // a poll is as good as a heartbeat
  AgentHub::Poll poll;
  poll.max = request.max;
  poll.wait = request.wait && request.reports.empty();
  poll.poll_id = request.poll_id;
  poll.abandoned = std::move(abandoned);
  Proposal proposal;
  poll.results = ProposeEnds(agent, request.reports, proposal);
  if (proposal.changes.empty()) {
    poll.done = std::move(done);
    return hub_.Take(agent, std::move(poll));
  }
  // The ends first: the answer comes after this batch's cycle, with what they made room for.
  proposal.fail = FailWith(done);
  poll.done = std::move(done);
  proposal.answer = [this, agent, poll = std::move(poll)]() mutable { hub_.Take(agent, std::move(poll)); };
  proposals_.push_back(std::move(proposal));
}

void ServerCore::ExpireWork(const std::string& agent, uint64_t poll_id) { hub_.Expire(agent, poll_id); }

std::string ServerCore::LogPath(uint64_t job_id, std::string_view task, int instance,
                                int attempt) const {
  return options_.log_dir + "/" + std::to_string(job_id) + "/" + SanitizeForPath(task) + "/" +
         std::to_string(instance) + "." + std::to_string(attempt) + ".log";
}

void ServerCore::StoreLog(RunId run, uint64_t epoch, const std::string& agent, std::string bytes,
                          Answer<Unit> done) {
  const RunView v = engine_.Run(run);
  // The log form of the token is run + epoch; an agent name, when given, must match too.
  std::string refusal = engine_.CheckToken(run, epoch, agent.empty() ? v.host : agent);
  if (!refusal.empty()) return Reply<Unit>(std::move(done), MakeError(kStaleRun, refusal));
  // A run that printed nothing has no log, as in `rota run`.
  if (bytes.empty()) return Reply<Unit>(std::move(done), Unit{});
  const std::string path = LogPath(v.job_id, v.task, v.index, v.attempt);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Reply<Unit>(std::move(done), MakeError(kStoreUnavailable, "could not write " + path));
  Reply<Unit>(std::move(done), Unit{});
}

void ServerCore::GetLog(const std::string& ref, const std::string& task, int instance, int attempt,
                        Answer<std::string> done) {
  const std::optional<JobId> found_id = FindJob(ref);
  if (!found_id) {
    if (std::optional<JobDetail> archived = LookupArchive(ref)) {
      return Reply<std::string>(std::move(done), ArchivedLog(*archived, task, instance, attempt));
    }
    return Reply<std::string>(std::move(done), NoJob(ref));
  }
  const JobState& job = engine_.job(*found_id);
  const TaskState* found = nullptr;
  for (const TaskState& t : job.tasks) {
    if (t.spec->name == task) found = &t;
  }
  if (found == nullptr || instance < 0 || static_cast<uint32_t>(instance) >= found->instance_count) {
    return Reply<std::string>(std::move(done), MakeError(kNotFound, "job " + ref + " has no task " + task +
                                                                        " instance " + std::to_string(instance)));
  }
  const InstanceState& inst = job.instances[found->first_instance + static_cast<uint32_t>(instance)];
  if (attempt <= 0) attempt = inst.attempts;
  Reply<std::string>(std::move(done), ReadLog(uint64_t{*found_id} + 1, ref, task, instance, attempt));
}

Result<std::string> ServerCore::ReadLog(uint64_t job_id, const std::string& ref, const std::string& task,
                                        int instance, int attempt) const {
  std::ifstream in(LogPath(job_id, task, instance, attempt), std::ios::binary);
  if (attempt <= 0 || !in) {
    return MakeError(kNotFound, "no log for " + task + "/" + std::to_string(instance) +
                                    (attempt > 0 ? " attempt " + std::to_string(attempt) : "") + " of job " +
                                    ref + " (it printed nothing, or has not run)");
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace rota
