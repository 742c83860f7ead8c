#include "api/job_json.h"

#include <array>

#include "core/frame_set.h"

namespace rota {

const char* JobStateName(const JobState& job) {
  if (job.finished) return job.cancelled ? "cancelled" : job.Succeeded() ? "succeeded" : "failed";
  return job.started ? "running" : "pending";
}

nlohmann::ordered_json JobSummaryJson(const JobState& job) {
  std::array<uint32_t, 8> by_status{};
  for (const InstanceState& inst : job.instances) ++by_status[static_cast<int>(inst.status)];
  nlohmann::ordered_json counts;
  counts["total"] = job.instances.size();
  for (int s = 0; s < 8; ++s) counts[InstanceStatusName(static_cast<InstanceStatus>(s))] = by_status[s];
  nlohmann::ordered_json j;
  j["id"] = uint64_t{job.id} + 1;
  j["name"] = job.spec.name;
  j["queue"] = job.spec.queue;
  j["priority"] = job.spec.priority;
  j["state"] = JobStateName(job);
  j["submitted_us"] = job.submitted_us;
  j["finished_us"] = job.finished_us;
  j["counts"] = std::move(counts);
  return j;
}

nlohmann::ordered_json JobDetailJson(const Engine& engine, JobId id) {
  const JobState& job = engine.job(id);
  nlohmann::ordered_json j = JobSummaryJson(job);
  nlohmann::ordered_json tasks = nlohmann::ordered_json::array();
  for (const TaskState& task : job.tasks) {
    nlohmann::ordered_json t;
    t["name"] = task.spec->name;
    t["pool"] = task.spec->pool;
    t["frames"] = task.spec->frames;
    nlohmann::ordered_json instances = nlohmann::ordered_json::array();
    for (uint32_t k = 0; k < task.instance_count; ++k) {
      const uint32_t i = task.first_instance + k;
      const InstanceState& inst = job.instances[i];
      nlohmann::ordered_json o;
      o["index"] = inst.index;
      const auto frames = job.FramesOf(inst);
      if (!frames.empty()) o["frames"] = FormatFrames(frames);
      o["status"] = InstanceStatusName(inst.status);
      if (inst.attempts > 0) o["attempt"] = inst.attempts;
      if (inst.run != 0) {
        const RunView run = engine.Run(inst.run);
        if (!run.host.empty()) o["host"] = run.host;
        o["run"] = inst.run;
      }
      if (inst.status == InstanceStatus::kFailed || inst.status == InstanceStatus::kSucceeded) {
        if (inst.attempts > 0) o["exit_code"] = inst.exit_code;
      }
      if (!inst.reason.empty()) o["reason"] = inst.reason;
      if (!IsFinal(inst.status) && inst.status != InstanceStatus::kRunning) {
        o["why"] = engine.WhyPending(id, i);
      }
      instances.push_back(std::move(o));
    }
    t["instances"] = std::move(instances);
    tasks.push_back(std::move(t));
  }
  j["tasks"] = std::move(tasks);
  return j;
}

}  // namespace rota
