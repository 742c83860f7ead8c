// Engine::LoadSnapshot: the decoding of engine_snapshot.cc's encoding, checked as it is read (a
// snapshot that refers to what it lacks is refused, never trusted).
#include <algorithm>

#include "core/bytes.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "engine/snapshot_format.h"
#include "sched/sched_config.h"
#include "spec/spec_parser.h"

namespace rota {

using namespace engine_internal;
using namespace snapshot_format;

Result<Unit> Engine::LoadSnapshot(std::string_view bytes) {
  auto bad = [](std::string why) { return MakeError("bad_snapshot", std::move(why)); };
  if (!jobs_.empty() || !hosts_.empty()) return bad("the engine is not new");
  ByteReader r(bytes);
  const uint64_t version = r.U64();
  if (version < 1 || version > kSnapshotVersion || !r.ok()) return bad("not a snapshot this rota reads");
  seq_ = r.U64();
  epoch_ = r.U64();
  unfinished_jobs_ = r.U64();
  running_ = r.U64();
  for (uint64_t n = r.Count(); n > 0; --n) {
    std::string key(r.Str());
    config_[key] = std::string(r.Str());
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    std::string kind(r.Str());
    dropped_[kind] = r.U64();
  }
  cycle_stats_.decisions_applied = r.U64();
  cycle_stats_.decisions_dropped = r.U64();
  cycle_stats_.preemptions = r.U64();
  for (const std::string& q : ReadStrings(r)) QueueIndex(q);
  for (const std::string& p : ReadStrings(r)) FarmPoolIndex(p);
  sched::SchedConfig settings;
  if (!sched::ApplySettings(settings, config_).empty()) return bad("its settings no longer apply");
  SetSchedConfig(std::move(settings));

  hosts_.resize(r.Count());
  for (HostState& h : hosts_) {
    h.info.name = std::string(r.Str());
    h.info.total = ReadAmount(r);
    h.info.tags = ReadStrings(r);
    h.info.pools = ReadStrings(r);
    h.used = ReadAmount(r);
    h.alive = r.Bool();
    h.running = static_cast<uint32_t>(r.U64());
  }

  // Pool lines are read as runs and laid out once the jobs are known, so that a corrupt length
  // cannot make them grow past the instances there are.
  struct LineRun {
    uint32_t pool;
    uint64_t first;
    uint64_t length;
  };
  std::vector<LineRun> lines;
  pools_.resize(r.Count());
  for (PoolState& p : pools_) {
    p.view.name = std::string(r.Str());
    p.view.max_workers = static_cast<int>(r.I64());
    p.farm_pool = static_cast<uint32_t>(r.U64());
    p.running = static_cast<uint32_t>(r.U64());
    for (uint64_t n = r.Count(); n > 0; --n) {   // runs of consecutive refs: first, length
      const uint64_t first = r.U64();
      const uint64_t length = r.U64();
      if (first + length < first) return bad("a pool's line is too long");
      lines.push_back({static_cast<uint32_t>(&p - pools_.data()), first, length});
    }
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    const auto p = static_cast<uint32_t>(r.U64());
    if (p >= pools_.size()) return bad("a free pool the snapshot lacks");
    free_pools_.push_back(p);
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    std::string key(r.Str());
    pool_index_[key] = static_cast<uint32_t>(r.U64());
  }

  for (uint64_t n = r.Count(); n > 0; --n) posted_signals_[std::string(r.Str())] = true;
  for (uint64_t n = r.Count(); n > 0; --n) {
    std::string key(r.Str());
    signal_posters_[key] = static_cast<int>(r.I64());
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    auto& waiters = signal_waiters_[std::string(r.Str())];
    for (uint64_t k = r.Count(); k > 0; --k) {
      const auto job = static_cast<JobId>(r.U64());
      waiters.emplace_back(job, static_cast<uint32_t>(r.U64()));
    }
  }

  const uint64_t job_count = r.Count();
  for (uint64_t id = 0; id < job_count && r.ok(); ++id) {
    if (r.Bool()) {   // retired
      jobs_.emplace_back();
      continue;
    }
    const std::string text(r.Str());
    ParsedSpec parsed = ParseSpec(text, "job " + std::to_string(id + 1));
    if (!parsed.ok()) return bad("job " + std::to_string(id + 1) + " no longer parses: " + parsed.errors[0].message);
    if (options_.placement) {
      for (TaskSpec& t : parsed.job.tasks) std::sort(t.resources.tags.begin(), t.resources.tags.end());
    }
    bool known_pools = true;
    auto job = ExpandJob(std::move(parsed.job), [&](const std::string& pool) -> uint32_t {
      auto it = pool_index_.find(options_.placement ? std::to_string(id) + '/' + pool : pool);
      if (it == pool_index_.end() || it->second >= pools_.size()) {
        known_pools = false;
        return 0;
      }
      return it->second;
    });
    if (!known_pools) return bad("job " + std::to_string(id + 1) + " uses a pool the snapshot lacks");
    job->id = static_cast<JobId>(id);
    job->spec_text = text;
    job->log_dir = std::string(r.Str());
    job->teardown = r.Bool();
    job->queue = static_cast<uint32_t>(r.U64());
    job->started = r.Bool();
    job->stopping = r.Bool();
    job->cancelled = r.Bool();
    job->finished = r.Bool();
    job->unfinished = static_cast<uint32_t>(r.U64());
    for (int* count : {&job->failed, &job->skipped, &job->cancelled_count, &job->succeeded, &job->unneeded}) {
      *count = static_cast<int>(r.I64());
    }
    job->submitted_us = r.I64();
    job->finished_us = r.I64();
    for (TaskState& t : job->tasks) {
      t.unmet = static_cast<uint32_t>(r.U64());
      t.unfinished = static_cast<uint32_t>(r.U64());
      t.succeeded = static_cast<uint32_t>(r.U64());
      t.any_unsuccessful = r.Bool();
    }
    size_t next = 0;
    for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
      const uint64_t repeat = r.U64();
      if (repeat > job->instances.size() - next) return bad("job " + std::to_string(id + 1) + ": too many instances");
      InstanceState state;
      ReadInstance(r, state);
      for (uint64_t k = 0; k < repeat; ++k, ++next) {
        InstanceState& inst = job->instances[next];
        inst.status = state.status;
        inst.attempts = state.attempts;
        inst.preemptions = state.preemptions;
        inst.unmet = state.unmet;
        inst.run = state.run == 0 ? 0 : state.run + k;
        inst.unneeded = state.unneeded;
        inst.exit_code = state.exit_code;
        inst.reason = state.reason;
      }
    }
    if (next != job->instances.size()) return bad("job " + std::to_string(id + 1) + ": instances missing");
    jobs_.push_back(std::move(job));
  }

  last_run_ = r.U64();
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    const RunId id = r.U64();
    RunState run{0, 0};
    run.job = static_cast<JobId>(r.U64());
    run.instance = static_cast<uint32_t>(r.U64());
    run.timed_out = r.Bool();
    run.cancel_requested = r.Bool();
    run.preempted = r.Bool();
    run.timeout_at = r.I64();
    run.host = static_cast<uint32_t>(r.U64());
    run.epoch = r.U64();
    if (id == 0 || id > last_run_ || find_job(run.job) == nullptr ||
        run.instance >= jobs_[run.job]->instances.size() ||
        (run.host != kNoHost && run.host >= hosts_.size())) {
      return bad("a run refers to what the snapshot lacks");
    }
    runs_.emplace(id, run);
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    const uint64_t key = r.U64();
    const int64_t at = r.I64();
    if (key & kBackoffKey) {   // an instance in backoff of a job there is
      const uint64_t ref = key & ~kBackoffKey;
      const JobState* job = find_job(static_cast<JobId>(ref >> 32));
      if (job == nullptr || static_cast<uint32_t>(ref) >= job->instances.size()) {
        return bad("a backoff of an instance the snapshot lacks");
      }
    } else if (runs_.count(key) == 0) {
      return bad("a timeout of a run the snapshot lacks");
    }
    deadlines_.emplace(at, key);
    deadline_at_[key] = at;
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    const uint64_t key = r.U64();
    held_[key] = ReadAmount(r);
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    const auto id = static_cast<JobId>(r.U64());
    const int64_t at = r.I64();
    if (id >= jobs_.size()) return bad("a finished job the snapshot lacks");
    finished_order_.emplace_back(id, at);
  }
  if (version >= 2) {
    for (uint64_t n = r.Count(); n > 0; --n) {
      Lease& lease = leases_[std::string(r.Str())];
      lease.holder = std::string(r.Str());
      lease.epoch = r.U64();
    }
  }
  if (version >= 3) {
    if (Result<Unit> periodic = LoadPeriodic(r); !periodic.ok()) return periodic;
  } else {
    NameJobsOfOldSnapshot();
  }
  if (!r.ok() || !r.at_end()) return bad("truncated or with trailing bytes");
  for (const auto& [key, waiters] : signal_waiters_) {
    for (const auto& [job, task] : waiters) {
      if (find_job(job) == nullptr || task >= jobs_[job]->tasks.size()) {
        return bad("a signal waiter the snapshot lacks");
      }
    }
  }
  uint64_t instances = 0;
  for (const auto& job : jobs_) {   // and the pools' counts by status, which follow from them
    if (!job) continue;
    instances += job->instances.size();
    for (const InstanceState& inst : job->instances) {
      ++pools_[job->tasks[inst.task].pool].view.by_status[static_cast<int>(inst.status)];
    }
  }
  uint64_t entries = 0;
  for (const LineRun& run : lines) {
    entries += run.length;
    if (run.length > instances || entries > instances) return bad("the pools' lines are longer than there are instances");
    for (uint64_t k = 0; k < run.length; ++k) pools_[run.pool].ready.push_back(run.first + k);
  }
  for (const auto& pool : pools_) {
    for (uint64_t ref : pool.ready) {
      if ((ref >> 32) >= jobs_.size() || jobs_[ref >> 32] == nullptr ||
          static_cast<uint32_t>(ref) >= jobs_[ref >> 32]->instances.size()) {
        return bad("a pool's line refers to an instance the snapshot lacks");
      }
    }
  }
  cycle_needed_ = true;
  return Unit{};
}

}  // namespace rota
