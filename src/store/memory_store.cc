#include "store/memory_store.h"

#include <algorithm>
#include <set>
#include <utility>

namespace rota {

Result<Unit> MemoryStore::CheckApplicable(const ChangeSet& changes) const {
  uint64_t previous_seq = events_.empty() ? 0 : events_.back().seq;
  for (const EventRecord& event : changes.events) {
    if (event.seq <= previous_seq) {
      return MakeError("store_conflict", "event seq " + std::to_string(event.seq) +
                                             " is not above " + std::to_string(previous_seq) +
                                             ", the seq before it; nothing of this commit was "
                                             "stored");
    }
    previous_seq = event.seq;
  }
  // Runs refer to their job (SQLite enforces it with a foreign key); jobs of the same ChangeSet
  // count, because they are written before its runs.
  std::set<uint64_t> new_job_ids;
  for (const JobRecord& job : changes.jobs) new_job_ids.insert(job.id);
  for (const RunRecord& run : changes.runs) {
    if (!jobs_.contains(run.job_id) && !new_job_ids.contains(run.job_id)) {
      return MakeError("store_conflict", "run " + std::to_string(run.id) + " belongs to job " +
                                             std::to_string(run.job_id) +
                                             ", which is not stored; nothing of this commit was "
                                             "stored");
    }
  }
  return Unit{};
}

Result<Unit> MemoryStore::Commit(const ChangeSet& changes) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<Unit> applicable = CheckApplicable(changes);
  if (!applicable.ok()) return applicable;
  for (const JobRecord& job : changes.jobs) jobs_[job.id] = job;
  for (const RunRecord& run : changes.runs) runs_[run.id] = run;
  events_.insert(events_.end(), changes.events.begin(), changes.events.end());
  for (const auto& [key, posted_us] : changes.signals_posted) signals_[key] = posted_us;
  for (const auto& [key, value] : changes.config) config_[key] = value;
  for (const AgentRecord& agent : changes.agents) agents_[agent.id] = agent;
  job_retries_.insert(job_retries_.end(), changes.job_retries.begin(), changes.job_retries.end());
  return Unit{};
}

Result<StoredState> MemoryStore::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  StoredState state;
  for (const auto& [id, job] : jobs_) state.jobs.push_back(job);
  for (const auto& [id, run] : runs_) state.runs.push_back(run);
  state.signals = signals_;
  state.config = config_;
  for (const auto& [id, agent] : agents_) state.agents.push_back(agent);
  state.job_retries = job_retries_;
  state.last_seq = events_.empty() ? 0 : events_.back().seq;
  return state;
}

Result<std::vector<EventRecord>> MemoryStore::EventsSince(uint64_t after, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto first =
      std::upper_bound(events_.begin(), events_.end(), after,
                       [](uint64_t seq, const EventRecord& event) { return seq < event.seq; });
  size_t count = std::min(limit, static_cast<size_t>(events_.end() - first));
  return std::vector<EventRecord>(first, first + static_cast<std::ptrdiff_t>(count));
}

}  // namespace rota
