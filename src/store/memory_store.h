// MemoryStore: a Store that keeps everything in process memory, for unit tests (`rota run` needs
// no store: it applies its changes without a log). Same semantics as SQLiteStore, checked by the same contract test
// suite; "durable" here means "until the object is destroyed". `fail_appends` makes every Append
// fail (store_io), for tests of what the server does when its store refuses; `fail_event_writes`
// every write of events (an Append that carries some too).
//
// Thread-safe: every method takes one mutex, so EventsSince may be called from API threads while
// the engine loop appends.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace rota {

class MemoryStore final : public Store {
 public:
  MemoryStore() = default;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  Result<uint64_t> Append(const std::vector<std::string>& entries,
                          Durability durability = Durability::kNow,
                          std::span<const EventRecord> events = {}, const Fence* fence = nullptr) override;
  Result<Unit> Sync() override { return Unit{}; }
  Result<std::vector<LogEntry>> ReadFrom(uint64_t after, size_t limit) override;
  Result<Unit> WriteSnapshot(uint64_t lsn, std::string_view bytes) override;
  Result<std::optional<SnapshotRecord>> LatestSnapshot() override;
  Result<Unit> WriteEvents(const std::vector<EventRecord>& events) override;
  Result<std::vector<EventRecord>> EventsSince(uint64_t after, size_t limit) override;
  Result<uint64_t> LastEventSeq() override;
  Result<Unit> WriteArchive(const std::vector<ArchivedJob>& jobs) override;
  Result<std::optional<ArchivedJob>> FindArchived(uint64_t id) override;
  Result<std::optional<ArchivedJob>> FindArchivedByName(const std::string& name) override;
  Result<std::vector<ArchivedJob>> ArchivedJobs(uint64_t after, size_t limit) override;
  Result<StoredState> LoadLegacy() override { return StoredState{}; }
  Result<uint64_t> ImportLegacy(const std::vector<std::string>& entries) override {
    return Append(entries);
  }

  std::atomic<bool> fail_appends{false};
  std::atomic<bool> fail_event_writes{false};

 private:
  void AddEvents(std::span<const EventRecord> events);   // REQUIRES: mu_ held

  std::mutex mu_;
  std::deque<LogEntry> log_;                 // GUARDED_BY(mu_), in lsn order
  uint64_t last_lsn_ = 0;                    // GUARDED_BY(mu_)
  std::deque<SnapshotRecord> snapshots_;     // GUARDED_BY(mu_), oldest first
  std::vector<EventRecord> events_;          // GUARDED_BY(mu_), in seq order
  std::map<uint64_t, ArchivedJob> archive_;  // GUARDED_BY(mu_), by id
};

}  // namespace rota
