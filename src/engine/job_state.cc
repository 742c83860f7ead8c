#include "engine/job_state.h"

#include <algorithm>
#include <unordered_map>

namespace rota {

const char* InstanceStatusName(InstanceStatus s) {
  static constexpr const char* kNames[] = {"waiting",   "ready",  "running", "backoff",
                                           "succeeded", "failed", "skipped", "cancelled"};
  return kNames[static_cast<int>(s)];
}
namespace {

// Frame-by-frame: instance i of `task` waits for every instance of `dep` holding one of its frames.
void AddFrameEdges(JobState& job, uint32_t task, uint32_t dep, DepOn on) {
  const TaskState& t = job.tasks[task];
  const TaskState& d = job.tasks[dep];
  std::unordered_map<Frame, uint32_t> instance_of_frame;
  instance_of_frame.reserve(d.frames.size());
  for (uint32_t i = 0; i < d.instance_count; ++i) {
    const InstanceState& inst = job.instances[d.first_instance + i];
    for (uint32_t f = inst.frame_begin; f < inst.frame_end; ++f)
      instance_of_frame.emplace(d.frames[f], d.first_instance + i);
  }
  for (uint32_t i = 0; i < t.instance_count; ++i) {
    const uint32_t me = t.first_instance + i;
    InstanceState& inst = job.instances[me];
    for (uint32_t f = inst.frame_begin; f < inst.frame_end; ++f) {
      auto it = instance_of_frame.find(t.frames[f]);
      if (it == instance_of_frame.end()) continue;
      // Instances are visited in order, so an edge to `me` already added is the last one.
      auto& deps = job.instances[it->second].dependents;
      if (!deps.empty() && deps.back().instance == me) continue;
      deps.push_back({me, on});
      ++inst.unmet;
    }
  }
}

}  // namespace

std::unique_ptr<JobState> ExpandJob(JobSpec spec,
                                    const std::function<uint32_t(const std::string&)>& pool_of) {
  auto job = std::make_unique<JobState>();
  job->spec = std::move(spec);
  const auto& tasks = job->spec.tasks;
  job->tasks.resize(tasks.size());

  std::unordered_map<std::string_view, uint32_t> index_of;
  index_of.reserve(tasks.size());
  for (uint32_t t = 0; t < tasks.size(); ++t) index_of.emplace(tasks[t].name, t);

  size_t total = 0;
  for (uint32_t t = 0; t < tasks.size(); ++t) {
    TaskState& ts = job->tasks[t];
    ts.spec = &tasks[t];
    ts.pool = pool_of(tasks[t].pool);
    if (!tasks[t].frames.empty()) {
      auto frames = ParseFrameSet(tasks[t].frames);
      if (frames.ok()) ts.frames = std::move(frames.value());
    }
    const size_t chunk = std::max(1, tasks[t].chunk);
    ts.instance_count = ts.frames.empty() ? 1 : (ts.frames.size() + chunk - 1) / chunk;
    total += ts.instance_count;
  }
  job->instances.reserve(total);
  for (uint32_t t = 0; t < tasks.size(); ++t) {
    TaskState& ts = job->tasks[t];
    ts.first_instance = job->instances.size();
    ts.unfinished = ts.instance_count;
    const uint32_t chunk = std::max(1, tasks[t].chunk);
    for (uint32_t i = 0; i < ts.instance_count; ++i) {
      InstanceState inst;
      inst.task = t;
      inst.index = i;
      inst.frame_begin = std::min<size_t>(size_t{i} * chunk, ts.frames.size());
      inst.frame_end = std::min<size_t>(inst.frame_begin + chunk, ts.frames.size());
      job->instances.push_back(std::move(inst));
    }
  }
  job->unfinished = job->instances.size();

  for (uint32_t t = 0; t < tasks.size(); ++t) {
    TaskState& ts = job->tasks[t];
    for (const Requirement& req : tasks[t].requirements) {
      switch (req.kind) {
        case Requirement::Kind::kSignal:
          ts.signals.push_back(req.target);
          ++ts.unmet;
          break;
        case Requirement::Kind::kJob:
          break;  // other jobs exist only on a server; validation rejects them locally
        case Requirement::Kind::kTask: {
          auto it = index_of.find(req.target);
          if (it == index_of.end()) break;
          if (req.on != DepOn::kSuccess) ts.handles_failure = true;
          if (req.frame_by_frame) {
            AddFrameEdges(*job, t, it->second, req.on);
          } else {
            job->tasks[it->second].dependents.push_back({t, req.on});
            ++ts.unmet;
          }
          break;
        }
      }
    }
  }
  return job;
}

}  // namespace rota
