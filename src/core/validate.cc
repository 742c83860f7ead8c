#include "core/validate.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/dag.h"
#include "core/did_you_mean.h"
#include "core/frame_set.h"
#include "core/quote.h"

namespace rota {
namespace {

// More frames than this in one job are refused: the engine keeps every instance in memory, and
// checking them must stay quick whatever a spec says. The same bound as one frame set's.
constexpr int64_t kMaxFramesPerJob = kMaxFramesPerSet;


class Checker {
 public:
  Checker(const JobSpec& job, const ValidateOptions& options) : job_(job), options_(options) {
    for (size_t t = 0; t < job.tasks.size(); ++t) {
      if (task_index_.emplace(job.tasks[t].name, t).second) {
        task_names_.push_back(job.tasks[t].name);
      }
      for (const std::string& key : job.tasks[t].posts) posted_.insert(key);
    }
    for (const std::string& key : options.given_signals) posted_.insert(key);
  }

  std::vector<Error> Run() {
    if (job_.tasks.empty()) {
      Add(0, "empty_job",
          (job_.name.empty() ? std::string("the job") : "job " + Quote(job_.name)) +
              " has no tasks");
    }
    CheckPools();
    ParseAllFrames();
    for (size_t t = 0; t < job_.tasks.size(); ++t) CheckTask(t);
    CheckCycles();
    return std::move(errors_);
  }

 private:
  void Add(int line, const char* code, const std::string& message) {
    errors_.push_back(MakeError(code, Where(job_, line) + message));
  }

  static int LineOf(const TaskSpec& task, const Requirement& req) {
    return req.line > 0 ? req.line : task.line;
  }
  static int FramesLine(const TaskSpec& task) {
    return task.frames_line > 0 ? task.frames_line : task.line;
  }

  void CheckPools() {
    for (const PoolSpec& pool : job_.pools) {
      if (!pool_limit_.emplace(pool.name, pool.max_workers).second) {
        Add(pool.line, "duplicate_pool", "pool " + Quote(pool.name) + " is listed twice");
        continue;
      }
      if (pool.max_workers < 1) {
        Add(pool.line, "invalid_pool",
            "pool " + Quote(pool.name) + " has max_workers " + std::to_string(pool.max_workers) +
                "; it must be at least 1");
      }
    }
  }

  void CheckTask(size_t t) {
    const TaskSpec& task = job_.tasks[t];
    const size_t first = task_index_.at(task.name);
    if (first != t) {
      const int first_line = job_.tasks[first].line;
      Add(task.line, "duplicate_task",
          "duplicate task " + Quote(task.name) +
              (first_line > 0 ? "; the first is at line " + std::to_string(first_line) : ""));
    }
    const bool frames_ok = CheckFrames(t);
    for (const Requirement& req : task.requirements) CheckRequirement(t, req);
    if (task.gang && frames_ok) CheckGang(task);
  }

  // Parses every task's frame set up front (a frame-by-frame requirement may name a later task),
  // keeping the frames for CheckFramesLineUp. Stops parsing once the job has more than
  // kMaxFramesPerJob frames, which bounds both time and memory whatever the spec says.
  void ParseAllFrames() {
    frames_.resize(job_.tasks.size());
    frame_errors_.resize(job_.tasks.size());
    int64_t total = 0;
    for (size_t t = 0; t < job_.tasks.size(); ++t) {
      const TaskSpec& task = job_.tasks[t];
      if (task.frames.empty()) continue;
      if (total > kMaxFramesPerJob) {
        frame_errors_[t] = "";  // not parsed: the job is already too big
        continue;
      }
      Result<std::vector<Frame>> frames = ParseFrameSet(task.frames);
      if (!frames.ok()) {
        frame_errors_[t] = frames.error().message;
        continue;
      }
      total += static_cast<int64_t>(frames->size());
      frames_[t] = std::move(*frames);
      if (total > kMaxFramesPerJob) too_big_at_ = t;
    }
  }

  // Reports the task's frame set and chunk; false when either is wrong.
  bool CheckFrames(size_t t) {
    const TaskSpec& task = job_.tasks[t];
    bool ok = !frame_errors_[t].has_value();
    if (ok && too_big_at_ == t) {
      Add(FramesLine(task), "too_many_frames",
          "the job has more than " + std::to_string(kMaxFramesPerJob) + " frames with those of " +
              task.name + "; split it into several jobs");
      ok = false;
    }
    if (frame_errors_[t] && !frame_errors_[t]->empty()) {
      Add(FramesLine(task), "invalid_frames", task.name + ": " + *frame_errors_[t]);
    }
    if (task.chunk < 1) {
      Add(task.line, "invalid_chunk",
          task.name + ": chunk must be at least 1, got " + std::to_string(task.chunk));
      ok = false;
    }
    return ok;
  }

  void CheckRequirement(size_t t, const Requirement& req) {
    const TaskSpec& task = job_.tasks[t];
    const int line = LineOf(task, req);
    switch (req.kind) {
      case Requirement::Kind::kTask: CheckTaskRequirement(t, req, line); break;
      case Requirement::Kind::kSignal:
        if (options_.local && !posted_.contains(req.target)) {
          Add(line, "unposted_signal",
              task.name + " requires signal " + Quote(req.target) +
                  ", which no task posts; pass --signal " + req.target + " to post it at start");
        }
        break;
      case Requirement::Kind::kJob:
        if (options_.local) {
          Add(line, "job_dependency_local",
              task.name + " requires job " + Quote(req.target) +
                  ", but only a server knows other jobs; use rota submit instead of rota run");
        }
        break;
    }
  }

  void CheckTaskRequirement(size_t t, const Requirement& req, int line) {
    const TaskSpec& task = job_.tasks[t];
    if (req.target == task.name) {
      Add(line, "self_dependency", task.name + " requires itself");
      return;
    }
    auto it = task_index_.find(req.target);
    if (it == task_index_.end()) {
      std::string message =
          task.name + " requires " + Quote(req.target) + ", which is not a task of this job";
      if (auto guess = DidYouMean(req.target, task_names_)) {
        message += "; did you mean " + Quote(*guess) + "?";
      }
      Add(line, "unknown_dependency", message);
      return;
    }
    if (req.frame_by_frame) CheckFramesLineUp(t, it->second, line);
  }

  // `frames: each` pairs each frame of the dependent with the same frame of the dependency, so
  // every frame of the dependent must be one of the dependency's (the dependency may have more).
  // Only the first missing frame is named: counting them all could cost frames x requirements.
  void CheckFramesLineUp(size_t t, size_t d, int line) {
    const TaskSpec& task = job_.tasks[t];
    const TaskSpec& dep = job_.tasks[d];
    const std::string prefix = task.name + " requires " + dep.name + " frame by frame, but ";
    if (task.frames.empty() || dep.frames.empty()) {
      Add(line, "frames_mismatch",
          prefix + (task.frames.empty() ? task.name : dep.name) + " has no frames");
      return;
    }
    if (frame_errors_[t] || frame_errors_[d] || too_big_at_ <= std::max(t, d)) return;
    if (!lined_up_.insert({t, d}).second) return;  // the same pair named twice: checked once
    auto [it, fresh] = sorted_.try_emplace(d);
    if (fresh) {
      it->second = frames_[d];
      std::sort(it->second.begin(), it->second.end());
    }
    const std::vector<Frame>& have = it->second;
    for (Frame f : frames_[t]) {
      if (std::binary_search(have.begin(), have.end(), f)) continue;
      Add(line, "frames_mismatch", prefix + dep.name + " has no frame " + std::to_string(f));
      return;
    }
  }

  void CheckGang(const TaskSpec& task) {
    const size_t t = &task - job_.tasks.data();
    const int64_t frame_count = task.frames.empty() ? 1 : static_cast<int64_t>(frames_[t].size());
    auto listed = pool_limit_.find(task.pool);
    const int limit = listed != pool_limit_.end() ? listed->second : options_.default_max_workers;
    if (limit < 1) return;  // reported as invalid_pool
    const int64_t instances = (frame_count + task.chunk - 1) / task.chunk;
    if (instances <= limit) return;
    Add(task.line, "gang_too_large",
        task.name + " is a gang of " + std::to_string(instances) + " instances, but pool " +
            Quote(task.pool) + " runs at most " + std::to_string(limit) + " at once (max_workers)");
  }

  void CheckCycles() {
    const TaskGraph graph = BuildTaskGraph(job_);
    for (const std::vector<int>& cycle : FindCycles(graph)) {
      if (cycle.size() <= 2) continue;  // a task requiring itself: reported as self_dependency
      Add(job_.tasks[cycle.front()].line, "cycle", "cycle: " + FormatCycle(job_, cycle));
    }
  }

  const JobSpec& job_;
  const ValidateOptions& options_;
  std::unordered_map<std::string_view, size_t> task_index_;  // name -> first task with it
  std::vector<std::string_view> task_names_;                 // distinct, in spec order
  std::unordered_set<std::string> posted_;
  std::unordered_map<std::string_view, int> pool_limit_;  // listed pools: name -> max_workers
  std::vector<std::vector<Frame>> frames_;  // by task; empty when it has none or they are wrong
  // By task: why its frame set is wrong, "" when it was not parsed, nullopt when it is fine.
  std::vector<std::optional<std::string>> frame_errors_;
  size_t too_big_at_ = SIZE_MAX;  // the task whose frames took the job over kMaxFramesPerJob
  std::unordered_map<size_t, std::vector<Frame>> sorted_;  // dependencies' frames, sorted
  std::set<std::pair<size_t, size_t>> lined_up_;           // (dependent, dependency) checked
  std::vector<Error> errors_;
};

}  // namespace

std::vector<Error> ValidateJob(const JobSpec& job, const ValidateOptions& options) {
  return Checker(job, options).Run();
}

}  // namespace rota
