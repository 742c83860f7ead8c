#include "api/periodic_json.h"

#include "calendar/next_fire.h"
#include "calendar/rfc3339.h"

namespace rota {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr int64_t kMicros = 1000000;

// The definition's canonical JSON, in its own order.
ordered_json DefinitionOf(const std::string& text) { return ordered_json::parse(text, nullptr, false); }

std::string TimeText(int64_t us) { return us == 0 ? std::string() : FormatUtc(us / kMicros); }

void PutTime(ordered_json& out, const char* key, int64_t us) {
  if (us != 0) out[key] = TimeText(us);
}

}  // namespace

ordered_json ScheduleJson(const ScheduleState& s) {
  ordered_json out = DefinitionOf(s.text);
  const ScheduleDef& def = *s.def;
  out["paused"] = s.paused;
  const std::optional<int64_t> next =
      s.paused ? std::nullopt : NextFire(def.rule.spec, *def.rule.zone, std::max(s.last_slot, s.anchor), def.policy.dst);
  if (next) {
    out["next"] = FormatUtc(*next);
    out["next_local"] = FormatWithOffset(*next, def.rule.zone->OffsetAt(*next));
    if (s.next_due && *s.next_due != *next) out["next_due"] = FormatUtc(*s.next_due);   // with its jitter
    const std::string note = DstNote(def.rule.spec, *def.rule.zone, *next);
    if (!note.empty()) out["note"] = note;
  }
  if (s.last_slot != 0) out["last_slot"] = FormatUtc(s.last_slot);
  if (s.job) out["last_job_id"] = uint64_t{*s.job} + 1;
  out["fired"] = s.fired;
  out["missed"] = s.missed;
  out["skipped"] = s.skipped;
  if (!s.queued.empty()) {
    ordered_json queued = ordered_json::array();
    for (int64_t slot : s.queued) queued.push_back(FormatUtc(slot));
    out["queued"] = std::move(queued);
  }
  PutTime(out, "last_fired", s.last_fired_us);
  PutTime(out, "last_success", s.last_success_us);
  PutTime(out, "last_failure", s.last_failure_us);
  return out;
}

const char* ExpectationStatus(const ExpectationState& x, int64_t now_us) {
  if (x.down) return "down";
  return x.late_us != 0 && now_us >= x.late_us ? "late" : "up";
}

ordered_json ExpectationJson(const ExpectationState& x, int64_t now_us) {
  ordered_json out = DefinitionOf(x.text);
  out["status"] = ExpectationStatus(x, now_us);
  PutTime(out, "last_seen", x.since_us);
  PutTime(out, "late_at", x.late_us);
  PutTime(out, "down_at", x.deadline_us);
  PutTime(out, "down_since", x.down ? x.raised_us : 0);
  out["alerts"] = x.alerts;
  return out;
}

ordered_json HookJson(const HookState& h) {
  ordered_json out = DefinitionOf(h.text);
  out["secret"] = "(set; not shown)";
  out["delivered_seq"] = h.delivered;
  return out;
}

}  // namespace rota
