// Snapshots of the engine (DESIGN section 8): every part of the state that Apply builds, encoded
// canonically (maps in key order, lines without their stale entries), so that two engines in the
// same state encode to the same bytes: restart = LoadSnapshot + replay of the log after it, and
// tests compare a live engine, a replay and a restored engine byte for byte.
//
// A job is kept as its spec text plus what changed since it was expanded; runs of instances in
// the same state are stored once with a count, so a million pending frames take a few bytes.
// Proposer-side state (a scheduling result being applied, usage history, heartbeats) is not
// state of the log and is not kept.
#include <algorithm>

#include "core/bytes.h"
#include "engine/snapshot_format.h"
#include "core/validate.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "sched/sched_config.h"
#include "spec/spec_parser.h"

namespace rota {

using namespace engine_internal;

using namespace snapshot_format;


// Of a pool's line, the entries that still mean something: of each ready instance, the one
// pushed when it last became ready. (An earlier one is left from an earlier time it was ready; a
// proposer drops such entries as it meets them, so the lines of two engines in the same state
// differ in those only.)
std::vector<uint64_t> Engine::ReadyLine(const PoolState& pool) const {
  const std::deque<uint64_t>& line = pool.ready;
  std::vector<uint64_t> out;
  // Usually no ready instance is in the line twice: then the entries of ready instances are as
  // many as the pool's ready instances, and that is the answer.
  const uint32_t ready = pool.view.count(InstanceStatus::kReady);
  out.reserve(std::min<size_t>(ready, line.size()));
  for (uint64_t ref : line) {
    if (jobs_[ref >> 32]->instances[static_cast<uint32_t>(ref)].status == InstanceStatus::kReady) {
      out.push_back(ref);
    }
  }
  if (out.size() == ready) return out;
  out.clear();
  std::unordered_map<JobId, std::vector<bool>> seen;   // per job met in the line, by instance
  JobId last_id = ~JobId{0};
  std::vector<bool>* last_marks = nullptr;   // a line is mostly long stretches of one job
  for (auto it = line.rbegin(); it != line.rend(); ++it) {
    const JobId id = static_cast<JobId>(*it >> 32);
    const uint32_t i = static_cast<uint32_t>(*it);
    const JobState& job = *jobs_[id];
    if (job.instances[i].status != InstanceStatus::kReady) continue;
    if (id != last_id) {
      last_id = id;
      last_marks = &seen[id];
      if (last_marks->empty()) last_marks->resize(job.instances.size());
    }
    std::vector<bool>& marks = *last_marks;
    if (marks[i]) continue;
    marks[i] = true;
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string Engine::EncodeSnapshot() const {
  ByteWriter w;
  w.U64(kSnapshotVersion);
  w.U64(seq_);
  w.U64(epoch_);
  w.U64(unfinished_jobs_);
  w.U64(running_);
  w.U64(config_.size());
  for (const auto& [key, value] : config_) {
    w.Str(key);
    w.Str(value);
  }
  w.U64(dropped_.size());
  for (const auto& [kind, count] : dropped_) {
    w.Str(kind);
    w.U64(count);
  }
  w.U64(cycle_stats_.decisions_applied);
  w.U64(cycle_stats_.decisions_dropped);
  w.U64(cycle_stats_.preemptions);
  WriteStrings(w, queues_);
  WriteStrings(w, farm_pools_);

  w.U64(hosts_.size());
  for (const HostState& h : hosts_) {
    w.Str(h.info.name);
    WriteAmount(w, h.info.total);
    WriteStrings(w, h.info.tags);
    WriteStrings(w, h.info.pools);
    WriteAmount(w, h.used);
    w.Bool(h.alive);
    w.U64(h.running);
  }

  w.U64(pools_.size());
  for (const PoolState& p : pools_) {
    w.Str(p.view.name);
    w.I64(p.view.max_workers);
    w.U64(p.farm_pool);
    w.U64(p.running);
    WriteLine(w, ReadyLine(p));
  }
  w.U64(free_pools_.size());
  for (uint32_t p : free_pools_) w.U64(p);
  w.U64(pool_index_.size());
  for (auto it : Sorted(pool_index_)) {
    w.Str(it->first);
    w.U64(it->second);
  }

  w.U64(posted_signals_.size());
  for (auto it : Sorted(posted_signals_)) w.Str(it->first);
  w.U64(signal_posters_.size());
  for (auto it : Sorted(signal_posters_)) {
    w.Str(it->first);
    w.I64(it->second);
  }
  w.U64(signal_waiters_.size());
  for (auto it : Sorted(signal_waiters_)) {
    w.Str(it->first);
    w.U64(it->second.size());
    for (const auto& [job, task] : it->second) {
      w.U64(job);
      w.U64(task);
    }
  }

  w.U64(jobs_.size());
  for (const auto& job : jobs_) {
    w.Bool(job == nullptr);   // retired
    if (job == nullptr) continue;
    w.Str(job->spec_text);
    w.Str(job->log_dir);
    w.Bool(job->teardown);
    w.U64(job->queue);
    w.Bool(job->started);
    w.Bool(job->stopping);
    w.Bool(job->cancelled);
    w.Bool(job->finished);
    w.U64(job->unfinished);
    for (int count : {job->failed, job->skipped, job->cancelled_count, job->succeeded, job->unneeded}) {
      w.I64(count);
    }
    w.I64(job->submitted_us);
    w.I64(job->finished_us);
    for (const TaskState& t : job->tasks) {
      w.U64(t.unmet);
      w.U64(t.unfinished);
      w.U64(t.succeeded);
      w.Bool(t.any_unsuccessful);
    }
    // Instances as (count, state) runs.
    const std::vector<InstanceState>& all = job->instances;
    uint64_t run_count = 0;
    for (size_t i = 0; i < all.size();) {
      size_t end = i + 1;
      while (end < all.size() && Continues(all[i], all[end], end - i)) ++end;
      ++run_count;
      i = end;
    }
    w.U64(run_count);
    for (size_t i = 0; i < all.size();) {
      size_t end = i + 1;
      while (end < all.size() && Continues(all[i], all[end], end - i)) ++end;
      w.U64(end - i);
      WriteInstance(w, all[i]);
      i = end;
    }
  }

  w.U64(last_run_);
  w.U64(runs_.size());
  for (const auto& [id, run] : runs_) {
    w.U64(id);
    w.U64(run.job);
    w.U64(run.instance);
    w.Bool(run.timed_out);
    w.Bool(run.cancel_requested);
    w.Bool(run.preempted);
    w.I64(run.timeout_at);
    w.U64(run.host);
    w.U64(run.epoch);
  }
  w.U64(deadline_at_.size());
  for (auto it : Sorted(deadline_at_)) {
    w.U64(it->first);
    w.I64(it->second);
  }
  w.U64(held_.size());
  for (auto it : Sorted(held_)) {
    w.U64(it->first);
    WriteAmount(w, it->second);
  }
  // Of each finished job, its last entry (a job retried and finished again has two).
  std::vector<std::pair<JobId, int64_t>> standing;
  std::unordered_set<JobId> met;
  for (auto it = finished_order_.rbegin(); it != finished_order_.rend(); ++it) {
    const JobState* job = jobs_[it->first].get();
    if (!met.insert(it->first).second || job == nullptr || !job->finished || job->finished_us != it->second) continue;
    standing.push_back(*it);
  }
  std::reverse(standing.begin(), standing.end());
  w.U64(standing.size());
  for (const auto& [id, at] : standing) {
    w.U64(id);
    w.I64(at);
  }
  w.U64(leases_.size());
  for (const auto& [name, lease] : leases_) {
    w.Str(name);
    w.Str(lease.holder);
    w.U64(lease.epoch);
  }
  EncodePeriodic(w);
  return w.Take();
}

}  // namespace rota
