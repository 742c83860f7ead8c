// Jobs that wait for jobs (DESIGN section 2, `{job: X}`; issue 11): a task waits for the newest
// job named X (or job id X, or NAME@SLOT of a schedule) to finish the way its `on` asks, as it
// would for a task of its own job. When no job of that name exists yet it waits for the first
// one to be submitted. A job's outcome is kept past its retirement (one byte per job), so a
// requirement on a job long finished is settled at once.
#include <charconv>

#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

namespace {

// The whole job's outcome, as a task-level dependency sees it.
InstanceStatus JobOutcome(const JobState& job) {
  if (job.cancelled) return InstanceStatus::kCancelled;
  return job.Succeeded() ? InstanceStatus::kSucceeded : InstanceStatus::kFailed;
}

uint8_t OutcomeByte(InstanceStatus status) { return static_cast<uint8_t>(1 + static_cast<int>(status)); }

std::optional<uint64_t> PublicId(const std::string& target) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(target.data(), target.data() + target.size(), id);
  if (ec != std::errc() || end != target.data() + target.size() || id == 0) return std::nullopt;
  return id;
}

std::string JobText(const std::string& target, JobId id) {
  return "job " + target + " (#" + std::to_string(uint64_t{id} + 1) + ")";
}

}  // namespace

// At Install, before the job takes its name: each `{job: X}` is settled now (X finished), waited
// for (X unfinished, or no X yet), or cannot be met (X finished otherwise than asked, or an id that
// never was): those tasks are skipped once the job is set up.
void Engine::WaitForJobs(JobId id, std::vector<std::pair<uint32_t, std::string>>& skips) {
  JobState& job = *jobs_[id];
  for (uint32_t t = 0; t < job.tasks.size(); ++t) {
    TaskState& task = job.tasks[t];
    for (const Requirement& r : task.spec->requirements) {
      if (r.kind != Requirement::Kind::kJob) continue;
      std::optional<JobId> target;
      if (std::optional<uint64_t> public_id = PublicId(r.target)) {
        if (*public_id > id) {   // not yet, or itself: it would wait forever
          ++task.unmet;
          skips.emplace_back(t, "job #" + r.target + " does not exist");
          continue;
        }
        target = static_cast<JobId>(*public_id - 1);
      } else if (auto latest = latest_job_.find(r.target); latest != latest_job_.end()) {
        target = latest->second;
      }
      if (!target) {
        ++task.unmet;
        job_waiters_["@" + r.target].push_back({id, t, r.on});
        continue;
      }
      const uint8_t outcome = *target < job_outcomes_.size() ? job_outcomes_[*target] : 0;
      if (outcome == 0) {
        ++task.unmet;
        job_waiters_["#" + std::to_string(*target)].push_back({id, t, r.on});
        continue;
      }
      const auto whole = static_cast<InstanceStatus>(outcome - 1);
      if (Satisfies(whole, r.on)) continue;
      ++task.unmet;
      skips.emplace_back(t, JobText(r.target, *target) + " " + OutcomeWord(whole));
    }
  }
}

// The job takes its name: it is now the newest of that name, and what waited for the first job
// of that name waits for it.
void Engine::NameJob(JobId id) {
  if (job_outcomes_.size() <= id) job_outcomes_.resize(id + 1, 0);
  job_outcomes_[id] = 0;
  const std::string& name = jobs_[id]->spec.name;
  JobId& latest = latest_job_[name];
  if (id >= latest) latest = id;   // a retried job is installed again under its old id
  auto waiting = job_waiters_.find("@" + name);
  if (waiting == job_waiters_.end()) return;
  std::vector<JobWaiter>& into = job_waiters_["#" + std::to_string(id)];
  into.insert(into.end(), waiting->second.begin(), waiting->second.end());
  job_waiters_.erase("@" + name);
}

void Engine::SettleJobWaiters(const JobState& finished) {
  const InstanceStatus whole = JobOutcome(finished);
  job_outcomes_[finished.id] = OutcomeByte(whole);
  auto it = job_waiters_.find("#" + std::to_string(finished.id));
  if (it == job_waiters_.end()) return;
  std::vector<JobWaiter> waiters = std::move(it->second);
  job_waiters_.erase(it);
  const std::string what = JobText(finished.spec.name, finished.id) + " " + OutcomeWord(whole);
  for (const JobWaiter& w : waiters) {
    if (find_job(w.job) == nullptr) continue;
    TaskState& task = jobs_[w.job]->tasks[w.task];
    if (task.unfinished == 0) continue;   // cancelled meanwhile
    if (Satisfies(whole, w.on)) {
      if (--task.unmet == 0) ReleaseTask(w.job, w.task);
    } else {
      const bool not_needed = w.on == DepOn::kFailure && whole == InstanceStatus::kSucceeded;
      SkipTask(w.job, w.task, what + (w.on == DepOn::kFailure ? " (runs only on its failure)" : ""), not_needed);
    }
  }
}

void Engine::NameJobsOfOldSnapshot() {
  job_outcomes_.assign(jobs_.size(), 0);
  for (JobId id = 0; id < jobs_.size(); ++id) {
    if (!jobs_[id]) continue;
    latest_job_[jobs_[id]->spec.name] = id;
    if (jobs_[id]->finished) job_outcomes_[id] = OutcomeByte(JobOutcome(*jobs_[id]));
  }
}

void Engine::ForgetJobWaiters(JobId id) {
  for (auto it = job_waiters_.begin(); it != job_waiters_.end();) {
    std::erase_if(it->second, [id](const JobWaiter& w) { return w.job == id; });
    it = it->second.empty() ? job_waiters_.erase(it) : std::next(it);
  }
}

std::string Engine::AwaitedJobs(JobId id, uint32_t task) const {
  for (const auto& [key, waiters] : job_waiters_) {
    for (const JobWaiter& w : waiters) {
      if (w.job != id || w.task != task) continue;
      if (key[0] == '@') return "waiting for job " + key.substr(1) + " (none of that name yet)";
      const JobId target = static_cast<JobId>(std::stoull(key.substr(1)));
      const JobState* other = find_job(target);
      std::string state = "pending";
      if (other != nullptr && other->started) state = "running";
      return "waiting for " + JobText(other != nullptr ? other->spec.name : "", target) + ", " + state +
             (w.on == DepOn::kFailure ? "; runs only if it fails" : "");
    }
  }
  return "";
}

}  // namespace rota
