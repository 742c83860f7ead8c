#include "engine/periodic_defs.h"

#include <nlohmann/json.hpp>

#include "calendar/calendar_event.h"
#include "calendar/cron_expr.h"
#include "calendar/zoneinfo.h"
#include "core/did_you_mean.h"
#include "core/units.h"
#include "core/validate.h"
#include "spec/spec_parser.h"

namespace rota {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMaxQueue = 1000;

// Reads the fields of one JSON object, each at most once, and names what is wrong.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string code, std::vector<std::string> known)
      : object_(object), code_(std::move(code)), known_(std::move(known)) {}

  // An unknown field, with a did-you-mean.
  std::optional<Error> Unknown() const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (std::find(known_.begin(), known_.end(), it.key()) != known_.end()) continue;
      std::string message = "unknown field \"" + it.key() + "\"";
      const std::vector<std::string_view> words(known_.begin(), known_.end());
      if (auto hint = DidYouMean(it.key(), words)) message += "; did you mean \"" + *hint + "\"?";
      return MakeError(code_, message);
    }
    return std::nullopt;
  }
  bool Has(const char* name) const { return object_.contains(name) && !object_[name].is_null(); }

  Result<std::string> String(const char* name, std::string fallback = {}) const {
    if (!Has(name)) return fallback;
    if (!object_[name].is_string()) return Bad(name, "must be a string");
    return object_[name].get<std::string>();
  }
  Result<bool> Bool(const char* name, bool fallback) const {
    if (!Has(name)) return fallback;
    if (!object_[name].is_boolean()) return Bad(name, "must be true or false");
    return object_[name].get<bool>();
  }
  Result<int64_t> Integer(const char* name, int64_t fallback, int64_t min, int64_t max) const {
    if (!Has(name)) return fallback;
    const Json& v = object_[name];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      return Bad(name, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return v.get<int64_t>();
  }
  // A duration ("90s", "5m") or a number of seconds, in whole seconds.
  Result<int64_t> Seconds(const char* name, int64_t fallback) const {
    if (!Has(name)) return fallback;
    const Json& v = object_[name];
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return v.get<int64_t>();
    if (!v.is_string()) return Bad(name, "must be a duration such as \"90s\", \"5m\", \"1h\" or \"1d\"");
    Result<Duration> d = ParseDurationWithDays(v.get<std::string>());
    if (!d.ok()) return Bad(name, d.error().message);
    return std::chrono::duration_cast<std::chrono::seconds>(*d).count();
  }
  Result<std::string> OneOf(const char* name, std::vector<std::string> words, std::string fallback) const {
    Result<std::string> value = String(name, fallback);
    if (!value.ok()) return value;
    if (std::find(words.begin(), words.end(), *value) != words.end()) return value;
    std::string list;
    for (const std::string& w : words) list += (list.empty() ? "" : "|") + w;
    return Bad(name, "is \"" + *value + "\"; it must be one of " + list);
  }
  Error Bad(const char* name, const std::string& what) const {
    return MakeError(code_, std::string("\"") + name + "\" " + what);
  }
  const Json& operator[](const char* name) const { return object_[name]; }

 private:
  const Json& object_;
  std::string code_;
  std::vector<std::string> known_;
};

Result<Json> ParseObject(std::string_view text, const std::string& code, const char* what) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return MakeError(code, std::string("the ") + what + " is not valid JSON");
  if (!json.is_object()) return MakeError(code, std::string("the ") + what + " must be a JSON object");
  return json;
}

Result<std::string> ReadName(const FieldReader& f, const char* what) {
  Result<std::string> name = f.String("name");
  if (!name.ok()) return name;
  if (!ValidPeriodicName(*name)) {
    return f.Bad("name", std::string("of a ") + what + " must be 1 to 100 letters, digits, '.', '_' or '-'" +
                             (name->empty() ? " (it is missing)" : ", not \"" + *name + "\""));
  }
  return name;
}

// The rule of an object with "cron" | "calendar" and "timezone".
Result<TimeRule> ReadRule(const FieldReader& f, const std::string& code) {
  Result<std::string> cron = f.String("cron"), calendar = f.String("calendar"), tz = f.String("timezone");
  if (!cron.ok()) return cron.error();
  if (!calendar.ok()) return calendar.error();
  if (!tz.ok()) return tz.error();
  Result<TimeRule> rule = CompileTimeRule(*cron, *calendar, *tz);
  if (!rule.ok()) return MakeError(code, rule.error().message);
  return rule;
}

void WriteRule(Json& out, const TimeRule& rule) {
  if (!rule.cron.empty()) out["cron"] = rule.cron;
  if (!rule.calendar.empty()) out["calendar"] = rule.calendar;
  out["timezone"] = rule.timezone;
}

std::string DefaultHookName(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  std::string name;
  for (char c : url) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (ok) {
      name.push_back(c);
    } else if (!name.empty() && name.back() != '-') {
      name.push_back('-');
    }
    if (name.size() == 100) break;
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name.empty() ? "hook" : name;
}

}  // namespace

const char* OverlapName(Overlap overlap) {
  switch (overlap) {
    case Overlap::kAllow: return "allow";
    case Overlap::kForbid: return "forbid";
    case Overlap::kReplace: return "replace";
    case Overlap::kQueue: return "queue";
  }
  return "allow";
}

const char* CatchUpName(CatchUp catch_up) {
  switch (catch_up) {
    case CatchUp::kSkip: return "skip";
    case CatchUp::kOnce: return "once";
    case CatchUp::kAll: return "all";
  }
  return "once";
}

bool ValidPeriodicName(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

Result<TimeRule> CompileTimeRule(std::string cron, std::string calendar, std::string timezone) {
  TimeRule rule;
  if (cron.empty() == calendar.empty()) {
    return MakeError("invalid_rule", cron.empty() ? "give one of \"cron\" or \"calendar\""
                                                  : "give one of \"cron\" or \"calendar\", not both");
  }
  Result<CalendarSpec> spec = !cron.empty() ? ParseCron(cron) : ParseCalendarEvent(calendar);
  if (!spec.ok()) return spec.error();
  if (!spec->zone.empty() && !timezone.empty() && timezone != spec->zone) {
    return MakeError("invalid_rule", "the calendar event names its time zone (" + spec->zone + "); \"timezone\": \"" +
                                         timezone + "\" contradicts it: give one of them");
  }
  if (timezone.empty()) timezone = spec->zone.empty() ? "UTC" : spec->zone;
  Result<std::shared_ptr<const TimeZone>> zone = SharedTimeZone(timezone);
  if (!zone.ok()) return zone.error();
  rule.cron = std::move(cron);
  rule.calendar = std::move(calendar);
  rule.timezone = std::move(timezone);
  rule.spec = std::move(*spec);
  rule.zone = std::move(*zone);
  return rule;
}

Result<ScheduleDef> ParseScheduleDef(std::string_view text) {
  const std::string code = "invalid_schedule";
  Result<Json> json = ParseObject(text, code, "schedule");
  if (!json.ok()) return json.error();
  FieldReader f(*json, code,
                {"name", "cron", "calendar", "timezone", "job", "enabled", "catch_up", "catch_up_max",
                 "start_window", "jitter", "overlap", "queue_max", "dst_gap", "dst_fold"});
  if (auto unknown = f.Unknown()) return *unknown;
  ScheduleDef def;
  Result<std::string> name = ReadName(f, "schedule");
  if (!name.ok()) return name.error();
  def.name = *name;
  Result<TimeRule> rule = ReadRule(f, code);
  if (!rule.ok()) return MakeError(code, "schedule " + def.name + ": " + rule.error().message);
  def.rule = std::move(*rule);

  if (!f.Has("job")) return f.Bad("job", "is missing: give the job spec (an object, or YAML text)");
  def.job_text = f["job"].is_string() ? f["job"].get<std::string>() : f["job"].dump();
  if (!f["job"].is_string() && !f["job"].is_object()) return f.Bad("job", "must be a job spec: an object, or YAML text");
  ParsedSpec parsed = ParseServerSpec(def.job_text, "job of schedule " + def.name);
  const std::vector<Error>& problems = parsed.errors;
  if (!problems.empty()) {   // the message starts with "job of schedule NAME:" (or its line)
    std::string message = problems.front().message;
    if (!message.starts_with("job of schedule")) message = "job of schedule " + def.name + ": " + message;
    return MakeError(code, message);
  }
  def.job = std::make_shared<const JobSpec>(std::move(parsed.job));

  Result<bool> enabled = f.Bool("enabled", true);
  Result<std::string> catch_up = f.OneOf("catch_up", {"skip", "once", "all"}, "once");
  Result<int64_t> catch_up_max = f.Integer("catch_up_max", 100, 1, kMaxMissedCounted);
  Result<int64_t> window = f.Seconds("start_window", 0), jitter = f.Seconds("jitter", 0);
  Result<std::string> overlap = f.OneOf("overlap", {"allow", "forbid", "replace", "queue"}, "allow");
  Result<int64_t> queue_max = f.Integer("queue_max", 1, 1, kMaxQueue);
  Result<std::string> gap = f.OneOf("dst_gap", {"run", "skip"}, "run");
  Result<std::string> fold = f.OneOf("dst_fold", {"once", "both"}, "once");
  for (const Result<std::string>* r : {&catch_up, &overlap, &gap, &fold}) {
    if (!r->ok()) return r->error();
  }
  for (const Result<int64_t>* r : {&catch_up_max, &window, &jitter, &queue_max}) {
    if (!r->ok()) return r->error();
  }
  if (!enabled.ok()) return enabled.error();
  def.enabled = *enabled;
  def.policy.catch_up = *catch_up == "skip" ? CatchUp::kSkip : *catch_up == "all" ? CatchUp::kAll : CatchUp::kOnce;
  def.policy.catch_up_max = *catch_up_max;
  def.policy.start_window = *window;
  def.policy.jitter = *jitter;
  def.policy.dst.gap_run = *gap == "run";
  def.policy.dst.fold_both = *fold == "both";
  def.overlap = *overlap == "forbid"    ? Overlap::kForbid
                : *overlap == "replace" ? Overlap::kReplace
                : *overlap == "queue"   ? Overlap::kQueue
                                        : Overlap::kAllow;
  def.queue_max = *queue_max;
  return def;
}

std::string ScheduleDefJson(const ScheduleDef& def) {
  nlohmann::ordered_json out;
  out["name"] = def.name;
  Json rule;
  WriteRule(rule, def.rule);
  for (auto it = rule.begin(); it != rule.end(); ++it) out[it.key()] = it.value();
  out["job"] = def.job_text;
  out["enabled"] = def.enabled;
  out["catch_up"] = CatchUpName(def.policy.catch_up);
  out["catch_up_max"] = def.policy.catch_up_max;
  out["start_window"] = def.policy.start_window;
  out["jitter"] = def.policy.jitter;
  out["overlap"] = OverlapName(def.overlap);
  out["queue_max"] = def.queue_max;
  out["dst_gap"] = def.policy.dst.gap_run ? "run" : "skip";
  out["dst_fold"] = def.policy.dst.fold_both ? "both" : "once";
  return out.dump();
}

bool EventMatch::Matches(std::string_view event_type, std::string_view field_value) const {
  if (type.ends_with(".*")) {
    if (!event_type.starts_with(std::string_view(type).substr(0, type.size() - 1))) return false;
  } else if (type != "*" && event_type != type) {
    return false;
  }
  return field.empty() || field_value == value;
}

Result<EventMatch> ParseEventMatch(std::string_view text) {
  static const std::vector<std::string> kFields = {"job", "task", "pool", "host", "signal", "schedule", "reason"};
  EventMatch match;
  const size_t colon = text.find(':');
  match.type = std::string(text.substr(0, colon));
  auto bad = [&](const std::string& why) {
    return MakeError("invalid_expectation", "match \"" + std::string(text) + "\": " + why +
                                                " (write TYPE or TYPE:FIELD=VALUE, e.g. job.succeeded:job=nightly-backup)");
  };
  if (match.type.empty()) return bad("the event type is missing");
  for (char c : match.type) {
    if (!std::islower(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '*') {
      return bad("\"" + match.type + "\" is not an event type");
    }
  }
  if (colon == std::string_view::npos) return match;
  std::string_view rest = text.substr(colon + 1);
  const size_t eq = rest.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == rest.size()) return bad("after ':' comes FIELD=VALUE");
  match.field = std::string(rest.substr(0, eq));
  match.value = std::string(rest.substr(eq + 1));
  if (std::find(kFields.begin(), kFields.end(), match.field) == kFields.end()) {
    std::string message = "there is no field \"" + match.field + "\" to match";
    const std::vector<std::string_view> words(kFields.begin(), kFields.end());
    if (auto hint = DidYouMean(match.field, words)) message += "; did you mean \"" + *hint + "\"?";
    return bad(message);
  }
  return match;
}

std::string FormatEventMatch(const EventMatch& match) {
  return match.field.empty() ? match.type : match.type + ":" + match.field + "=" + match.value;
}

Result<ExpectationDef> ParseExpectationDef(std::string_view text) {
  const std::string code = "invalid_expectation";
  Result<Json> json = ParseObject(text, code, "expectation");
  if (!json.ok()) return json.error();
  FieldReader f(*json, code, {"name", "every", "grace", "cron", "calendar", "timezone", "match"});
  if (auto unknown = f.Unknown()) return *unknown;
  ExpectationDef def;
  Result<std::string> name = ReadName(f, "watchdog");
  if (!name.ok()) return name.error();
  def.name = *name;
  Result<int64_t> every = f.Seconds("every", 0), grace = f.Seconds("grace", 0);
  if (!every.ok()) return every.error();
  if (!grace.ok()) return grace.error();
  def.every = *every;
  def.grace = *grace;
  const bool timed = f.Has("cron") || f.Has("calendar");
  if (timed == (def.every > 0)) {
    return MakeError(code, "watchdog " + def.name + ": give \"every\" (with \"grace\") or \"cron\"/\"calendar\", one of them");
  }
  if (timed) {
    Result<TimeRule> rule = ReadRule(f, code);
    if (!rule.ok()) return MakeError(code, "watchdog " + def.name + ": " + rule.error().message);
    def.rule = std::move(*rule);
  }
  // Without "match": the job of the watchdog's name succeeds (`rota expect add nightly-backup
  // --every 1d` watches the job, or schedule, nightly-backup).
  Result<std::string> match = f.String("match", "job.succeeded:job=" + def.name);
  if (!match.ok()) return match.error();
  Result<EventMatch> parsed = ParseEventMatch(*match);
  if (!parsed.ok()) return parsed.error();
  def.match = std::move(*parsed);
  return def;
}

std::string ExpectationDefJson(const ExpectationDef& def) {
  nlohmann::ordered_json out;
  out["name"] = def.name;
  if (def.rule.empty()) {
    out["every"] = def.every;
  } else {
    Json rule;
    WriteRule(rule, def.rule);
    for (auto it = rule.begin(); it != rule.end(); ++it) out[it.key()] = it.value();
  }
  out["grace"] = def.grace;
  out["match"] = FormatEventMatch(def.match);
  return out.dump();
}

bool HookDef::Wants(std::string_view event_type) const {
  for (const std::string& pattern : events) {
    EventMatch match{pattern, {}, {}};
    if (match.Matches(event_type, {})) return true;
  }
  return false;
}

Result<HookDef> ParseHookDef(std::string_view text) {
  const std::string code = "invalid_hook";
  Result<Json> json = ParseObject(text, code, "hook");
  if (!json.ok()) return json.error();
  FieldReader f(*json, code, {"name", "url", "events", "secret"});
  if (auto unknown = f.Unknown()) return *unknown;
  HookDef def;
  Result<std::string> url = f.String("url"), secret = f.String("secret");
  if (!url.ok()) return url.error();
  if (!secret.ok()) return secret.error();
  if (!url->starts_with("http://") || url->size() <= 7) {
    return f.Bad("url", "must start with http:// (rota sends no TLS itself; put a proxy in front for https)");
  }
  def.url = *url;
  def.secret = *secret;
  if (def.secret.empty()) return f.Bad("secret", "is missing: the key the signature is made with");
  def.name = f.Has("name") ? std::string() : DefaultHookName(def.url);
  if (f.Has("name")) {
    Result<std::string> name = ReadName(f, "hook");
    if (!name.ok()) return name.error();
    def.name = *name;
  }
  if (!f.Has("events") || !f["events"].is_array() || f["events"].empty()) {
    return f.Bad("events", "must be a list of event types such as [\"alert.*\", \"job.failed\"]");
  }
  for (const Json& e : f["events"]) {
    if (!e.is_string()) return f.Bad("events", "must be a list of strings");
    Result<EventMatch> match = ParseEventMatch(e.get<std::string>());
    if (!match.ok() || !match->field.empty()) return f.Bad("events", "has \"" + e.get<std::string>() + "\", which is not an event type");
    def.events.push_back(e.get<std::string>());
  }
  return def;
}

std::string HookDefJson(const HookDef& def) {
  nlohmann::ordered_json out;
  out["name"] = def.name;
  out["url"] = def.url;
  out["events"] = def.events;
  out["secret"] = def.secret;
  return out.dump();
}

}  // namespace rota
