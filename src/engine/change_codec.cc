// The log's encoding of a Change (change.h): version 1, then the kind's index in the variant, the
// time, and the kind's fields in declaration order. A job is kept as its spec text and parsed
// again when read, so the log holds exactly what the user submitted.
#include <type_traits>

#include "core/bytes.h"
#include "core/validate.h"
#include "engine/change.h"
#include "spec/spec_parser.h"

namespace rota {

namespace {

constexpr uint64_t kVersion = 1;

constexpr const char* kKindNames[] = {
    "job_submitted", "cancel_requested", "job_retried", "signal_posted", "config_set",
    "epoch_started", "host_registered",  "host_lost",   "placements",    "run_ended",
    "timeout_due",   "backoff_over",  "jobs_retired",    "hosts_seen",    "lease_granted",
    "schedule_set",  "schedule_removed", "schedule_paused", "schedule_fired", "schedule_missed",
    "expectation_set", "expectation_removed", "expectation_due", "hook_set", "hook_removed",
    "hook_delivered",
};
static_assert(std::size(kKindNames) == std::variant_size_v<decltype(Change::what)>);

void WriteStrings(ByteWriter& w, const std::vector<std::string>& v) {
  w.U64(v.size());
  for (const std::string& s : v) w.Str(s);
}

std::vector<std::string> ReadStrings(ByteReader& r) {
  std::vector<std::string> v(r.Count());
  for (std::string& s : v) s = std::string(r.Str());
  return v;
}

void Write(ByteWriter& w, const change::JobSubmitted& c) {
  w.Str(c.spec_text);
  w.Str(c.log_dir);
  w.Bool(c.teardown);
}
void Write(ByteWriter& w, const change::CancelRequested& c) {
  w.U64(c.job);
  w.Str(c.reason);
}
void Write(ByteWriter& w, const change::JobRetried& c) { w.U64(c.job); }
void Write(ByteWriter& w, const change::SignalPosted& c) { w.Str(c.key); }
void Write(ByteWriter& w, const change::ConfigSet& c) {
  w.U64(c.values.size());
  for (const auto& [key, value] : c.values) {
    w.Str(key);
    w.Str(value);
  }
}
void Write(ByteWriter& w, const change::EpochStarted& c) {
  w.U64(c.epoch);
  w.U64(c.seq_floor);
}
void Write(ByteWriter& w, const change::HostRegistered& c) {
  w.Str(c.info.name);
  w.Double(c.info.total.cores);
  w.I64(c.info.total.memory);
  w.I64(c.info.total.gpus);
  WriteStrings(w, c.info.tags);
  WriteStrings(w, c.info.pools);
}
void Write(ByteWriter& w, const change::HostLost& c) {
  w.Str(c.name);
  w.Str(c.reason);
}
void Write(ByteWriter& w, const change::Placements& c) {
  w.U64(c.placements.size());
  for (const change::Placements::Place& p : c.placements) {
    w.U64(p.job);
    w.U64(p.task);
    w.U64(p.instance);
    w.U64(p.host);
  }
  w.U64(c.preempted.size());
  for (RunId run : c.preempted) w.U64(run);
  w.U64(c.fence.size());
  for (const auto& [name, epoch] : c.fence) {
    w.Str(name);
    w.U64(epoch);
  }
}
void Write(ByteWriter& w, const change::RunEnded& c) {
  w.U64(c.exit.run);
  w.I64(c.exit.exit_code);
  w.I64(c.exit.term_signal);
  w.Bool(c.exit.launch_failed);
  w.Str(c.exit.error);
  w.Bool(c.exit.lost);
  w.U64(c.epoch);
  w.Str(c.host);
}
void Write(ByteWriter& w, const change::TimeoutDue& c) { w.U64(c.run); }
void Write(ByteWriter& w, const change::BackoffOver& c) {
  w.U64(c.job);
  w.U64(c.instance);
}
void Write(ByteWriter& w, const change::JobsRetired& c) {
  w.U64(c.jobs.size());
  for (JobId id : c.jobs) w.U64(id);
}
void Write(ByteWriter& w, const change::HostsSeen& c) { WriteStrings(w, c.hosts); }
void Write(ByteWriter& w, const change::LeaseGranted& c) {
  w.Str(c.name);
  w.Str(c.holder);
  w.U64(c.epoch);
}

void Write(ByteWriter& w, const change::ScheduleSet& c) {
  w.Str(c.text);
  w.Str(c.log_dir);
}
void Write(ByteWriter& w, const change::ScheduleRemoved& c) { w.Str(c.name); }
void Write(ByteWriter& w, const change::SchedulePaused& c) {
  w.Str(c.name);
  w.Bool(c.paused);
}
void Write(ByteWriter& w, const change::ScheduleFired& c) {
  w.Str(c.name);
  w.I64(c.slot);
  w.Bool(c.manual);
}
void Write(ByteWriter& w, const change::ScheduleMissed& c) {
  w.Str(c.name);
  w.I64(c.first);
  w.I64(c.last);
  w.I64(c.count);
  w.Bool(c.more);
}
void Write(ByteWriter& w, const change::ExpectationSet& c) { w.Str(c.text); }
void Write(ByteWriter& w, const change::ExpectationRemoved& c) { w.Str(c.name); }
void Write(ByteWriter& w, const change::ExpectationDue& c) {
  w.Str(c.name);
  w.I64(c.deadline_us);
}
void Write(ByteWriter& w, const change::HookSet& c) { w.Str(c.text); }
void Write(ByteWriter& w, const change::HookRemoved& c) { w.Str(c.name); }
void Write(ByteWriter& w, const change::HookDelivered& c) {
  w.Str(c.name);
  w.U64(c.seq);
}

Error Bad(std::string why) { return MakeError("bad_change", std::move(why)); }

// A definition kept as its JSON text, parsed again (its time zone loaded again) when read.
template <class Def>
Result<std::shared_ptr<const Def>> ReadDef(std::string_view text, Result<Def> (*parse)(std::string_view)) {
  Result<Def> def = parse(text);
  if (!def.ok()) return Bad("a logged definition no longer parses: " + def.error().message);
  return std::make_shared<const Def>(std::move(*def));
}

Result<change::JobSubmitted> ReadJobSubmitted(ByteReader& r) {
  change::JobSubmitted c;
  c.spec_text = std::string(r.Str());
  c.log_dir = std::string(r.Str());
  c.teardown = r.Bool();
  if (!r.ok()) return Bad("truncated job");
  ParsedSpec parsed = ParseServerSpec(c.spec_text, "logged job");
  const std::vector<Error>& problems = parsed.errors;
  if (!problems.empty()) return Bad("a logged job no longer parses: " + problems.front().message);
  c.spec = std::make_shared<const JobSpec>(std::move(parsed.job));
  return c;
}

Result<Change> ReadWhat(ByteReader& r, uint64_t kind, Change& out) {
  switch (kind) {
    case 0: {
      Result<change::JobSubmitted> job = ReadJobSubmitted(r);
      if (!job.ok()) return job.error();
      out.what = std::move(job.value());
      break;
    }
    case 1: {
      change::CancelRequested c;
      c.job = static_cast<JobId>(r.U64());
      c.reason = std::string(r.Str());
      out.what = std::move(c);
      break;
    }
    case 2: out.what = change::JobRetried{static_cast<JobId>(r.U64())}; break;
    case 3: out.what = change::SignalPosted{std::string(r.Str())}; break;
    case 4: {
      change::ConfigSet c;
      for (uint64_t n = r.Count(); n > 0; --n) {
        std::string key(r.Str());
        c.values[key] = std::string(r.Str());
      }
      out.what = std::move(c);
      break;
    }
    case 5: {
      change::EpochStarted c;
      c.epoch = r.U64();
      c.seq_floor = r.U64();
      out.what = c;
      break;
    }
    case 6: {
      change::HostRegistered c;
      c.info.name = std::string(r.Str());
      c.info.total.cores = r.Double();
      c.info.total.memory = r.I64();
      c.info.total.gpus = static_cast<int>(r.I64());
      c.info.tags = ReadStrings(r);
      c.info.pools = ReadStrings(r);
      out.what = std::move(c);
      break;
    }
    case 7: {
      change::HostLost c;
      c.name = std::string(r.Str());
      c.reason = std::string(r.Str());
      out.what = std::move(c);
      break;
    }
    case 8: {
      change::Placements c;
      c.placements.resize(r.Count());
      for (change::Placements::Place& p : c.placements) {
        p.job = static_cast<JobId>(r.U64());
        p.task = static_cast<uint32_t>(r.U64());
        p.instance = static_cast<uint32_t>(r.U64());
        p.host = static_cast<uint32_t>(r.U64());
      }
      c.preempted.resize(r.Count());
      for (RunId& run : c.preempted) run = r.U64();
      if (!r.at_end()) {   // logs written before leases end here
        c.fence.resize(r.Count());
        for (auto& [name, epoch] : c.fence) {
          name = std::string(r.Str());
          epoch = r.U64();
        }
      }
      out.what = std::move(c);
      break;
    }
    case 9: {
      change::RunEnded c;
      c.exit.run = r.U64();
      c.exit.exit_code = static_cast<int>(r.I64());
      c.exit.term_signal = static_cast<int>(r.I64());
      c.exit.launch_failed = r.Bool();
      c.exit.error = std::string(r.Str());
      c.exit.lost = r.Bool();
      c.epoch = r.U64();
      c.host = std::string(r.Str());
      out.what = std::move(c);
      break;
    }
    case 10: out.what = change::TimeoutDue{r.U64()}; break;
    case 11: {
      change::BackoffOver c;
      c.job = static_cast<JobId>(r.U64());
      c.instance = static_cast<uint32_t>(r.U64());
      out.what = c;
      break;
    }
    case 12: {
      change::JobsRetired c;
      c.jobs.resize(r.Count());
      for (JobId& id : c.jobs) id = static_cast<JobId>(r.U64());
      out.what = std::move(c);
      break;
    }
    case 13: out.what = change::HostsSeen{ReadStrings(r)}; break;
    case 14: {
      change::LeaseGranted c;
      c.name = std::string(r.Str());
      c.holder = std::string(r.Str());
      c.epoch = r.U64();
      out.what = std::move(c);
      break;
    }
    case 15: {
      change::ScheduleSet c;
      c.text = std::string(r.Str());
      c.log_dir = std::string(r.Str());
      if (!r.ok()) break;
      Result<std::shared_ptr<const ScheduleDef>> def = ReadDef(c.text, &ParseScheduleDef);
      if (!def.ok()) return def.error();
      c.def = std::move(*def);
      out.what = std::move(c);
      break;
    }
    case 16: out.what = change::ScheduleRemoved{std::string(r.Str())}; break;
    case 17: {
      change::SchedulePaused c;
      c.name = std::string(r.Str());
      c.paused = r.Bool();
      out.what = std::move(c);
      break;
    }
    case 18: {
      change::ScheduleFired c;
      c.name = std::string(r.Str());
      c.slot = r.I64();
      c.manual = r.Bool();
      out.what = std::move(c);
      break;
    }
    case 19: {
      change::ScheduleMissed c;
      c.name = std::string(r.Str());
      c.first = r.I64();
      c.last = r.I64();
      c.count = r.I64();
      c.more = r.Bool();
      out.what = std::move(c);
      break;
    }
    case 20: {
      change::ExpectationSet c;
      c.text = std::string(r.Str());
      if (!r.ok()) break;
      Result<std::shared_ptr<const ExpectationDef>> def = ReadDef(c.text, &ParseExpectationDef);
      if (!def.ok()) return def.error();
      c.def = std::move(*def);
      out.what = std::move(c);
      break;
    }
    case 21: out.what = change::ExpectationRemoved{std::string(r.Str())}; break;
    case 22: {
      change::ExpectationDue c;
      c.name = std::string(r.Str());
      c.deadline_us = r.I64();
      out.what = std::move(c);
      break;
    }
    case 23: {
      change::HookSet c;
      c.text = std::string(r.Str());
      if (!r.ok()) break;
      Result<std::shared_ptr<const HookDef>> def = ReadDef(c.text, &ParseHookDef);
      if (!def.ok()) return def.error();
      c.def = std::move(*def);
      out.what = std::move(c);
      break;
    }
    case 24: out.what = change::HookRemoved{std::string(r.Str())}; break;
    case 25: {
      change::HookDelivered c;
      c.name = std::string(r.Str());
      c.seq = r.U64();
      out.what = std::move(c);
      break;
    }
    default: return Bad("unknown change kind " + std::to_string(kind));
  }
  if (!r.ok()) return Bad(std::string("truncated ") + kKindNames[kind]);
  return std::move(out);
}

}  // namespace

const char* ChangeKindName(const Change& change) { return kKindNames[change.what.index()]; }

std::string EncodeChange(const Change& change) {
  ByteWriter w;
  w.U64(kVersion);
  w.U64(change.what.index());
  w.I64(change.ts_us);
  std::visit([&](const auto& what) { Write(w, what); }, change.what);
  return w.Take();
}

Result<Change> DecodeChange(std::string_view bytes) {
  ByteReader r(bytes);
  const uint64_t version = r.U64();
  if (!r.ok() || version != kVersion) {
    return Bad("change version " + std::to_string(version) + " is not one this rota reads");
  }
  const uint64_t kind = r.U64();
  Change out;
  out.ts_us = r.I64();
  if (!r.ok()) return Bad("truncated change");
  Result<Change> decoded = ReadWhat(r, kind, out);
  if (decoded.ok() && !r.at_end()) return Bad("trailing bytes after a change");
  return decoded;
}

}  // namespace rota
