// ServerCore and retired jobs (DESIGN section 8): finished jobs older than `retention` leave the
// engine; just before, their detail view goes to the store's archive, where `rota show`, `rota
// jobs --all`, waits and logs still find them.
#include <algorithm>

#include "api/job_views.h"
#include "api/server_core.h"
#include "api/views_json.h"

namespace rota {

void ServerCore::ArchiveJob(const JobState& job) {
  ArchivedJob a;
  a.id = uint64_t{job.id} + 1;
  a.name = job.spec.name;
  a.queue = job.spec.queue;
  a.state = JobStateName(job);
  a.submitted_us = job.submitted_us;
  a.finished_us = job.finished_us;
  a.json = EncodeArchivedDetail(DetailOf(engine_, job.id));
  archive_pending_.push_back(std::move(a));
}

std::optional<JobDetail> ServerCore::LookupArchive(const std::string& ref) {
  std::optional<ArchivedJob> found;
  // Archived in this batch and not written yet: the newest first.
  for (auto it = archive_pending_.rbegin(); it != archive_pending_.rend() && !found; ++it) {
    if (std::to_string(it->id) == ref || it->name == ref) found = *it;
  }
  if (!found) {
    const bool numeric = !ref.empty() && ref.size() <= 12 &&
                         std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; });
    Result<std::optional<ArchivedJob>> stored =
        numeric ? store_.FindArchived(std::stoull(ref)) : store_.FindArchivedByName(ref);
    if (!stored.ok() || !*stored) return std::nullopt;
    found = std::move(**stored);
  }
  Result<JobDetail> detail = DecodeArchivedDetail(found->json);
  if (!detail.ok()) return std::nullopt;
  return std::move(detail).value();
}

Result<std::string> ServerCore::ArchivedLog(const JobDetail& job, const std::string& task, int instance,
                                            int attempt) const {
  const std::string id = std::to_string(job.summary.id);
  for (const TaskView& t : job.tasks) {
    if (t.name != task) continue;
    for (const InstanceView& inst : t.instances) {
      if (inst.index != instance) continue;
      return ReadLog(job.summary.id, id, task, instance, attempt > 0 ? attempt : inst.attempt);
    }
  }
  return MakeError(kNotFound, "job " + id + " has no task " + task + " instance " + std::to_string(instance));
}

void ServerCore::ListJobs(JobFilter filter, Answer<std::vector<JobSummary>> done) {
  auto wanted = [&](const std::string& job_state, const std::string& job_queue) {
    return (filter.queue.empty() || job_queue == filter.queue) && (filter.state.empty() || filter.state == job_state);
  };
  std::vector<JobSummary> jobs;   // by id: the archive's and memory's interleave
  if (filter.archived) {
    for (uint64_t after = 0;;) {
      Result<std::vector<ArchivedJob>> page = store_.ArchivedJobs(after, 10000);
      if (!page.ok() || page->empty()) break;
      for (const ArchivedJob& a : *page) {
        after = a.id;
        if (!wanted(a.state, a.queue)) continue;
        Result<JobDetail> detail = DecodeArchivedDetail(a.json);
        if (detail.ok()) jobs.push_back(std::move(detail->summary));
      }
    }
  }
  for (JobId id = 0; id < engine_.job_count(); ++id) {
    const JobState* job = engine_.find_job(id);
    if (job == nullptr || !wanted(JobStateName(*job), job->spec.queue)) continue;
    jobs.push_back(SummaryOf(*job));
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const JobSummary& a, const JobSummary& b) { return a.id < b.id; });
  if (jobs.size() > filter.limit) jobs.resize(filter.limit);
  Reply<std::vector<JobSummary>>(std::move(done), std::move(jobs));
}

}  // namespace rota
