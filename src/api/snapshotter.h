// Snapshotter: writes snapshots of the server's engine without stalling its loop (DESIGN section
// 8). It is one more replica of the log: a second Engine on its own thread, given every change
// the loop applied (Follow), in lsn order. Every `every_changes` changes or `every` of time
// (whichever comes first, if anything changed), it encodes its own state, which is the loop's
// state at that lsn because Apply is deterministic, and writes it with Store::WriteSnapshot,
// which then compacts the log. The loop only copies each change into a queue, which the thread
// drains every kFollowEvery.
//
// Costs the memory of a second engine. Follow and the counters are loop-thread calls; the rest
// runs on the snapshotter's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "engine/engine.h"
#include "engine/null_ports.h"
#include "store/store.h"

namespace rota {

struct SnapshotterOptions {
  uint64_t every_changes = 50000;   // 0: never by count
  std::chrono::milliseconds every{std::chrono::minutes(5)};   // 0: never by time
};

class Snapshotter {
 public:
  // `base`: the snapshot the loop's engine was restored from (none for an empty log).
  // Error "bad_snapshot" when it cannot be loaded.
  static Result<std::unique_ptr<Snapshotter>> Start(Store& store, SnapshotterOptions options,
                                                    EngineOptions engine,
                                                    const std::optional<SnapshotRecord>& base);
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // The change at `lsn`, applied on the loop, with everything derived from it (events, archive)
  // already in the store: a snapshot must never cover a change whose events a crash could lose,
  // since a restart derives events only from the log after its snapshot.
  void Follow(uint64_t lsn, Change change);
  // Tests: blocks until everything followed so far is applied, then writes a snapshot now if
  // anything changed since the last one. Returns its lsn (0 if none was written).
  uint64_t SnapshotNow();

  struct Stats {
    uint64_t written = 0;
    uint64_t failed = 0;
    uint64_t last_lsn = 0;
    uint64_t last_bytes = 0;
    double last_seconds = 0;   // encode and write
  };
  Stats stats() const;

 private:
  Snapshotter(Store& store, SnapshotterOptions options, EngineOptions engine);
  void Loop();
  void Write();   // REQUIRES: the snapshotter's thread, mu_ not held

  // How often the thread takes what the loop followed (Follow wakes nobody).
  static constexpr std::chrono::milliseconds kFollowEvery{50};

  Store& store_;
  const SnapshotterOptions options_;
  SystemClock clock_;   // only for the engine's shorthands, which the replica never uses
  NullLauncher launcher_;
  NullEventSink events_;
  Engine replica_;
  uint64_t applied_lsn_ = 0;    // of the replica (its thread)
  uint64_t written_lsn_ = 0;    // of the last snapshot (its thread)
  std::chrono::steady_clock::time_point written_at_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<std::pair<uint64_t, Change>> queue_;   // GUARDED_BY(mu_)
  bool stopping_ = false;                           // GUARDED_BY(mu_)
  uint64_t snapshot_requests_ = 0;                  // GUARDED_BY(mu_)
  uint64_t snapshot_answers_ = 0;                   // GUARDED_BY(mu_)
  uint64_t answered_lsn_ = 0;                       // GUARDED_BY(mu_)
  Stats stats_;                                     // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace rota
