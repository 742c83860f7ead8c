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
  if (*snapshot) {
    if (Result<Unit> loaded = engine_.LoadSnapshot((*snapshot)->bytes); !loaded.ok()) {
      return MakeError("store_corrupt", "the latest snapshot cannot be read back: " + loaded.error().message);
    }
    applied_lsn_ = (*snapshot)->lsn;
  } else {
    if (Result<Unit> imported = ImportLegacy(); !imported.ok()) return imported;
    applied_lsn_ = imported_through_;
  }
  if (Result<Unit> replayed = ReadAndApply(kAllOfTheLog); !replayed.ok()) return replayed;
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
  TurnLeases(/*force=*/true);   // several servers: its share of the leases before it serves
  if (!fatal_.empty()) return MakeError("store_io", fatal_);
  return Unit{};
}

}  // namespace rota
