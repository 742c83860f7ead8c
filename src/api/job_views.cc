#include "api/job_views.h"

#include <array>

#include "core/frame_set.h"

namespace rota {

const char* JobStateName(const JobState& job) {
  if (job.finished) return job.cancelled ? "cancelled" : job.Succeeded() ? "succeeded" : "failed";
  return job.started ? "running" : "pending";
}

JobSummary SummaryOf(const JobState& job) {
  constexpr int kStatuses = static_cast<int>(InstanceStatus::kCancelled) + 1;
  std::array<uint64_t, kStatuses> by_status{};
  for (const InstanceState& inst : job.instances) ++by_status[static_cast<int>(inst.status)];
  JobSummary s;
  s.id = uint64_t{job.id} + 1;
  s.name = job.spec.name;
  s.queue = job.spec.queue;
  s.priority = job.spec.priority;
  s.state = JobStateName(job);
  s.submitted_us = job.submitted_us;
  s.finished_us = job.finished_us;
  s.counts.emplace_back("total", job.instances.size());
  for (int i = 0; i < kStatuses; ++i) {
    s.counts.emplace_back(InstanceStatusName(static_cast<InstanceStatus>(i)), by_status[i]);
  }
  return s;
}

JobDetail DetailOf(const Engine& engine, JobId id) {
  const JobState& job = engine.job(id);
  JobDetail detail;
  detail.summary = SummaryOf(job);
  for (const TaskState& task : job.tasks) {
    TaskView& t = detail.tasks.emplace_back();
    t.name = task.spec->name;
    t.pool = task.spec->pool;
    t.frames = task.spec->frames;
    for (uint32_t k = 0; k < task.instance_count; ++k) {
      const uint32_t i = task.first_instance + k;
      const InstanceState& inst = job.instances[i];
      InstanceView& o = t.instances.emplace_back();
      o.index = static_cast<int>(inst.index);
      if (const auto frames = job.FramesOf(inst); !frames.empty()) o.frames = FormatFrames(frames);
      o.status = InstanceStatusName(inst.status);
      o.attempt = inst.attempts;
      if (inst.run != 0) {
        o.host = std::string(engine.Run(inst.run).host);
        o.run = inst.run;
      }
      const bool ended = inst.status == InstanceStatus::kFailed || inst.status == InstanceStatus::kSucceeded;
      if (ended && inst.attempts > 0) o.exit_code = inst.exit_code;
      o.reason = inst.reason;
      if (!IsFinal(inst.status) && inst.status != InstanceStatus::kRunning) o.why = engine.WhyPending(id, i);
    }
  }
  return detail;
}

}  // namespace rota
