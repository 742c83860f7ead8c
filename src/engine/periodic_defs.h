// What a user sets up for time-driven work (issue 11, docs/schedules.md): a periodic schedule, a
// watchdog (an expectation that some event keeps coming) and a webhook. Each is given as a JSON
// object (POST /v1/schedules, /v1/expectations, /v1/hooks), checked here with a message naming the
// field, and kept in the log as its canonical JSON text: decoding the log parses that text again,
// as it does a job's spec.
//
// Parsing loads the time zone from the system's zoneinfo (the one read of a file here), so it
// happens where a request or a log entry is decoded, never inside Engine::Apply.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "calendar/calendar_spec.h"
#include "calendar/due_slots.h"
#include "calendar/time_zone.h"
#include "core/job.h"
#include "core/result.h"

namespace rota {

// What a slot does while the job of an earlier slot is still unfinished.
enum class Overlap {
  kAllow,     // fire anyway: both run
  kForbid,    // skip the slot (schedule.skipped)
  kReplace,   // cancel the unfinished job, then fire
  kQueue,     // hold the slot until the unfinished job ends (at most queue_max held; more are skipped)
};

const char* OverlapName(Overlap overlap);
const char* CatchUpName(CatchUp catch_up);

// An expression (cron or calendar) and its time zone, compiled.
struct TimeRule {
  std::string cron;       // one of these two is set
  std::string calendar;
  std::string timezone = "UTC";
  CalendarSpec spec;
  std::shared_ptr<const TimeZone> zone;
  bool empty() const { return cron.empty() && calendar.empty(); }
};

struct ScheduleDef {
  std::string name;       // [A-Za-z0-9._-]+: the job of a slot is named NAME@SLOT
  TimeRule rule;
  std::string job_text;   // the job's spec (YAML or JSON), as given
  std::shared_ptr<const JobSpec> job;   // validated
  bool enabled = true;
  SlotPolicy policy;      // catch_up, catch_up_max, start_window, jitter, dst_gap, dst_fold
  Overlap overlap = Overlap::kAllow;
  int64_t queue_max = 1;
};

// A watchdog: an event matching `match` must come every `every` (plus `grace`), or after each slot
// of `rule` within `grace`; else an alert is raised, once, until a matching event comes. `match`
// defaults to job.succeeded of the job (or schedule) named like the watchdog.
struct EventMatch {
  std::string type;     // "job.succeeded", or a prefix pattern "job.*"
  std::string field;    // "" or one of job, task, pool, host, signal, schedule, reason
  std::string value;
  bool Matches(std::string_view event_type, std::string_view field_value) const;
};

struct ExpectationDef {
  std::string name;
  int64_t every = 0;    // seconds; 0 with a rule
  int64_t grace = 0;    // seconds
  TimeRule rule;        // empty with `every`
  EventMatch match;
};

// A webhook: events whose type matches one of `events` are POSTed to `url`, signed with `secret`.
struct HookDef {
  std::string name;     // defaults to the url
  std::string url;      // http://host[:port]/path (rota speaks no TLS; put a proxy in front)
  std::vector<std::string> events;   // "alert.*", "job.failed", ...
  std::string secret;
  bool Wants(std::string_view event_type) const;
};

// Error code "invalid_schedule" / "invalid_expectation" / "invalid_hook", the message naming the
// field (and, for an expression, the part of it) that is wrong.
Result<ScheduleDef> ParseScheduleDef(std::string_view json);
Result<ExpectationDef> ParseExpectationDef(std::string_view json);
Result<HookDef> ParseHookDef(std::string_view json);

// The canonical JSON text of each (what the log keeps; every default spelled out).
std::string ScheduleDefJson(const ScheduleDef& def);
std::string ExpectationDefJson(const ExpectationDef& def);
std::string HookDefJson(const HookDef& def);

// Compiles an expression: `cron` or `calendar` (exactly one non-empty) in `timezone` ("" = UTC, or
// the zone a calendar event names). Error code `code` for a missing or doubled expression.
Result<TimeRule> CompileTimeRule(std::string cron, std::string calendar, std::string timezone);

// "job.succeeded:job=nightly" or "job.succeeded"; error code invalid_expectation.
Result<EventMatch> ParseEventMatch(std::string_view text);
std::string FormatEventMatch(const EventMatch& match);

// A name a schedule, watchdog or hook may have: 1-100 of [A-Za-z0-9._-].
bool ValidPeriodicName(std::string_view name);

}  // namespace rota
