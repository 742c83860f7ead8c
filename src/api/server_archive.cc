// ServerCore and retired jobs (DESIGN section 8): finished jobs older than `retention` leave the
// engine; just before, their detail view goes to the store's archive, where `rota show`, `rota
// jobs --all`, waits and logs still find them.
#include <algorithm>
#include <sstream>

#include "api/job_json.h"
#include "api/json_reply.h"
#include "api/server_core.h"

namespace rota {

using json = nlohmann::ordered_json;

void ServerCore::ArchiveJob(const JobState& job) {
  ArchivedJob a;
  a.id = uint64_t{job.id} + 1;
  a.name = job.spec.name;
  a.queue = job.spec.queue;
  a.state = JobStateName(job);
  a.submitted_us = job.submitted_us;
  a.finished_us = job.finished_us;
  json detail = JobDetailJson(engine_, job.id);
  detail["retired"] = true;
  a.json = detail.dump();
  archive_pending_.push_back(std::move(a));
}

std::optional<ArchivedJob> ServerCore::LookupArchive(const std::string& ref) {
  // Archived in this batch and not written yet: the newest first.
  for (auto it = archive_pending_.rbegin(); it != archive_pending_.rend(); ++it) {
    if (std::to_string(it->id) == ref || it->name == ref) return *it;
  }
  const bool numeric = !ref.empty() && ref.size() <= 12 &&
                       std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; });
  Result<std::optional<ArchivedJob>> found =
      numeric ? store_.FindArchived(std::stoull(ref)) : store_.FindArchivedByName(ref);
  if (!found.ok()) return std::nullopt;
  return *found;
}

bool ServerCore::AnswerFromArchive(const std::string& ref, Archived how, const char* route,
                                   ExchangePtr& ex) {
  std::optional<ArchivedJob> archived = LookupArchive(ref);
  if (!archived) return false;
  json detail = json::parse(archived->json, nullptr, /*allow_exceptions=*/false);
  if (detail.is_discarded()) return false;
  json summary = detail;
  summary.erase("tasks");
  switch (how) {
    case Archived::kDetail: Reply(std::move(ex), JsonAt(200, detail, route)); break;
    case Archived::kSummary: Reply(std::move(ex), JsonAt(200, summary, route)); break;
    case Archived::kWaitReached:
      Reply(std::move(ex), JsonAt(200, {{"reached", true}, {"job", summary}}, route));
      break;
    case Archived::kRefuse:
      Reply(std::move(ex), ErrorResponse(409, "retired",
                                         "job " + ref + " finished long ago and was retired to the archive "
                                         "(the server's retention setting); submit it again instead"));
      break;
  }
  return true;
}

void ServerCore::ReplyArchivedLog(const ArchivedJob& job, const std::string& task, int instance, int attempt,
                                  ExchangePtr ex) {
  const json detail = json::parse(job.json, nullptr, /*allow_exceptions=*/false);
  if (!detail.is_discarded()) {
    for (const json& t : detail.value("tasks", json::array())) {
      if (t.value("name", "") != task) continue;
      for (const json& inst : t.value("instances", json::array())) {
        if (inst.value("index", -1) != instance) continue;
        if (attempt <= 0) attempt = inst.value("attempt", 0);
        return ReplyLog(job.id, std::to_string(job.id), task, instance, attempt, std::move(ex));
      }
    }
  }
  Reply(std::move(ex), ErrorResponse(404, "not_found",
                                     "job " + std::to_string(job.id) + " has no task " + task + " instance " +
                                         std::to_string(instance)));
}

void ServerCore::ListJobs(const std::string& state, const std::string& queue, size_t limit, bool archived,
                          ExchangePtr ex) {
  auto wanted = [&](const std::string& job_state, const std::string& job_queue) {
    return (queue.empty() || job_queue == queue) && (state.empty() || state == job_state);
  };
  std::vector<std::pair<uint64_t, json>> jobs;   // by id: the archive's and memory's interleave
  if (archived) {
    for (uint64_t after = 0;;) {
      Result<std::vector<ArchivedJob>> page = store_.ArchivedJobs(after, 10000);
      if (!page.ok() || page->empty()) break;
      for (const ArchivedJob& a : *page) {
        after = a.id;
        if (!wanted(a.state, a.queue)) continue;
        json summary = json::parse(a.json, nullptr, /*allow_exceptions=*/false);
        if (summary.is_discarded()) continue;
        summary.erase("tasks");
        jobs.emplace_back(a.id, std::move(summary));
      }
    }
  }
  for (JobId id = 0; id < engine_.job_count(); ++id) {
    const JobState* job = engine_.find_job(id);
    if (job == nullptr || !wanted(JobStateName(*job), job->spec.queue)) continue;
    jobs.emplace_back(uint64_t{id} + 1, JobSummaryJson(*job));
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  json out = json::array();
  for (auto& [id, j] : jobs) {
    if (out.size() >= limit) break;
    out.push_back(std::move(j));
  }
  Reply(std::move(ex), JsonAt(200, {{"jobs", std::move(out)}}, "/v1/jobs"));
}

}  // namespace rota
