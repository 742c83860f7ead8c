// Change: one input to the engine's state, as a value (DESIGN section 8). Engine::Apply is the
// only mutator and takes nothing else, so the same ordered list of changes always gives the same
// state, the same ids and the same events: on the live server, on restart (replay of the log) and
// in tests that replay a history twice.
//
// Every change carries its own time: Apply reads no clock. Time-driven changes (a timeout due, a
// backoff over, a host lost) are proposed by whoever owns a clock (Engine::DueChanges) and take
// effect only when applied.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/job.h"
#include "core/result.h"
#include "engine/hosts.h"
#include "core/launcher.h"
#include "engine/job_state.h"
#include "engine/periodic_defs.h"

namespace rota {

namespace change {

// A validated job. `spec` is what Apply installs; `spec_text` is what the log keeps (decoding
// parses it again). A change built in code (tests, `rota run`) may leave the text empty; it then
// cannot be encoded.
struct JobSubmitted {
  std::shared_ptr<const JobSpec> spec;
  std::string spec_text;
  std::string log_dir;
  bool teardown = false;   // a `rota stop` job
};

inline constexpr JobId kAllJobs = ~JobId{0};

// The lease of what belongs to no pool: retiring jobs, declaring silent hosts lost. Not a pool
// name (those cannot start with '*').
inline constexpr const char* kFarmLease = "*farm";

struct CancelRequested {
  JobId job = kAllJobs;    // kAllJobs: every unfinished job (`rota run` on Ctrl-C)
  std::string reason = "job cancelled";
};

struct JobRetried {
  JobId job = 0;
};

struct SignalPosted {
  std::string key;
};

// Settings of `PUT /v1/config`, all or nothing (dropped whole when one of them does not apply).
struct ConfigSet {
  std::map<std::string, std::string> values;
};

// A server (re)started and fences what it places from now on with `epoch` (the log's first change
// sets it, so a replay does not depend on the engine's options). `seq_floor`: event
// seq continues above it (a store moved forward from a version that had no log).
struct EpochStarted {
  uint64_t epoch = 0;
  uint64_t seq_floor = 0;
};

struct HostRegistered {
  HostInfo info;
};

struct HostLost {
  std::string name;
  std::string reason;
};

// One slice of a scheduling result: placements (host = index into the engine's hosts) and
// preemptions. Each is reconciled when applied; a gang stands or falls whole.
struct Placements {
  struct Place {
    JobId job = 0;
    uint32_t task = 0;
    uint32_t instance = 0;   // within the job
    uint32_t host = 0;
  };
  std::vector<Place> placements;
  std::vector<RunId> preempted;
  // Several servers: the leases (pool name, epoch) its proposer held. A placement or preemption
  // in a leased pool stands only if this names the pool at its newest epoch (DESIGN section 8,
  // "fencing twice"). Empty on a server that holds everything (SQLite).
  std::vector<std::pair<std::string, uint64_t>> fence;
};

// A run ended. In server mode the token (run, epoch, host) must match the active run, else the
// change is dropped.
struct RunEnded {
  RunExit exit;
  uint64_t epoch = 0;
  std::string host;
};

struct TimeoutDue {
  RunId run = 0;
};

struct BackoffOver {
  JobId job = 0;
  uint32_t instance = 0;
};

// Finished jobs older than the `retention` setting leave memory (and snapshots); the server
// keeps their record in the store's archive.
struct JobsRetired {
  std::vector<JobId> jobs;
};

// Hosts that called the server that appended this (several servers on one log: each hears only
// the agents that talk to it). Changes no state: the servers take it as a heartbeat of each host,
// so that whichever proposes `host_lost` knows of every host's calls.
struct HostsSeen {
  std::vector<std::string> hosts;
};

// A server took the lease `name` (a pool, or kFarmLease) at `epoch`, higher than any before it:
// from now on only its placements in that pool stand. A grant at an epoch not above the newest
// is dropped.
struct LeaseGranted {
  std::string name;
  std::string holder;
  uint64_t epoch = 0;
};

// --- Time-driven work (issue 11, docs/schedules.md) -------------------------------------------

// The lease of schedules, watchdogs and webhooks: only its holder proposes firings, alerts and
// deliveries (with SQLite, the one server).
inline constexpr const char* kSchedulesLease = "*schedules";

// Creates or replaces a schedule. Replacing re-anchors it: slots up to this change's time are
// not caught up; `last_slot` stays (it never decreases).
struct ScheduleSet {
  std::shared_ptr<const ScheduleDef> def;
  std::string text;      // ScheduleDefJson, what the log keeps
  std::string log_dir;
};
struct ScheduleRemoved {
  std::string name;
};
struct SchedulePaused {
  std::string name;
  bool paused = true;
};
// Slot `slot` (unix seconds) of schedule `name` fires: Apply submits the job NAME@SLOT. Dropped
// unless the slot is newer than every slot the schedule handled (a crash between proposing and
// applying proposes the same slot again). `manual` (`rota schedules trigger`): a slot of its own
// at the change's time, outside the schedule's slots; it does not move `last_slot`.
struct ScheduleFired {
  std::string name;
  int64_t slot = 0;
  bool manual = false;
};
// Slots first..last (count of them; `more`: at least that many) passed without running.
struct ScheduleMissed {
  std::string name;
  int64_t first = 0;
  int64_t last = 0;
  int64_t count = 0;
  bool more = false;
};
struct ExpectationSet {
  std::shared_ptr<const ExpectationDef> def;
  std::string text;
};
struct ExpectationRemoved {
  std::string name;
};
// The watchdog's deadline `deadline_us` passed without a matching event: the alert is raised,
// unless an event came meanwhile (the deadline moved) or it is raised already.
struct ExpectationDue {
  std::string name;
  int64_t deadline_us = 0;
};
struct HookSet {
  std::shared_ptr<const HookDef> def;
  std::string text;
};
struct HookRemoved {
  std::string name;
};
// Every event up to `seq` that hook `name` wants reached it (its outbox cursor; never moves back).
struct HookDelivered {
  std::string name;
  uint64_t seq = 0;
};

}  // namespace change

struct Change {
  int64_t ts_us = 0;
  std::variant<change::JobSubmitted, change::CancelRequested, change::JobRetried,
               change::SignalPosted, change::ConfigSet, change::EpochStarted,
               change::HostRegistered, change::HostLost, change::Placements, change::RunEnded,
               change::TimeoutDue, change::BackoffOver, change::JobsRetired, change::HostsSeen,
               change::LeaseGranted, change::ScheduleSet, change::ScheduleRemoved,
               change::SchedulePaused, change::ScheduleFired, change::ScheduleMissed,
               change::ExpectationSet, change::ExpectationRemoved, change::ExpectationDue,
               change::HookSet, change::HookRemoved, change::HookDelivered>
      what;
};

// "job_submitted" "cancel_requested" ... (the `kind` label of rota_changes_dropped_total).
const char* ChangeKindName(const Change& change);

// The log's bytes for a change: a version byte, the kind, then its fields. REQUIRES: a
// JobSubmitted carries its spec text.
std::string EncodeChange(const Change& change);
// Error "bad_change" when the bytes are not a change this version can read, or a job's spec no
// longer parses.
Result<Change> DecodeChange(std::string_view bytes);

}  // namespace rota
