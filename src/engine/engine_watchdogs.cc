// Watchdogs and webhook cursors (issue 11). A watchdog expects an event matching its pattern every
// so often; it listens here, to every event the engine publishes, as Apply derives them. Its
// deadline is state, and passing it is a change (ExpectationDue) that the holder of the schedules
// lease proposes: an alert due while every server was down is raised when one starts, and raised
// once per episode (until a matching event resolves it), whoever proposes it.
#include "calendar/next_fire.h"
#include "calendar/rfc3339.h"
#include "core/units.h"
#include "engine/engine.h"
#include "engine/engine_internal.h"

namespace rota {

using namespace engine_internal;

namespace {

constexpr int64_t kMicros = 1000000;

// The value of the event's `field` a watchdog compares. `job` matches a job by its own name and,
// for a job a schedule fired (NAME@SLOT), by the schedule's name too.
bool FieldMatches(const EventMatch& match, const Event& e) {
  std::string_view value;
  if (match.field == "job") {
    value = !e.schedule.empty() && e.schedule == match.value && !e.job.empty() ? e.schedule : e.job;
  } else if (match.field == "task") {
    value = e.task;
  } else if (match.field == "pool") {
    value = e.pool;
  } else if (match.field == "host") {
    value = e.host;
  } else if (match.field == "signal") {
    value = e.signal;
  } else if (match.field == "schedule") {
    value = e.schedule;
  } else if (match.field == "reason") {
    value = e.reason;
  }
  return match.Matches(EventTypeName(e.type), value);
}

std::string SinceText(int64_t us) { return FormatUtc(us / kMicros); }

}  // namespace

void Engine::Publish(const Event& event) {
  events_.Publish(event);
  if (expectations_.empty()) return;
  for (auto& [name, x] : expectations_) {
    if (!FieldMatches(x.def->match, event)) continue;
    x.since_us = now_us_;
    if (x.down) {
      x.down = false;
      EmitAlert(EventType::kAlertResolved, name,
                std::string(EventTypeName(event.type)) + " came at " + SinceText(now_us_) + ", down since " +
                    SinceText(x.raised_us));
    }
    UpdateExpectationDue(name, x);
  }
}

void Engine::ApplyWhat(const Change& c, const change::ExpectationSet& what) {
  if (what.def == nullptr) return Drop(c);
  auto [it, created] = expectations_.try_emplace(what.def->name);
  ExpectationState& x = it->second;
  x.def = what.def;
  x.text = what.text;
  if (created) x.since_us = c.ts_us;   // an edit keeps when the last event came
  UpdateExpectationDue(it->first, x);
}

void Engine::ApplyWhat(const Change& c, const change::ExpectationRemoved& what) {
  auto it = expectations_.find(what.name);
  if (it == expectations_.end()) return Drop(c);
  if (it->second.deadline_us != 0) expectation_due_.erase({it->second.deadline_us, what.name});
  const bool down = it->second.down;
  const int64_t raised = it->second.raised_us;
  expectations_.erase(it);
  if (down) EmitAlert(EventType::kAlertResolved, what.name, "watchdog removed, down since " + SinceText(raised));
}

void Engine::ApplyWhat(const Change& c, const change::ExpectationDue& what) {
  auto it = expectations_.find(what.name);
  if (it == expectations_.end()) return Drop(c);
  ExpectationState& x = it->second;
  // Raised already, or an event moved the deadline since this was proposed.
  if (x.down || x.deadline_us == 0 || x.deadline_us != what.deadline_us || what.deadline_us > c.ts_us) return Drop(c);
  x.down = true;
  x.raised_us = c.ts_us;
  ++x.alerts;
  const ExpectationDef& def = *x.def;
  std::string reason = "no " + FormatEventMatch(def.match) + " since " + SinceText(x.since_us) + " (expected ";
  if (def.rule.empty()) {
    reason += "every " + FormatDuration(std::chrono::seconds(def.every));
  } else {
    reason += "after each " + (def.rule.cron.empty() ? def.rule.calendar : def.rule.cron) + " " + def.rule.timezone;
  }
  reason += ", grace " + FormatDuration(std::chrono::seconds(def.grace)) + ")";
  EmitAlert(EventType::kAlertRaised, what.name, reason);
  UpdateExpectationDue(what.name, x);
}

// Late: the event should have come (the interval passed, or a slot of the rule came). Down: late
// by more than the grace. While down there is no deadline: one alert per episode.
void Engine::UpdateExpectationDue(const std::string& name, ExpectationState& x) {
  if (x.deadline_us != 0) expectation_due_.erase({x.deadline_us, name});
  x.deadline_us = 0;
  x.late_us = 0;
  const ExpectationDef& def = *x.def;
  if (def.rule.empty()) {
    x.late_us = x.since_us + def.every * kMicros;
  } else {
    const std::optional<int64_t> slot =
        NextFire(def.rule.spec, *def.rule.zone, x.since_us / kMicros, DstRules{});
    if (!slot) return;
    x.late_us = *slot * kMicros;
  }
  if (x.down) return;
  x.deadline_us = x.late_us + def.grace * kMicros;
  expectation_due_.emplace(x.deadline_us, name);
}

void Engine::EmitAlert(EventType type, const std::string& name, std::string_view reason) {
  Event e = NextEvent(type);
  e.watchdog = name;
  e.reason = reason;
  events_.Publish(e);   // not through Publish: a watchdog does not watch alerts
}

void Engine::ApplyWhat(const Change& c, const change::HookSet& what) {
  if (what.def == nullptr) return Drop(c);
  auto [it, created] = hooks_.try_emplace(what.def->name);
  it->second.def = what.def;
  it->second.text = what.text;
  if (created) it->second.delivered = seq_;   // from now on: a new hook gets no history
}

void Engine::ApplyWhat(const Change& c, const change::HookRemoved& what) {
  if (hooks_.erase(what.name) == 0) Drop(c);
}

void Engine::ApplyWhat(const Change& c, const change::HookDelivered& what) {
  auto it = hooks_.find(what.name);
  if (it == hooks_.end() || what.seq <= it->second.delivered) return Drop(c);
  it->second.delivered = what.seq;
}

}  // namespace rota
