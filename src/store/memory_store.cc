#include "store/memory_store.h"

#include <algorithm>

namespace rota {

Result<uint64_t> MemoryStore::Append(const std::vector<std::string>& entries, Durability,
                                     std::span<const EventRecord> events, const Fence*) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_appends) return MakeError("store_io", "could not append to memory: refused (a test)");
  if (fail_event_writes && !events.empty()) {
    return MakeError("store_io", "could not write events to memory: refused (a test)");
  }
  for (const std::string& bytes : entries) log_.push_back(LogEntry{++last_lsn_, bytes});
  AddEvents(events);
  return last_lsn_;
}

void MemoryStore::AddEvents(std::span<const EventRecord> events) {
  for (const EventRecord& event : events) {
    if (!events_.empty() && event.seq <= events_.back().seq) continue;   // derived again
    events_.push_back(event);
  }
}

Result<std::vector<LogEntry>> MemoryStore::ReadFrom(uint64_t after, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto first = std::upper_bound(log_.begin(), log_.end(), after,
                                [](uint64_t lsn, const LogEntry& e) { return lsn < e.lsn; });
  const size_t count = std::min(limit, static_cast<size_t>(log_.end() - first));
  return std::vector<LogEntry>(first, first + static_cast<std::ptrdiff_t>(count));
}

Result<Unit> MemoryStore::WriteSnapshot(uint64_t lsn, std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  snapshots_.push_back(SnapshotRecord{lsn, std::string(bytes)});
  while (snapshots_.size() > kKeptSnapshots) snapshots_.pop_front();
  const uint64_t covered = snapshots_.front().lsn;
  while (!log_.empty() && log_.front().lsn <= covered) log_.pop_front();
  return Unit{};
}

Result<std::optional<SnapshotRecord>> MemoryStore::LatestSnapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  if (snapshots_.empty()) return std::optional<SnapshotRecord>{};
  return std::optional<SnapshotRecord>(snapshots_.back());
}

Result<Unit> MemoryStore::WriteEvents(const std::vector<EventRecord>& events) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_event_writes) return MakeError("store_io", "could not write events to memory: refused (a test)");
  AddEvents(events);
  return Unit{};
}

Result<std::vector<EventRecord>> MemoryStore::EventsSince(uint64_t after, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto first =
      std::upper_bound(events_.begin(), events_.end(), after,
                       [](uint64_t seq, const EventRecord& event) { return seq < event.seq; });
  size_t count = std::min(limit, static_cast<size_t>(events_.end() - first));
  return std::vector<EventRecord>(first, first + static_cast<std::ptrdiff_t>(count));
}

Result<uint64_t> MemoryStore::LastEventSeq() {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.empty() ? uint64_t{0} : events_.back().seq;
}

Result<Unit> MemoryStore::WriteArchive(const std::vector<ArchivedJob>& jobs) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const ArchivedJob& job : jobs) archive_[job.id] = job;
  return Unit{};
}

Result<std::optional<ArchivedJob>> MemoryStore::FindArchived(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = archive_.find(id);
  if (it == archive_.end()) return std::optional<ArchivedJob>{};
  return std::optional<ArchivedJob>(it->second);
}

Result<std::optional<ArchivedJob>> MemoryStore::FindArchivedByName(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = archive_.rbegin(); it != archive_.rend(); ++it) {
    if (it->second.name == name) return std::optional<ArchivedJob>(it->second);
  }
  return std::optional<ArchivedJob>{};
}

Result<std::vector<ArchivedJob>> MemoryStore::ArchivedJobs(uint64_t after, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ArchivedJob> out;
  for (auto it = archive_.upper_bound(after); it != archive_.end() && out.size() < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

}  // namespace rota
