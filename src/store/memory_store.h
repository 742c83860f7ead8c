// MemoryStore: a Store that keeps everything in process memory, for unit tests and `rota run`
// (which has nothing to resume). Same semantics as SQLiteStore, checked by the same contract test
// suite; "durable" here means "until the object is destroyed".
//
// Thread-safe: every method takes one mutex, so EventsSince may be called from API threads while
// the engine loop commits.
#pragma once

#include <cstdint>
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

  Result<Unit> Commit(const ChangeSet& changes) override;
  Result<StoredState> Load() override;
  Result<std::vector<EventRecord>> EventsSince(uint64_t after, size_t limit) override;

 private:
  // REQUIRES: mu_ held. The same refusals SQLiteStore makes, checked before anything is applied
  // so that a refused ChangeSet leaves no trace.
  Result<Unit> CheckApplicable(const ChangeSet& changes) const;

  std::mutex mu_;
  std::map<uint64_t, JobRecord> jobs_;         // GUARDED_BY(mu_), by id
  std::map<uint64_t, RunRecord> runs_;         // GUARDED_BY(mu_), by id
  std::vector<EventRecord> events_;            // GUARDED_BY(mu_), in seq order
  std::map<std::string, int64_t> signals_;     // GUARDED_BY(mu_)
  std::map<std::string, std::string> config_;  // GUARDED_BY(mu_)
  std::map<std::string, AgentRecord> agents_;  // GUARDED_BY(mu_), by id
  std::vector<std::pair<uint64_t, int64_t>> job_retries_;  // GUARDED_BY(mu_)
};

}  // namespace rota
