// Why an instance is not running: the exact requirement, pool limit or missing capacity that holds
// it (docs/api.md, "why"). Read-only; built on demand for `rota show`.
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

namespace {

std::string Progress(const TaskState& task) {
  return std::to_string(task.instance_count - task.unfinished) + " of " +
         std::to_string(task.instance_count) + " instances finished";
}

}  // namespace

std::string Engine::WhyPending(JobId id, uint32_t i) const {
  const JobState& job = *jobs_[id];
  const InstanceState& inst = job.instances[i];
  const TaskState& task = job.tasks[inst.task];
  const TaskSpec& spec = *task.spec;
  switch (inst.status) {
    case InstanceStatus::kWaiting: {
      for (const Requirement& r : spec.requirements) {
        if (r.kind == Requirement::Kind::kSignal && !posted_signals_.count(r.target)) {
          return "waiting for signal " + r.target;
        }
        if (r.kind == Requirement::Kind::kJob) {
          std::string awaited = AwaitedJobs(id, inst.task);
          if (!awaited.empty()) return awaited;
        }
        if (r.kind != Requirement::Kind::kTask) continue;
        for (const TaskState& dep : job.tasks) {
          if (dep.spec->name != r.target || dep.unfinished == 0) continue;
          if (!r.frame_by_frame) {
            return "waiting for task " + r.target + " (" + Progress(dep) + ")" +
                   (r.on == DepOn::kFailure ? "; runs only if it fails" : "");
          }
          for (uint32_t k = 0; k < dep.instance_count; ++k) {
            const InstanceState& d = job.instances[dep.first_instance + k];
            if (IsFinal(d.status)) continue;
            for (const InstanceState::Edge& e : d.dependents) {
              if (e.instance != i) continue;
              return "waiting for " + InstanceKey(job, d) + " (frames " +
                     FormatFrames(job.FramesOf(d)) + ", " + InstanceStatusName(d.status) + ")";
            }
          }
        }
      }
      return "waiting for its requirements";
    }
    case InstanceStatus::kReady: {
      const PoolState& pool = pools_[task.pool];
      if (static_cast<int>(pool.running) >= pool.view.max_workers) {
        return "pool " + spec.pool + " is full: " + std::to_string(pool.running) + " of max_workers " +
               std::to_string(pool.view.max_workers) + " running" +
               (options_.placement ? " for this job" : "");
      }
      if (!options_.placement) return "ready: next in line for pool " + spec.pool;
      sched::Snapshot snap = BaseSnapshot();
      sched::PendingGroup group;
      group.queue = job.queue;
      group.pool = pool.farm_pool;
      group.priority = job.spec.priority;
      group.need = {spec.resources.cores, spec.resources.memory_bytes, spec.resources.gpus};
      group.gang = IsGang(task);
      group.instances = {i};
      if (!spec.resources.tags.empty()) {
        group.tags = static_cast<uint32_t>(snap.tag_sets.size());
        snap.tag_sets.push_back(spec.resources.tags);
      }
      std::string why = sched::WhyNotPlaced(snap, group);
      return why.empty() ? "ready: will be placed in the next scheduling cycle" : why;
    }
    case InstanceStatus::kBackoff:
      return "attempt " + std::to_string(inst.attempts) + " failed; retrying after a backoff (" +
             std::to_string(spec.retries + 1 - (inst.attempts - inst.preemptions)) +
             " attempts left)";
    default:
      return "";
  }
}

}  // namespace rota
