// ServerCore::Metrics: GET /metrics in Prometheus' text format, from the engine's state and
// counters, the store's failures, the snapshotter's and the histograms the loop keeps.
#include <array>
#include <map>

#include "api/job_views.h"
#include "api/server_core.h"

namespace rota {

void ServerCore::Metrics(const Histogram& http_latency, Answer<std::string> done) {
  std::string out;
  std::map<std::string, uint64_t> jobs_by_state;
  std::array<uint64_t, 8> instances{};
  for (JobId id = 0; id < engine_.job_count(); ++id) {
    const JobState* found = engine_.find_job(id);
    if (found == nullptr) continue;   // retired: in the archive
    const JobState& job = *found;
    ++jobs_by_state[JobStateName(job)];
    for (const InstanceState& inst : job.instances) ++instances[static_cast<int>(inst.status)];
  }
  MetricHeader("rota_jobs", "gauge", "Jobs by state.", out);
  for (const char* s : {"pending", "running", "succeeded", "failed", "cancelled"}) {
    MetricLine("rota_jobs", std::string("state=\"") + s + "\"", static_cast<double>(jobs_by_state[s]), out);
  }
  MetricHeader("rota_instances", "gauge", "Instances by state.", out);
  for (int s = 0; s < 8; ++s) {
    MetricLine("rota_instances", std::string("state=\"") + InstanceStatusName(static_cast<InstanceStatus>(s)) + "\"",
               static_cast<double>(instances[s]), out);
  }
  size_t alive = 0;
  for (const HostState& h : engine_.hosts()) alive += h.alive ? 1 : 0;
  MetricHeader("rota_agents_alive", "gauge", "Agents that heartbeat within the timeout.", out);
  MetricLine("rota_agents_alive", "", static_cast<double>(alive), out);
  MetricHeader("rota_agents_lost", "gauge", "Agents marked lost.", out);
  MetricLine("rota_agents_lost", "", static_cast<double>(engine_.hosts().size() - alive), out);
  MetricHeader("rota_runs_running", "gauge", "Runs placed on agents and not yet ended.", out);
  MetricLine("rota_runs_running", "", static_cast<double>(engine_.running()), out);
  MetricHeader("rota_store_commit_failures_total", "counter", "Appends to the log the store refused.", out);
  MetricLine("rota_store_commit_failures_total", "", static_cast<double>(commits_failed_), out);
  MetricHeader("rota_store_event_write_failures_total", "counter",
               "Writes of derived events the store refused (retried with the next batch).", out);
  MetricLine("rota_store_event_write_failures_total", "", static_cast<double>(event_writes_failed_), out);
  const Snapshotter::Stats snapshots = snapshotter_->stats();
  MetricHeader("rota_snapshots_written_total", "counter", "Snapshots of the engine written to the store.", out);
  MetricLine("rota_snapshots_written_total", "", static_cast<double>(snapshots.written), out);
  MetricHeader("rota_snapshot_failures_total", "counter", "Snapshots the store refused.", out);
  MetricLine("rota_snapshot_failures_total", "", static_cast<double>(snapshots.failed), out);
  MetricHeader("rota_snapshot_lsn", "gauge", "The log position of the latest snapshot.", out);
  MetricLine("rota_snapshot_lsn", "", static_cast<double>(snapshots.last_lsn), out);
  MetricHeader("rota_snapshot_bytes", "gauge", "Size of the latest snapshot.", out);
  MetricLine("rota_snapshot_bytes", "", static_cast<double>(snapshots.last_bytes), out);
  MetricHeader("rota_snapshot_seconds", "gauge", "Time the latest snapshot took to encode and write (off the loop).", out);
  MetricLine("rota_snapshot_seconds", "", snapshots.last_seconds, out);
  MetricHeader("rota_changes_dropped_total", "counter",
               "Changes that no longer applied when their turn in the log came (stale reports, placements overtaken).", out);
  for (const auto& [kind, count] : engine_.dropped()) {
    MetricLine("rota_changes_dropped_total", "kind=\"" + kind + "\"", static_cast<double>(count), out);
  }
  const Engine::CycleStats cycles = engine_.cycle_stats();
  MetricHeader("rota_sched_cycles_total", "counter", "Scheduling results applied.", out);
  MetricLine("rota_sched_cycles_total", "", static_cast<double>(cycles.cycles), out);
  MetricHeader("rota_sched_decisions_total", "counter",
               "Scheduling decisions (placements and preemptions), applied or dropped by reconciliation.", out);
  MetricLine("rota_sched_decisions_total", "outcome=\"applied\"", static_cast<double>(cycles.decisions_applied), out);
  MetricLine("rota_sched_decisions_total", "outcome=\"dropped\"", static_cast<double>(cycles.decisions_dropped), out);
  MetricHeader("rota_sched_preemptions_total", "counter", "Runs preempted by the scheduler.", out);
  MetricLine("rota_sched_preemptions_total", "", static_cast<double>(cycles.preemptions), out);
  MetricHeader("rota_sched_runner_running", "gauge", "1 while the scheduling algorithm runs.", out);
  MetricLine("rota_sched_runner_running", "", cycles.runner_state == RunnerState::kRunning ? 1 : 0, out);
  sched_seconds_.Render("rota_sched_duration_seconds",
                        "Time the scheduling algorithm took per cycle (on the runner's thread in async mode).", out);
  cycle_seconds_.Render("rota_cycle_seconds", "Time of one loop batch's cycle, work delivery and commit.", out);
  PeriodicMetrics(out);
  if (extra_metrics_) out += extra_metrics_();
  http_latency.Render("rota_http_request_seconds", "HTTP request latency, from the whole request read to the reply written.", out);
  Reply<std::string>(std::move(done), std::move(out));
}

void ServerCore::PeriodicMetrics(std::string& out) const {
  auto label = [](const char* key, const std::string& name) { return std::string(key) + "=\"" + name + "\""; };
  MetricHeader("rota_schedule_next_fire_timestamp_seconds", "gauge",
               "When each schedule's next slot is due (unix seconds, with its jitter); absent while paused.", out);
  for (const auto& [name, s] : engine_.schedules()) {
    if (s.next_due) MetricLine("rota_schedule_next_fire_timestamp_seconds", label("schedule", name), double(*s.next_due), out);
  }
  MetricHeader("rota_schedule_last_success_timestamp_seconds", "gauge",
               "When a job a schedule fired last succeeded (unix seconds; 0: never).", out);
  for (const auto& [name, s] : engine_.schedules()) {
    MetricLine("rota_schedule_last_success_timestamp_seconds", label("schedule", name), double(s.last_success_us / 1000000), out);
  }
  MetricHeader("rota_schedule_slots_total", "counter", "Slots of each schedule by outcome.", out);
  for (const auto& [name, s] : engine_.schedules()) {
    for (auto [outcome, count] : {std::pair{"fired", s.fired}, {"missed", s.missed}, {"skipped", s.skipped}}) {
      MetricLine("rota_schedule_slots_total", label("schedule", name) + ",outcome=\"" + outcome + "\"", double(count), out);
    }
  }
  MetricHeader("rota_watchdog_down", "gauge", "1 while a watchdog's alert is raised.", out);
  for (const auto& [name, x] : engine_.expectations()) MetricLine("rota_watchdog_down", label("watchdog", name), x.down ? 1 : 0, out);
  MetricHeader("rota_watchdog_alerts_total", "counter", "Alerts each watchdog raised.", out);
  for (const auto& [name, x] : engine_.expectations()) {
    MetricLine("rota_watchdog_alerts_total", label("watchdog", name), double(x.alerts), out);
  }
}

}  // namespace rota
