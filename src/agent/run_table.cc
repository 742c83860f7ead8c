#include "agent/run_table.h"

#include <algorithm>

namespace rota::agent {
namespace {

RunReport ReportOf(const RunExit& exit, Epoch epoch) {
  RunReport report;
  report.run = exit.run;
  report.epoch = epoch;
  report.exit_code = exit.exit_code;
  report.term_signal = exit.term_signal;
  report.launch_failed = exit.launch_failed;
  report.error = exit.error;
  return report;
}

}  // namespace

bool RunTable::Claim(RunToken token) {
  if (Seen(token.run)) return false;
  entries_[token.run].token = token;
  ++starting_;
  return true;
}

RunTable::Action RunTable::Started(RunId run, bool journaled) {
  auto it = entries_.find(run);
  if (it == entries_.end() || it->second.phase != Phase::kStarting) return Action::kNothing;
  Entry& entry = it->second;
  --starting_;
  entry.journaled = journaled;
  if (entry.report) return Queue(entry);
  entry.phase = Phase::kRunning;
  return entry.killed ? Action::kKill : Action::kNothing;
}

RunTable::Action RunTable::Exited(const RunExit& exit) {
  auto it = entries_.find(exit.run);
  if (it == entries_.end() || it->second.report) return Action::kNothing;
  Entry& entry = it->second;
  entry.report = ReportOf(exit, entry.token.epoch);
  entry.log_path = exit.log_path;
  if (entry.phase == Phase::kStarting) return Action::kNothing;  // Started queues it
  return Queue(entry);
}

RunTable::Action RunTable::Queue(Entry& entry) {
  entry.phase = Phase::kExited;
  if (entry.killed) return Finish(entries_.find(entry.token.run));
  pending_.insert(entry.token.run);
  return Action::kReport;
}

bool RunTable::AddReport(RunReport report, std::string log_path, bool listed, bool journaled) {
  if (Seen(report.run)) return false;
  const RunId run = report.run;
  Entry& entry = entries_[run];
  entry.token = {run, report.epoch};
  entry.phase = Phase::kExited;
  entry.listed = listed;
  entry.journaled = journaled;
  entry.report = std::move(report);
  entry.log_path = std::move(log_path);
  pending_.insert(run);
  return true;
}

RunTable::Action RunTable::Kill(RunId run) {
  auto it = entries_.find(run);
  if (it == entries_.end() || it->second.killed) return Action::kNothing;
  Entry& entry = it->second;
  entry.killed = true;
  switch (entry.phase) {
    case Phase::kStarting: return Action::kNothing;  // Started says kKill
    case Phase::kRunning: return Action::kKill;
    case Phase::kExited: return Finish(it);
  }
  return Action::kNothing;
}

RunTable::Action RunTable::Accepted(RunId run) {
  auto it = entries_.find(run);
  if (it == entries_.end() || it->second.phase != Phase::kExited) return Action::kNothing;
  return Finish(it);
}

RunTable::Action RunTable::Finish(Entries::iterator it) {
  const bool journaled = it->second.journaled;
  const RunId run = it->first;
  pending_.erase(run);
  entries_.erase(it);
  Remember(run);
  return journaled ? Action::kForget : Action::kNothing;
}

void RunTable::Remember(RunId run) {
  finished_.insert(run);
  finished_order_.push_back(run);
  if (finished_order_.size() > kRemembered) {
    finished_.erase(finished_order_.front());
    finished_order_.pop_front();
  }
}

void RunTable::LogShipped(RunId run) {
  auto it = entries_.find(run);
  if (it != entries_.end()) it->second.log_path.clear();
}

bool RunTable::IsRunning(RunToken token) const {
  auto it = entries_.find(token.run);
  return it != entries_.end() && it->second.phase == Phase::kRunning && !it->second.killed &&
         (token.epoch == 0 || token.epoch == it->second.token.epoch);
}

size_t RunTable::Live() const {
  size_t live = 0;
  for (const auto& [run, entry] : entries_) live += entry.phase != Phase::kExited;
  return live;
}

std::vector<RunToken> RunTable::Running() const {
  std::vector<RunToken> running;
  for (const auto& [run, entry] : entries_) {
    if (entry.listed && !entry.killed && entry.phase != Phase::kStarting) {
      running.push_back(entry.token);
    }
  }
  std::sort(running.begin(), running.end(),
            [](const RunToken& a, const RunToken& b) { return a.run < b.run; });
  return running;
}

std::vector<PendingReport> RunTable::PendingReports(size_t max) const {
  std::vector<PendingReport> reports;
  reports.reserve(std::min(max, pending_.size()));
  for (auto it = pending_.begin(); it != pending_.end() && reports.size() < max; ++it) {
    const Entry& entry = entries_.at(*it);
    reports.push_back({*entry.report, entry.log_path});
  }
  return reports;
}

}  // namespace rota::agent
