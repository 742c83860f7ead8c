#include "calendar/cron_expr.h"

#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "core/did_you_mean.h"

namespace rota {
namespace {

struct Field {
  const char* name;
  int min;
  int max;
  std::array<std::string_view, 13> names;   // names[i] is value min + i ("" = none)
};

constexpr Field kMinute{"minute", 0, 59, {}};
constexpr Field kHour{"hour", 0, 23, {}};
constexpr Field kDay{"day of the month", 1, 31, {}};
constexpr Field kMonth{"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
// 0-7: 7 is Sunday again, as Vixie cron allows.
constexpr Field kWeekday{"weekday", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};

struct Shorthand {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Shorthand, 7> kShorthands = {{{"@yearly", "0 0 1 1 *"},
                                                   {"@annually", "0 0 1 1 *"},
                                                   {"@monthly", "0 0 1 * *"},
                                                   {"@weekly", "0 0 * * 0"},
                                                   {"@daily", "0 0 * * *"},
                                                   {"@midnight", "0 0 * * *"},
                                                   {"@hourly", "0 * * * *"}}};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class CronParser {
 public:
  explicit CronParser(std::string_view whole) : whole_(whole) {}

  Error Fail(const std::string& why) const {
    return MakeError("invalid_cron", "cron '" + std::string(whole_) + "': " + why);
  }

  // A number or a name of `f`.
  Result<int> Value(const Field& f, std::string_view token) {
    if (token.empty()) return Fail(std::string("a ") + f.name + " value is missing");
    if (std::isdigit(static_cast<unsigned char>(token[0]))) {
      int v = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
      if (ec != std::errc() || end != token.data() + token.size()) {
        return Fail(std::string("'") + std::string(token) + "' is not a " + f.name);
      }
      if (v < f.min || v > f.max) {
        return Fail(std::string(f.name) + " " + std::string(token) + " is out of range " + std::to_string(f.min) + "-" +
                    std::to_string(f.max));
      }
      return v;
    }
    const std::string lower = Lower(token);
    std::vector<std::string_view> names;
    for (size_t i = 0; i < f.names.size(); ++i) {
      if (f.names[i].empty()) break;
      if (lower == f.names[i]) return f.min + static_cast<int>(i);
      names.push_back(f.names[i]);
    }
    std::string why = std::string("'") + std::string(token) + "' is not a " + f.name;
    if (std::optional<std::string> near = DidYouMean(lower, names)) why += "; did you mean '" + *near + "'?";
    return Fail(why);
  }

  // One comma-separated part: *, v, a-b, with an optional /step.
  Result<Unit> Part(const Field& f, std::string_view part, std::vector<bool>& set) {
    int step = 1;
    bool stepped = false;
    if (size_t slash = part.find('/'); slash != std::string_view::npos) {
      const std::string_view step_text = part.substr(slash + 1);
      auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() || step < 1) {
        return Fail("the step '" + std::string(step_text) + "' of the " + f.name + " must be a number of 1 or more");
      }
      part = part.substr(0, slash);
      stepped = true;
    }
    int from = f.min, to = f.max;
    if (part != "*") {
      const size_t dash = part.find('-');
      Result<int> a = Value(f, part.substr(0, dash));
      if (!a.ok()) return a.error();
      from = *a;
      to = stepped ? f.max : from;   // "a/n" runs from a to the field's end
      if (dash != std::string_view::npos) {
        Result<int> b = Value(f, part.substr(dash + 1));
        if (!b.ok()) return b.error();
        to = *b;
        if (to < from) {
          return Fail(std::string("the ") + f.name + " range " + std::string(part) + " runs backwards");
        }
      }
    }
    for (int v = from; v <= to; v += step) set[static_cast<size_t>(v - f.min)] = true;
    return Unit{};
  }

  Result<std::vector<bool>> Values(const Field& f, std::string_view text) {
    std::vector<bool> set(static_cast<size_t>(f.max - f.min + 1), false);
    size_t start = 0;
    for (;;) {
      const size_t comma = text.find(',', start);
      const std::string_view part = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (part.empty()) return Fail(std::string("the ") + f.name + " list '" + std::string(text) + "' has an empty entry");
      if (Result<Unit> r = Part(f, part, set); !r.ok()) return r.error();
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return set;
  }

 private:
  std::string_view whole_;
};

std::vector<std::string_view> Fields(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

template <size_t N>
void Assign(std::bitset<N>& bits, const std::vector<bool>& set, int min) {
  for (size_t i = 0; i < set.size(); ++i) {
    if (set[i]) bits.set(i + static_cast<size_t>(min));
  }
}

}  // namespace

Result<CalendarSpec> ParseCron(std::string_view text) {
  CronParser parser(text);
  std::vector<std::string_view> fields = Fields(text);
  if (fields.size() == 1 && fields[0].starts_with('@')) {
    const std::string lower = Lower(fields[0]);
    std::vector<std::string_view> names;
    for (const Shorthand& s : kShorthands) {
      if (lower == s.name) return ParseCron(s.expansion);
      names.push_back(s.name);
    }
    std::string why = "unknown shorthand '" + std::string(fields[0]) + "'";
    if (lower == "@reboot") why = "@reboot has no time: a schedule needs one";
    if (std::optional<std::string> near = DidYouMean(lower, names); near && lower != "@reboot") {
      why += "; did you mean '" + *near + "'?";
    }
    return parser.Fail(why);
  }
  if (fields.size() != 5) {
    std::string why = "a cron expression has 5 fields (minute hour day-of-month month weekday), this one has " +
                      std::to_string(fields.size());
    if (fields.size() == 6) why += "; seconds and years are not cron's: use a calendar event for those";
    return parser.Fail(why);
  }
  CalendarSpec spec;
  const Field* order[] = {&kMinute, &kHour, &kDay, &kMonth, &kWeekday};
  std::vector<bool> sets[5];
  for (size_t i = 0; i < 5; ++i) {
    Result<std::vector<bool>> values = parser.Values(*order[i], fields[i]);
    if (!values.ok()) return values.error();
    sets[i] = std::move(values).value();
  }
  spec.seconds.set(0);
  Assign(spec.minutes, sets[0], kMinute.min);
  Assign(spec.hours, sets[1], kHour.min);
  Assign(spec.days, sets[2], kDay.min);
  Assign(spec.months, sets[3], kMonth.min);
  for (size_t i = 0; i < sets[4].size(); ++i) {
    if (sets[4][i]) spec.weekdays.set(i % 7);   // 7 is Sunday
  }
  spec.day_or_weekday = true;
  spec.days_restricted = !fields[2].starts_with('*');
  spec.weekdays_restricted = !fields[4].starts_with('*');
  return spec;
}

}  // namespace rota
