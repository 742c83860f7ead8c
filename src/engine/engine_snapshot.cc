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
#include "core/validate.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"
#include "sched/sched_config.h"
#include "spec/spec_parser.h"

namespace rota {

using namespace engine_internal;

namespace {

constexpr uint64_t kSnapshotVersion = 1;

void WriteStrings(ByteWriter& w, const std::vector<std::string>& v) {
  w.U64(v.size());
  for (const std::string& s : v) w.Str(s);
}

std::vector<std::string> ReadStrings(ByteReader& r) {
  std::vector<std::string> v(r.Count());
  for (std::string& s : v) s = std::string(r.Str());
  return v;
}

void WriteAmount(ByteWriter& w, const sched::Amount& a) {
  w.Double(a.cores);
  w.I64(a.memory);
  w.I64(a.gpus);
}

sched::Amount ReadAmount(ByteReader& r) {
  sched::Amount a;
  a.cores = r.Double();
  a.memory = r.I64();
  a.gpus = static_cast<int>(r.I64());
  return a;
}

template <class Map>
std::vector<typename Map::const_iterator> Sorted(const Map& map) {
  std::vector<typename Map::const_iterator> out;
  out.reserve(map.size());
  for (auto it = map.begin(); it != map.end(); ++it) out.push_back(it);
  std::sort(out.begin(), out.end(), [](auto a, auto b) { return a->first < b->first; });
  return out;
}

void WriteInstance(ByteWriter& w, const InstanceState& inst) {
  w.U64(static_cast<uint64_t>(inst.status));
  w.U64(inst.attempts);
  w.U64(inst.preemptions);
  w.U64(inst.unmet);
  w.U64(inst.run);
  w.Bool(inst.unneeded);
  w.I64(inst.exit_code);
  w.Str(inst.reason);
}

// `b` continues a group that `a` started `k` instances before: the same state, and a run id k
// above (instances placed in order) or both none.
bool Continues(const InstanceState& a, const InstanceState& b, uint64_t k) {
  return a.status == b.status && a.attempts == b.attempts && a.preemptions == b.preemptions &&
         a.unmet == b.unmet && (a.run == 0 ? b.run == 0 : b.run == a.run + k) &&
         a.unneeded == b.unneeded && a.exit_code == b.exit_code && a.reason == b.reason;
}

// A line as runs of consecutive refs (a big job's frames were made ready in order).
void WriteLine(ByteWriter& w, const std::vector<uint64_t>& line) {
  size_t runs = 0;
  for (size_t i = 0; i < line.size(); ++i) runs += i == 0 || line[i] != line[i - 1] + 1;
  w.U64(runs);
  for (size_t i = 0; i < line.size();) {
    size_t end = i + 1;
    while (end < line.size() && line[end] == line[end - 1] + 1) ++end;
    w.U64(line[i]);
    w.U64(end - i);
    i = end;
  }
}

void ReadInstance(ByteReader& r, InstanceState& inst) {
  inst.status = static_cast<InstanceStatus>(std::min<uint64_t>(r.U64(), 7));
  inst.attempts = static_cast<uint16_t>(r.U64());
  inst.preemptions = static_cast<uint16_t>(r.U64());
  inst.unmet = static_cast<uint32_t>(r.U64());
  inst.run = r.U64();
  inst.unneeded = r.Bool();
  inst.exit_code = static_cast<int>(r.I64());
  inst.reason = std::string(r.Str());
}

}  // namespace

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
  out.reserve(ready);
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
    for (uint32_t count : p.view.by_status) w.U64(count);
    w.U64(p.farm_pool);
    w.U64(p.running);
    WriteLine(w, ReadyLine(p));
  }
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
  return w.Take();
}

Result<Unit> Engine::LoadSnapshot(std::string_view bytes) {
  auto bad = [](std::string why) { return MakeError("bad_snapshot", std::move(why)); };
  if (!jobs_.empty() || !hosts_.empty()) return bad("the engine is not new");
  ByteReader r(bytes);
  if (r.U64() != kSnapshotVersion || !r.ok()) return bad("not a snapshot this rota reads");
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

  pools_.resize(r.Count());
  for (PoolState& p : pools_) {
    p.view.name = std::string(r.Str());
    p.view.max_workers = static_cast<int>(r.I64());
    for (uint32_t& count : p.view.by_status) count = static_cast<uint32_t>(r.U64());
    p.farm_pool = static_cast<uint32_t>(r.U64());
    p.running = static_cast<uint32_t>(r.U64());
    for (uint64_t n = r.Count(); n > 0; --n) {   // runs of consecutive refs: first, length
      const uint64_t first = r.U64();
      const uint64_t length = r.U64();
      if (length > (uint64_t{1} << 32) || first + length < first) return bad("a pool's line is too long");
      for (uint64_t k = 0; k < length; ++k) p.ready.push_back(first + k);
    }
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
    if (id == 0 || id > last_run_ || run.job >= jobs_.size() ||
        run.instance >= jobs_[run.job]->instances.size() ||
        (run.host != kNoHost && run.host >= hosts_.size())) {
      return bad("a run refers to what the snapshot lacks");
    }
    runs_.emplace(id, run);
  }
  for (uint64_t n = r.Count(); n > 0; --n) {
    const uint64_t key = r.U64();
    const int64_t at = r.I64();
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
  if (!r.ok() || !r.at_end()) return bad("truncated or with trailing bytes");
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
