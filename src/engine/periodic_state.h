// The engine's state of time-driven work (issue 11): schedules, watchdogs and webhook cursors.
// Built by Engine::Apply alone, like the rest, and kept in snapshots; what is due when is derived
// from it (DueChanges), so a restart or a new holder of the schedules lease proposes the same.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "engine/periodic_defs.h"
#include "engine/job_state.h"

namespace rota {

struct ScheduleState {
  std::shared_ptr<const ScheduleDef> def;
  std::string text;            // ScheduleDefJson
  std::string log_dir;
  bool paused = false;         // `rota schedules pause`, or enabled: false
  int64_t anchor = 0;          // unix seconds: slots at or before it are never fired (set/edit time)
  int64_t last_slot = 0;       // the newest slot handled (fired, skipped or missed); never decreases
  std::optional<JobId> job;    // the newest job it fired (overlap looks at it)
  std::deque<int64_t> queued;  // overlap: queue: slots held until that job ends
  uint64_t fired = 0, missed = 0, skipped = 0;
  int64_t last_fired_us = 0;
  int64_t last_success_us = 0;   // when a job of it last succeeded (rota_schedule_last_success)
  int64_t last_failure_us = 0;
  // Derived from the above: when the next slot (with its jitter) is due; nullopt: never (paused,
  // or the expression has no time left).
  std::optional<int64_t> next_due;
};

struct ExpectationState {
  std::shared_ptr<const ExpectationDef> def;
  std::string text;
  int64_t since_us = 0;        // the last matching event (or when it was set)
  bool down = false;           // an alert is raised and not resolved yet
  int64_t raised_us = 0;
  uint64_t alerts = 0;         // episodes so far
  // Derived: when it is late (no event since the slot or `every`) and when it goes down.
  int64_t late_us = 0;
  int64_t deadline_us = 0;     // 0 while down: one alert per episode
};

struct HookState {
  std::shared_ptr<const HookDef> def;
  std::string text;
  uint64_t delivered = 0;      // every wanted event up to this seq reached it
};

}  // namespace rota
