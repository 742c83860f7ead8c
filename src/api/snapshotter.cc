#include "api/snapshotter.h"

#include <cstdio>

namespace rota {

Snapshotter::Snapshotter(Store& store, SnapshotterOptions options, EngineOptions engine)
    : store_(store),
      options_(options),
      replica_(clock_, launcher_, events_, [&] {
        engine.placement = true;
        engine.algorithm = nullptr;
        return engine;
      }()),
      written_at_(std::chrono::steady_clock::now()) {}

Result<std::unique_ptr<Snapshotter>> Snapshotter::Start(Store& store, SnapshotterOptions options,
                                                        EngineOptions engine,
                                                        const std::optional<SnapshotRecord>& base) {
  std::unique_ptr<Snapshotter> s(new Snapshotter(store, options, std::move(engine)));
  s->replica_.BeginReplay();   // for good: the replica starts nothing
  if (base) {
    if (Result<Unit> loaded = s->replica_.LoadSnapshot(base->bytes); !loaded.ok()) return loaded.error();
    s->applied_lsn_ = s->written_lsn_ = base->lsn;
  }
  s->thread_ = std::thread([raw = s.get()] { raw->Loop(); });
  return s;
}

Snapshotter::~Snapshotter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// No wake-up: the thread comes for what was followed every kFollowEvery, so a busy loop does not
// pay for a context switch per batch.
void Snapshotter::Follow(uint64_t lsn, Change change) {
  std::lock_guard lock(mu_);
  queue_.emplace_back(lsn, std::move(change));
}

uint64_t Snapshotter::SnapshotNow() {
  std::unique_lock lock(mu_);
  const uint64_t ticket = ++snapshot_requests_;
  wake_.notify_one();
  done_.wait(lock, [&] { return snapshot_answers_ >= ticket; });
  return answered_lsn_;
}

Snapshotter::Stats Snapshotter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Snapshotter::Loop() {
  std::deque<std::pair<uint64_t, Change>> batch;
  for (;;) {
    uint64_t requests = 0;
    {
      std::unique_lock lock(mu_);
      const auto due = std::min(options_.every.count() > 0 ? written_at_ + options_.every
                                                           : std::chrono::steady_clock::time_point::max(),
                                std::chrono::steady_clock::now() + kFollowEvery);
      wake_.wait_until(lock, due, [&] { return stopping_ || snapshot_requests_ > snapshot_answers_; });
      if (stopping_) return;
      batch.swap(queue_);
      requests = snapshot_requests_;
    }
    for (const auto& [lsn, change] : batch) {
      replica_.Apply(change);
      applied_lsn_ = lsn;
    }
    batch.clear();
    const bool changed = applied_lsn_ > written_lsn_;
    const bool by_count = options_.every_changes > 0 && applied_lsn_ - written_lsn_ >= options_.every_changes;
    const bool by_time = options_.every.count() > 0 && std::chrono::steady_clock::now() - written_at_ >= options_.every;
    const bool asked = requests > 0 && requests > snapshot_answers_;
    if (changed && (by_count || by_time || asked)) Write();
    if (by_time) written_at_ = std::chrono::steady_clock::now();
    if (asked) {
      std::lock_guard lock(mu_);
      snapshot_answers_ = requests;
      answered_lsn_ = changed ? written_lsn_ : 0;
      done_.notify_all();
    }
  }
}

void Snapshotter::Write() {
  const auto start = std::chrono::steady_clock::now();
  const std::string bytes = replica_.EncodeSnapshot();
  Result<Unit> written = store_.WriteSnapshot(applied_lsn_, bytes);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard lock(mu_);
  if (!written.ok()) {
    ++stats_.failed;
    std::fprintf(stderr, "rota server: could not write a snapshot (the log keeps everything): %s\n",
                 written.error().message.c_str());
    return;
  }
  written_lsn_ = applied_lsn_;
  written_at_ = std::chrono::steady_clock::now();
  ++stats_.written;
  stats_.last_lsn = written_lsn_;
  stats_.last_bytes = bytes.size();
  stats_.last_seconds = seconds;
}

}  // namespace rota
