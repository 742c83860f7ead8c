// Periodic schedules in the log (issue 11, docs/schedules.md): a slot fires by one change,
// ScheduleFired{name, slot}, whose Apply submits the job NAME@SLOT. Apply drops a slot that is not
// newer than every slot the schedule handled, so a crash between proposing and applying, a restart
// or a new holder of the schedules lease proposes the same slot again and it fires once; a clock
// stepped back proposes nothing new. Overlap with an unfinished job of an earlier slot is decided
// here too, where that job's state is known.
//
// The proposer (DueSchedules, the holder of the schedules lease) looks only at schedules whose
// next slot is due (schedule_due_, in time order) and asks DueSlots which slots to fire and
// which were missed (catch_up, start_window).
#include "calendar/next_fire.h"
#include "calendar/rfc3339.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

namespace {

int64_t Seconds(int64_t us) { return us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000); }

std::string JobName(const std::string& schedule, int64_t slot) { return schedule + "@" + FormatUtc(slot); }

}  // namespace

void Engine::ApplyWhat(const Change& c, const change::ScheduleSet& what) {
  if (what.def == nullptr) return Drop(c);
  const std::string& name = what.def->name;
  auto [it, created] = schedules_.try_emplace(name);
  ScheduleState& s = it->second;
  s.def = what.def;
  s.text = what.text;
  s.log_dir = what.log_dir;
  s.paused = !what.def->enabled;
  // Created or edited, it starts from now: slots up to now are not caught up.
  s.anchor = std::max(s.anchor, Seconds(c.ts_us));
  if (created) s.last_slot = 0;
  if (s.def->overlap != Overlap::kQueue) s.queued.clear();
  while (static_cast<int64_t>(s.queued.size()) > s.def->queue_max) s.queued.pop_back();
  UpdateScheduleDue(name, s);
}

void Engine::ApplyWhat(const Change& c, const change::ScheduleRemoved& what) {
  auto it = schedules_.find(what.name);
  if (it == schedules_.end()) return Drop(c);
  if (it->second.next_due) schedule_due_.erase({*it->second.next_due, what.name});
  schedules_.erase(it);
}

void Engine::ApplyWhat(const Change& c, const change::SchedulePaused& what) {
  auto it = schedules_.find(what.name);
  if (it == schedules_.end() || it->second.paused == what.paused) return Drop(c);
  ScheduleState& s = it->second;
  s.paused = what.paused;
  // Resumed, it starts from now: the slots of the pause were not missed, they were not wanted.
  if (!s.paused) s.anchor = std::max(s.anchor, Seconds(c.ts_us));
  UpdateScheduleDue(what.name, s);
}

void Engine::ApplyWhat(const Change& c, const change::ScheduleFired& what) {
  auto it = schedules_.find(what.name);
  if (it == schedules_.end()) return Drop(c);
  ScheduleState& s = it->second;
  if (what.manual) {   // `rota schedules trigger`: now, whatever the overlap says
    if (latest_job_.count(JobName(what.name, what.slot))) return Drop(c);
    return SubmitSlot(what.name, s, what.slot);
  }
  if (s.paused || what.slot <= std::max(s.last_slot, s.anchor)) return Drop(c);
  s.last_slot = what.slot;
  FireSlot(what.name, s, what.slot);
  UpdateScheduleDue(what.name, s);
}

void Engine::ApplyWhat(const Change& c, const change::ScheduleMissed& what) {
  auto it = schedules_.find(what.name);
  if (it == schedules_.end()) return Drop(c);
  ScheduleState& s = it->second;
  if (what.last <= std::max(s.last_slot, s.anchor)) return Drop(c);
  s.last_slot = what.last;
  s.missed += static_cast<uint64_t>(what.count);
  std::string reason = (what.more ? "more than " : "") + std::to_string(what.count) + " slot" +
                       (what.count == 1 && !what.more ? "" : "s") + " from " + FormatUtc(what.first) + " to " +
                       FormatUtc(what.last) + " passed while no server could fire them (catch_up: " +
                       CatchUpName(s.def->policy.catch_up) +
                       (s.def->policy.start_window > 0 ? ", start_window: " + std::to_string(s.def->policy.start_window) + "s" : "") +
                       ")";
  EmitSchedule(EventType::kScheduleMissed, what.name, what.last, nullptr, what.count, reason);
  UpdateScheduleDue(what.name, s);
}

// Overlap: what a slot does while the job of an earlier slot is unfinished.
void Engine::FireSlot(const std::string& name, ScheduleState& s, int64_t slot) {
  const JobState* previous = s.job ? find_job(*s.job) : nullptr;
  const bool overlaps = previous != nullptr && !previous->finished;
  if (!overlaps || s.def->overlap == Overlap::kAllow) return SubmitSlot(name, s, slot);
  const std::string running = previous->spec.name + " (#" + std::to_string(JobIdOf(*previous)) + ") is unfinished";
  switch (s.def->overlap) {
    case Overlap::kForbid:
      ++s.skipped;
      EmitSchedule(EventType::kScheduleSkipped, name, slot, nullptr, 0, running + " (overlap: forbid)");
      return;
    case Overlap::kReplace:
      CancelJob(*s.job, "replaced by " + JobName(name, slot) + " (overlap: replace)");
      return SubmitSlot(name, s, slot);
    case Overlap::kQueue:
      if (static_cast<int64_t>(s.queued.size()) < s.def->queue_max) {
        s.queued.push_back(slot);
        return;
      }
      ++s.skipped;
      EmitSchedule(EventType::kScheduleSkipped, name, slot, nullptr, 0,
                   running + " and " + std::to_string(s.queued.size()) + " slot(s) wait already (overlap: queue, queue_max: " +
                       std::to_string(s.def->queue_max) + ")");
      return;
    case Overlap::kAllow: break;
  }
}

void Engine::SubmitSlot(const std::string& name, ScheduleState& s, int64_t slot) {
  const JobId id = static_cast<JobId>(jobs_.size());
  jobs_.emplace_back();
  JobSpec spec = *s.def->job;
  spec.name = JobName(name, slot);
  SubmitOptions options;
  options.log_dir = s.log_dir;
  options.schedule = name;
  Install(id, std::move(spec), options, /*announce=*/true);
  JobState& job = *jobs_[id];
  job.spec_text = s.def->job_text;
  ++s.fired;
  s.last_fired_us = now_us_;
  s.job = id;
  EmitSchedule(EventType::kScheduleFired, name, slot, &job);
}

void Engine::ScheduledJobFinished(const JobState& job) {
  auto it = schedules_.find(job.schedule);
  if (it == schedules_.end()) return;
  ScheduleState& s = it->second;
  (job.Succeeded() ? s.last_success_us : s.last_failure_us) = now_us_;
  if (s.job != job.id || s.queued.empty()) return;
  const int64_t slot = s.queued.front();
  s.queued.pop_front();
  SubmitSlot(it->first, s, slot);
}

void Engine::UpdateScheduleDue(const std::string& name, ScheduleState& s) {
  if (s.next_due) schedule_due_.erase({*s.next_due, name});
  s.next_due.reset();
  if (s.paused) return;
  const ScheduleDef& def = *s.def;
  const std::optional<int64_t> next = NextFire(def.rule.spec, *def.rule.zone, std::max(s.last_slot, s.anchor), def.policy.dst);
  if (!next) return;
  int64_t due = *next;
  if (def.policy.jitter > 1) {
    due += JitterOf(name, *next, def.policy.jitter, NextFire(def.rule.spec, *def.rule.zone, *next, def.policy.dst));
  }
  s.next_due = due;
  schedule_due_.emplace(due, name);
}

void Engine::EmitSchedule(EventType type, const std::string& name, int64_t slot, const JobState* job, int64_t count,
                          std::string_view reason) {
  const std::string slot_text = FormatUtc(slot);
  Event e = NextEvent(type);
  e.schedule = name;
  e.slot = slot_text;
  e.count = count;
  e.reason = reason;
  if (job != nullptr) {
    e.job = job->spec.name;
    e.job_id = JobIdOf(*job);
  }
  Publish(e);
}

void Engine::DueSchedules(int64_t now_us, std::vector<Change>& due) const {
  const int64_t now = Seconds(now_us);
  for (const auto& [at, name] : schedule_due_) {
    if (at > now) break;
    const ScheduleState& s = schedules_.at(name);
    const ScheduleDef& def = *s.def;
    const DuePlan plan = DueSlots(def.rule.spec, *def.rule.zone, def.policy, name, std::max(s.last_slot, s.anchor), now);
    if (plan.missed > 0) {
      due.push_back({now_us, change::ScheduleMissed{name, plan.missed_first, plan.missed_last, plan.missed, plan.missed_more}});
    }
    for (int64_t slot : plan.fire) due.push_back({now_us, change::ScheduleFired{name, slot, false}});
  }
}

}  // namespace rota
