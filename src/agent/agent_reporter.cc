// AgentCore's reporter thread: ships each finished run's log, then posts every pending exit
// report in one request; a report is done once the server answered it (ok, stale_run or
// not_found). While the server is away it retries with backoff, for as long as it takes.
#include <algorithm>

#include "agent/agent_core.h"
#include "agent/backoff.h"

namespace rota::agent {
namespace {

constexpr int64_t kSmallestLogTry = 64 << 10;

bool Answered(const ReportResult& result) {
  return result.ok || result.error == kStaleRun || result.error == kNotFound;
}

}  // namespace

void AgentCore::ReportLoop() {
  Backoff backoff(config_.retry_first, config_.retry_max);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return table_.HasPending() || flushing_; });
    if (flushing_ &&
        (!table_.HasPending() || std::chrono::steady_clock::now() >= flush_deadline_)) {
      return;
    }
    const std::vector<PendingReport> batch = table_.PendingReports(config_.max_batch);
    const std::string agent = agent_id_;
    const uint64_t generation = generation_;
    lock.unlock();
    const bool delivered = Deliver(batch, agent, generation);
    lock.lock();
    if (delivered) {
      backoff.Reset();
      continue;
    }
    // Wait before the next try; when Stop starts its flush, try again at once.
    const bool was_flushing = flushing_;
    auto until = std::chrono::steady_clock::now() + backoff.Next();
    if (flushing_) until = std::min(until, flush_deadline_);
    cv_.wait_until(lock, until, [&] { return flushing_ != was_flushing; });
  }
}

// True when every report of the batch was answered.
bool AgentCore::Deliver(const std::vector<PendingReport>& batch, const std::string& agent,
                        uint64_t generation) {
  std::vector<RunReport> reports;
  reports.reserve(batch.size());
  for (const PendingReport& pending : batch) {
    reports.push_back(pending.report);
    if (pending.log_path.empty()) continue;
    Result<Unit> shipped = ShipLog(pending);
    if (!shipped && IsTransient(shipped.error())) {
      watch_.Failed(shipped.error());
      return false;
    }
    // Shipped, or refused for good (a stale run, a log too large for any try): not again.
    std::lock_guard lock(mu_);
    table_.LogShipped(pending.report.run);
  }
  Result<std::vector<ReportResult>> results = transport_->PostStatus(agent, reports);
  if (!results) {
    Failed(results.error(), generation);
    return false;
  }
  watch_.Succeeded();
  std::vector<RunId> forget;
  size_t answered = 0;
  {
    std::lock_guard lock(mu_);
    for (const ReportResult& result : *results) {
      if (!Answered(result)) continue;
      ++answered;
      if (table_.Accepted(result.run) == RunTable::Action::kForget) forget.push_back(result.run);
    }
  }
  for (RunId run : forget) journal_.Remove(run);
  return answered >= batch.size();
}

Result<Unit> AgentCore::ShipLog(const PendingReport& pending) {
  const RunReport& report = pending.report;
  int64_t cap = config_.max_log_bytes;
  for (;;) {
    std::optional<std::string> log = ReadLogForShipping(pending.log_path, cap);
    if (!log || log->empty()) return Unit{};  // printed nothing: nothing to ship (a round trip saved)
    Result<Unit> posted = transport_->PostLog(report.run, report.epoch, *log);
    // Above the server's body limit: try a shorter tail.
    if (posted || posted.error().code != kTooLarge || cap <= kSmallestLogTry) return posted;
    cap = std::max(kSmallestLogTry, cap / 4);
  }
}

}  // namespace rota::agent
