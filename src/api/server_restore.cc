// ServerCore::Restore: the state the store holds, rebuilt before the server serves (DESIGN
// section 8): a version 2 store imported into the log first (legacy_import.cc), then the latest
// snapshot and the log after it, then this start's epoch and --config settings appended.
#include "api/server_core.h"

namespace rota {

Result<Unit> ServerCore::Restore(const std::map<std::string, std::string>& settings) {
  Result<uint64_t> last_seq = store_.LastEventSeq();
  if (!last_seq.ok()) return last_seq.error();
  events_.skip_through = *last_seq;
  stored_seq_ = *last_seq;
  engine_.BeginReplay();
  Result<std::optional<SnapshotRecord>> snapshot = store_.LatestSnapshot();
  if (!snapshot.ok()) return snapshot.error();
  Result<std::unique_ptr<Snapshotter>> started =
      Snapshotter::Start(store_, options_.snapshots, options_.engine, *snapshot);
  if (!started.ok()) return MakeError("store_corrupt", "the latest snapshot cannot be read back: " + started.error().message);
  snapshotter_ = std::move(started).value();
  uint64_t after = 0;
  if (*snapshot) {
    if (Result<Unit> loaded = engine_.LoadSnapshot((*snapshot)->bytes); !loaded.ok()) {
      return MakeError("store_corrupt", "the latest snapshot cannot be read back: " + loaded.error().message);
    }
    after = (*snapshot)->lsn;
  } else {
    if (Result<Unit> imported = ImportLegacy(); !imported.ok()) return imported;
    after = imported_through_;
  }
  for (;;) {
    Result<std::vector<LogEntry>> page = store_.ReadFrom(after, 4096);
    if (!page.ok()) return page.error();
    if (page->empty()) break;
    for (const LogEntry& entry : *page) {
      Result<Change> change = DecodeChange(entry.bytes);
      if (!change.ok()) {
        return MakeError("store_corrupt", "change " + std::to_string(entry.lsn) +
                                              " of the log cannot be read: " + change.error().message);
      }
      engine_.Apply(*change);
      Applied(entry.lsn, std::move(change).value());
      after = entry.lsn;
    }
  }
  engine_.EndReplay(clock_.Now());
  // Each start is a new fencing epoch: runs placed from now on carry it.
  Propose(Change{clock_.UnixMicros(), change::EpochStarted{engine_.epoch() + 1, 0}});
  if (!settings.empty()) Propose(Change{clock_.UnixMicros(), change::ConfigSet{settings}});
  if (!CommitProposals(Durability::kNow)) {
    return MakeError("store_io", fatal_.empty() ? last_commit_error_ : fatal_);
  }
  events_.skip_through = 0;
  if (Result<Unit> written = store_.WriteEvents(events_.unstored); !written.ok()) return written;
  if (!events_.unstored.empty()) stored_seq_ = std::max(stored_seq_, events_.unstored.back().seq);
  events_.unstored.clear();
  events_.fresh.clear();   // stored, and anyone who opens the stream reads them from the store
  FollowStored();
  return Unit{};
}

}  // namespace rota
