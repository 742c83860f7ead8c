// The snapshot's section of time-driven work (version 3): the jobs schedules fired (their names
// differ from their spec's), which job each name last meant and how every job ended, the tasks
// waiting for jobs, and the schedules, watchdogs and hooks with their progress. Definitions are
// kept as their JSON text and parsed again (their time zones loaded again) when read. What is
// due when is derived again from the rest.
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

void Engine::EncodePeriodic(ByteWriter& w) const {
  std::vector<JobId> fired;
  for (JobId id = 0; id < jobs_.size(); ++id) {
    if (jobs_[id] && !jobs_[id]->schedule.empty()) fired.push_back(id);
  }
  w.U64(fired.size());
  for (JobId id : fired) {
    w.U64(id);
    w.Str(jobs_[id]->spec.name);
    w.Str(jobs_[id]->schedule);
  }
  std::vector<std::pair<std::string, JobId>> latest(latest_job_.begin(), latest_job_.end());
  std::sort(latest.begin(), latest.end());
  w.U64(latest.size());
  for (const auto& [name, id] : latest) {
    w.Str(name);
    w.U64(id);
  }
  w.Str(std::string_view(reinterpret_cast<const char*>(job_outcomes_.data()), job_outcomes_.size()));
  w.U64(job_waiters_.size());
  for (const auto& [key, waiters] : job_waiters_) {
    w.Str(key);
    w.U64(waiters.size());
    for (const JobWaiter& waiter : waiters) {
      w.U64(waiter.job);
      w.U64(waiter.task);
      w.U64(static_cast<uint64_t>(waiter.on));
    }
  }
  w.U64(schedules_.size());
  for (const auto& [name, s] : schedules_) {
    w.Str(s.text);
    w.Str(s.log_dir);
    w.Bool(s.paused);
    w.I64(s.anchor);
    w.I64(s.last_slot);
    w.Bool(s.job.has_value());
    w.U64(s.job.value_or(0));
    w.U64(s.queued.size());
    for (int64_t slot : s.queued) w.I64(slot);
    w.U64(s.fired);
    w.U64(s.missed);
    w.U64(s.skipped);
    w.I64(s.last_fired_us);
    w.I64(s.last_success_us);
    w.I64(s.last_failure_us);
  }
  w.U64(expectations_.size());
  for (const auto& [name, x] : expectations_) {
    w.Str(x.text);
    w.I64(x.since_us);
    w.Bool(x.down);
    w.I64(x.raised_us);
    w.U64(x.alerts);
  }
  w.U64(hooks_.size());
  for (const auto& [name, h] : hooks_) {
    w.Str(h.text);
    w.U64(h.delivered);
  }
}

Result<Unit> Engine::LoadPeriodic(ByteReader& r) {
  auto bad = [](std::string why) { return MakeError("bad_snapshot", std::move(why)); };
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    const auto id = static_cast<JobId>(r.U64());
    std::string name(r.Str()), schedule(r.Str());
    if (find_job(id) == nullptr) return bad("a fired job the snapshot lacks");
    jobs_[id]->spec.name = std::move(name);
    jobs_[id]->schedule = std::move(schedule);
  }
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string name(r.Str());
    const auto id = static_cast<JobId>(r.U64());
    if (id >= jobs_.size()) return bad("a job name refers to a job the snapshot lacks");
    latest_job_[std::move(name)] = id;
  }
  const std::string_view outcomes = r.Str();
  job_outcomes_.assign(outcomes.begin(), outcomes.end());
  if (job_outcomes_.size() > jobs_.size()) return bad("more job outcomes than jobs");
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::vector<JobWaiter>& waiters = job_waiters_[std::string(r.Str())];
    for (uint64_t k = r.Count(); k > 0 && r.ok(); --k) {
      JobWaiter waiter{static_cast<JobId>(r.U64()), static_cast<uint32_t>(r.U64()), static_cast<DepOn>(r.U64())};
      if (find_job(waiter.job) == nullptr || waiter.task >= jobs_[waiter.job]->tasks.size()) {
        return bad("a job waiter the snapshot lacks");
      }
      waiters.push_back(waiter);
    }
  }
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string text(r.Str());
    Result<ScheduleDef> def = ParseScheduleDef(text);
    if (!def.ok()) return bad("a schedule no longer parses: " + def.error().message);
    const std::string name = def->name;
    ScheduleState& s = schedules_[name];
    s.def = std::make_shared<const ScheduleDef>(std::move(*def));
    s.text = std::move(text);
    s.log_dir = std::string(r.Str());
    s.paused = r.Bool();
    s.anchor = r.I64();
    s.last_slot = r.I64();
    const bool has_job = r.Bool();
    const auto job = static_cast<JobId>(r.U64());
    if (has_job) s.job = job;
    for (uint64_t k = r.Count(); k > 0 && r.ok(); --k) s.queued.push_back(r.I64());
    s.fired = r.U64();
    s.missed = r.U64();
    s.skipped = r.U64();
    s.last_fired_us = r.I64();
    s.last_success_us = r.I64();
    s.last_failure_us = r.I64();
    if (has_job && job >= jobs_.size()) return bad("schedule " + name + " refers to a job the snapshot lacks");
    UpdateScheduleDue(name, s);
  }
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string text(r.Str());
    Result<ExpectationDef> def = ParseExpectationDef(text);
    if (!def.ok()) return bad("a watchdog no longer parses: " + def.error().message);
    const std::string name = def->name;
    ExpectationState& x = expectations_[name];
    x.def = std::make_shared<const ExpectationDef>(std::move(*def));
    x.text = std::move(text);
    x.since_us = r.I64();
    x.down = r.Bool();
    x.raised_us = r.I64();
    x.alerts = r.U64();
    UpdateExpectationDue(name, x);
  }
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    std::string text(r.Str());
    Result<HookDef> def = ParseHookDef(text);
    if (!def.ok()) return bad("a hook no longer parses: " + def.error().message);
    HookState& h = hooks_[def->name];
    h.def = std::make_shared<const HookDef>(std::move(*def));
    h.text = std::move(text);
    h.delivered = r.U64();
  }
  return Unit{};
}

}  // namespace rota
