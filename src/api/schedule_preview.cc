#include "api/schedule_preview.h"

#include <nlohmann/json.hpp>

#include <charconv>

#include "calendar/calendar_event.h"
#include "calendar/cron_expr.h"
#include "calendar/next_fire.h"
#include "calendar/rfc3339.h"
#include "calendar/zoneinfo.h"

namespace rota {
namespace {

constexpr int kMaxPreview = 1000;

Error BadParam(const std::string& message) { return MakeError("bad_request", message); }

const std::string* Param(const std::map<std::string, std::string>& query, const char* name) {
  auto it = query.find(name);
  return it == query.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

Result<std::string> PreviewSchedule(const std::map<std::string, std::string>& query, UnixSeconds now) {
  const std::string* cron = Param(query, "cron");
  const std::string* calendar = Param(query, "calendar");
  if ((cron == nullptr) == (calendar == nullptr)) {
    return BadParam("give one of the query parameters cron=EXPR or calendar=EXPR");
  }
  Result<CalendarSpec> spec = cron != nullptr ? ParseCron(*cron) : ParseCalendarEvent(*calendar);
  if (!spec.ok()) return spec.error();

  std::string zone_name = spec->zone.empty() ? "UTC" : spec->zone;
  if (const std::string* tz = Param(query, "timezone")) {
    if (!spec->zone.empty() && *tz != spec->zone) {
      return BadParam("the calendar event names its time zone (" + spec->zone + "); timezone=" + *tz +
                      " contradicts it: give one of them");
    }
    zone_name = *tz;
  }
  Result<TimeZone> zone = LoadTimeZone(zone_name);
  if (!zone.ok()) return zone.error();

  int n = 5;
  if (const std::string* text = Param(query, "n")) {
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > kMaxPreview) {
      return BadParam("query parameter n=" + *text + " must be a whole number from 1 to " + std::to_string(kMaxPreview));
    }
  }
  UnixSeconds from = now;
  if (const std::string* text = Param(query, "from")) {
    Result<UnixSeconds> t = ParseRfc3339(*text);
    if (!t.ok()) return BadParam("query parameter from: " + t.error().message);
    from = *t;
  }
  DstRules rules;
  if (const std::string* gap = Param(query, "dst_gap")) {
    if (*gap != "run" && *gap != "skip") return BadParam("query parameter dst_gap=" + *gap + " must be run or skip");
    rules.gap_run = *gap == "run";
  }
  if (const std::string* fold = Param(query, "dst_fold")) {
    if (*fold != "once" && *fold != "both") return BadParam("query parameter dst_fold=" + *fold + " must be once or both");
    rules.fold_both = *fold == "both";
  }

  nlohmann::ordered_json next = nlohmann::ordered_json::array(), local = nlohmann::ordered_json::array(),
                         notes = nlohmann::ordered_json::array();
  for (UnixSeconds t : NextFires(*spec, *zone, from, n, rules)) {
    next.push_back(FormatUtc(t));
    local.push_back(FormatWithOffset(t, zone->OffsetAt(t)));
    notes.push_back(DstNote(*spec, *zone, t));
  }
  nlohmann::ordered_json answer = {{"timezone", zone->name()}, {"next", std::move(next)}, {"local", std::move(local)},
                                   {"notes", std::move(notes)}};
  return answer.dump();
}

}  // namespace rota
