#include "calendar/calendar_event.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/did_you_mean.h"
#include "core/quote.h"

namespace rota {
namespace {

constexpr std::string_view kCode = "invalid_calendar";

// A piece of the expression and the 1-based column it starts at, so that messages can point at it.
struct Token {
  std::string_view text;
  size_t column = 1;

  Token Sub(size_t pos, size_t count = std::string_view::npos) const {
    return Token{text.substr(pos, count), column + pos};
  }
};

// Reasons only: ParseCalendarEvent puts the quoted expression in front.
Error Refuse(std::string reason) { return MakeError(std::string(kCode), std::move(reason)); }

std::string At(const Token& t) { return Quote(t.text) + " at column " + std::to_string(t.column); }

// Where a value inside a part went wrong: its own column, and the whole part for context.
std::string In(size_t column, const Token& part) {
  return "(at column " + std::to_string(column) + ", in " + Quote(part.text) + ")";
}

// A suggestion is quoted whole: Quote would cut it after 40 characters, and a cut suggestion is no
// use. It is built only from parts that have already parsed, so it holds no control characters.
std::string QuoteSuggestion(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

std::vector<Token> SplitOnSpace(std::string_view text) {
  std::vector<Token> tokens;
  size_t pos = 0;
  while (pos < text.size()) {
    if (IsSpace(text[pos])) {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < text.size() && !IsSpace(text[end])) ++end;
    tokens.push_back(Token{text.substr(pos, end - pos), pos + 1});
    pos = end;
  }
  return tokens;
}

// Names.

// systemd's order: weeks run Monday (0) to Sunday (6). Each name also matches its first 3 letters.
constexpr std::array<std::string_view, 7> kWeekdayNames = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

std::optional<int> WeekdayIndex(std::string_view name) {
  for (int i = 0; i < 7; ++i) {
    if (EqualsIgnoringCase(name, kWeekdayNames[i]) ||
        EqualsIgnoringCase(name, kWeekdayNames[i].substr(0, 3))) {
      return i;
    }
  }
  return std::nullopt;
}

// How systemd prints a weekday: "Mon".
std::string WeekdayAbbreviation(int index) {
  std::string name(kWeekdayNames[index].substr(0, 3));
  name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

// CalendarSpec counts weekdays from Sunday = 0.
int WeekdayBit(int index) { return (index + 1) % 7; }

struct Shorthand {
  std::string_view name;
  std::string_view expansion;
};

constexpr std::array<Shorthand, 10> kShorthands = {{
    {"minutely", "*-*-* *:*:00"},
    {"hourly", "*-*-* *:00:00"},
    {"daily", "*-*-* 00:00:00"},
    {"weekly", "Mon *-*-* 00:00:00"},
    {"monthly", "*-*-01 00:00:00"},
    {"yearly", "*-01-01 00:00:00"},
    {"annually", "*-01-01 00:00:00"},
    {"quarterly", "*-01,04,07,10-01 00:00:00"},
    {"semiannually", "*-01,07-01 00:00:00"},
    {"semi-annually", "*-01,07-01 00:00:00"},
}};

const Shorthand* FindShorthand(std::string_view word) {
  for (const Shorthand& s : kShorthands) {
    if (EqualsIgnoringCase(word, s.name)) return &s;
  }
  return nullptr;
}

// The spelling to suggest for a misspelled weekday or shorthand: the weekday's 3-letter form
// ("Mnday" -> "Mon", "Thurs" -> "Thu"), or the shorthand.
std::optional<std::string> SuggestName(std::string_view word) {
  const std::string lower = Lower(word);
  // A longer abbreviation than systemd's ("Thurs", "Wednes") is a prefix of the full name.
  for (int i = 0; i < 7; ++i) {
    if (lower.size() >= 3 && kWeekdayNames[i].starts_with(lower)) return WeekdayAbbreviation(i);
  }
  std::vector<std::string_view> candidates(kWeekdayNames.begin(), kWeekdayNames.end());
  for (std::string_view name : kWeekdayNames) candidates.push_back(name.substr(0, 3));
  for (const Shorthand& s : kShorthands) candidates.push_back(s.name);
  std::optional<std::string> best = DidYouMean(lower, candidates);
  if (!best) return std::nullopt;
  if (std::optional<int> day = WeekdayIndex(*best)) return WeekdayAbbreviation(*day);
  return best;
}

Error NotAWeekday(const Token& name) {
  std::string reason = At(name) + " is not a weekday";
  if (std::optional<std::string> suggestion = SuggestName(name.text)) {
    return Refuse(reason + "; did you mean " + Quote(*suggestion) + "?");
  }
  return Refuse(reason + " (Mon, Tue, Wed, Thu, Fri, Sat, Sun, or the full names)");
}

// Date and time components.

struct Field {
  std::string_view name;
  int min = 0;
  int max = 0;
  size_t digits = 0;       // Exactly this many digits per value; 0: any number.
  bool from_end = false;   // Days after "~": an open repetition counts down toward the last day.
  bool fractions = false;  // The field where a "." would be a fraction (systemd's seconds).
  bool star_step = true;   // Whether "*/STEP" is accepted.
};

constexpr Field kSecond{.name = "second", .min = 0, .max = 59, .fractions = true};
constexpr Field kMinute{.name = "minute", .min = 0, .max = 59};
constexpr Field kHour{.name = "hour", .min = 0, .max = 23};
constexpr Field kDay{.name = "day", .min = 1, .max = 31};
constexpr Field kDayFromEnd{
    .name = "day counted from the month's end", .min = 1, .max = 31, .from_end = true};
constexpr Field kMonth{.name = "month", .min = 1, .max = 12};
// systemd's limits; PBS stops at 2199 too.
constexpr Field kYear{.name = "year", .min = 1970, .max = 2199, .digits = 4, .star_step = false};

// One comma-separated item: N, A..B, A/STEP or A..B/STEP.
struct Item {
  int64_t first = 0;
  int64_t last = 0;
  bool range = false;
  std::optional<int64_t> step;
};

// Reads a run of digits. Values saturate, so a long run is reported as out of range, not wrapped.
std::optional<int64_t> TakeNumber(std::string_view s, size_t& pos, size_t* digits = nullptr) {
  constexpr int64_t kSaturated = int64_t{1} << 40;
  const size_t begin = pos;
  int64_t value = 0;
  while (pos < s.size() && IsDigit(s[pos])) {
    value = std::min(value * 10 + (s[pos] - '0'), kSaturated);
    ++pos;
  }
  if (pos == begin) return std::nullopt;
  if (digits != nullptr) *digits = pos - begin;
  return value;
}

std::string Range(const Field& f) { return std::to_string(f.min) + ".." + std::to_string(f.max); }

Error Unexpected(const Token& item, const Token& part, const Field& f, size_t pos) {
  const char c = item.text[pos];
  const size_t column = item.column + pos;
  if (c == '.' && f.fractions) {
    return Refuse("fractions of a second are not supported; write whole seconds " +
                  In(column, part));
  }
  if (c == '*') {
    return Refuse("\"*\" must stand alone as the " + std::string(f.name) + " (or as \"*/STEP\") " +
                  In(column, part));
  }
  return Refuse("unexpected " + Quote(item.text.substr(pos, 1)) + " in the " + std::string(f.name) +
                " " + In(column, part));
}

Result<int64_t> TakeValue(const Token& item, const Token& part, const Field& f, size_t& pos) {
  const size_t begin = pos;
  size_t digits = 0;
  std::optional<int64_t> value = TakeNumber(item.text, pos, &digits);
  if (!value) {
    if (pos < item.text.size() && item.text[pos] == '*') return Unexpected(item, part, f, pos);
    std::string found =
        pos < item.text.size() ? "found " + Quote(item.text.substr(pos, 1)) : "found nothing";
    return Refuse("expected a number for the " + std::string(f.name) + ", " + found + " " +
                  In(item.column + pos, part));
  }
  if (f.digits != 0 && digits != f.digits) {
    return Refuse("a " + std::string(f.name) + " needs " + std::to_string(f.digits) +
                  " digits, not " + Quote(item.text.substr(begin, digits)) + " " +
                  In(item.column + begin, part));
  }
  if (*value < f.min || *value > f.max) {
    return Refuse(std::string(f.name) + " " + std::string(item.text.substr(begin, digits)) +
                  " is out of range " + Range(f) + " " + In(item.column + begin, part));
  }
  return *value;
}

// A step of 0 never advances; one past the field's span could only ever yield its start.
Result<int64_t> TakeStep(const Token& item, const Token& part, const Field& f, size_t& pos) {
  const size_t begin = pos;
  std::optional<int64_t> step = TakeNumber(item.text, pos);
  if (!step) return Refuse("expected a step after \"/\" " + In(item.column + begin, part));
  if (*step == 0) return Refuse("a step of 0 never advances " + In(item.column + begin, part));
  const int64_t largest = f.max - f.min;
  if (*step > largest) {
    return Refuse("step " + std::to_string(*step) + " is out of range 1.." +
                  std::to_string(largest) + " for the " + std::string(f.name) + " " +
                  In(item.column + begin, part));
  }
  return *step;
}

Result<Item> ParseItem(const Token& item, const Token& part, const Field& f) {
  std::string_view s = item.text;
  size_t pos = 0;
  Item out;
  Result<int64_t> first = TakeValue(item, part, f, pos);
  if (!first.ok()) return first.error();
  out.first = out.last = *first;
  if (s.substr(pos, 2) == "..") {
    pos += 2;
    Result<int64_t> last = TakeValue(item, part, f, pos);
    if (!last.ok()) return last.error();
    if (*last < *first) {
      return Refuse("the " + std::string(f.name) + " range " + Quote(s.substr(0, pos)) +
                    " runs backwards " + In(item.column, part));
    }
    out.last = *last;
    out.range = true;
  }
  if (pos < s.size() && s[pos] == '/') {
    ++pos;
    Result<int64_t> step = TakeStep(item, part, f, pos);
    if (!step.ok()) return step.error();
    out.step = *step;
  }
  if (pos < s.size()) return Unexpected(item, part, f, pos);
  return out;
}

void Expand(const Item& item, const Field& f, std::vector<bool>& seen) {
  const int64_t step = item.step.value_or(1);
  if (item.range || !item.step) {
    for (int64_t v = item.first; v <= item.last; v += step) seen[v] = true;
  } else if (f.from_end) {
    // systemd 252: "~07/2" is the 7th, 5th, 3rd and last day from the end, toward the month's end.
    for (int64_t v = item.first; v >= f.min; v -= step) seen[v] = true;
  } else {
    for (int64_t v = item.first; v <= f.max; v += step) seen[v] = true;
  }
}

std::vector<int> Collect(const std::vector<bool>& seen) {
  std::vector<int> values;
  for (size_t v = 0; v < seen.size(); ++v) {
    if (seen[v]) values.push_back(static_cast<int>(v));
  }
  return values;
}

// The values one date or time component names, ascending.
Result<std::vector<int>> ParseComponent(const Token& component, const Token& part, const Field& f) {
  std::string_view s = component.text;
  if (s.empty()) {
    return Refuse("the " + std::string(f.name) + " is missing " + In(component.column, part));
  }
  std::vector<bool> seen(static_cast<size_t>(f.max) + 1);
  if (s == "*") {
    for (int v = f.min; v <= f.max; ++v) seen[v] = true;
    return Collect(seen);
  }
  if (s.starts_with("*/")) {
    if (!f.star_step) {
      return Refuse("\"*/STEP\" leaves unclear where counting starts for a " + std::string(f.name) +
                    "; write a start, e.g. \"2025/2\" " + In(component.column, part));
    }
    size_t pos = 2;
    Result<int64_t> step = TakeStep(component, part, f, pos);
    if (!step.ok()) return step.error();
    if (pos < s.size()) return Unexpected(component, part, f, pos);
    Expand(Item{.first = f.min, .last = f.max, .range = true, .step = *step}, f, seen);
    return Collect(seen);
  }
  size_t begin = 0;
  while (true) {
    const size_t comma = std::min(s.find(',', begin), s.size());
    const Token item = component.Sub(begin, comma - begin);
    if (item.text.empty()) {
      return Refuse("an empty item in the " + std::string(f.name) + " list (a stray \",\"?) " +
                    In(item.column, part));
    }
    Result<Item> parsed = ParseItem(item, part, f);
    if (!parsed.ok()) return parsed.error();
    Expand(*parsed, f, seen);
    if (comma == s.size()) break;
    begin = comma + 1;
  }
  return Collect(seen);
}

template <size_t N>
std::bitset<N> ToBits(const std::vector<int>& values) {
  std::bitset<N> bits;
  for (int v : values) bits.set(static_cast<size_t>(v));
  return bits;
}

template <size_t N>
std::bitset<N> AllBits(int min, int max) {
  std::bitset<N> bits;
  for (int v = min; v <= max; ++v) bits.set(static_cast<size_t>(v));
  return bits;
}

// Parts.

Result<Unit> AddWeekdayItem(const Token& item, std::bitset<7>& weekdays) {
  size_t separator = item.text.find("..");
  size_t separator_size = 2;
  if (separator == std::string_view::npos) {
    // systemd still reads "Mon-Fri", for backward compatibility.
    separator = item.text.find('-');
    separator_size = 1;
  }
  if (separator == std::string_view::npos) {
    std::optional<int> day = WeekdayIndex(item.text);
    if (!day) return NotAWeekday(item);
    weekdays.set(WeekdayBit(*day));
    return Unit{};
  }
  const Token first = item.Sub(0, separator);
  const Token last = item.Sub(separator + separator_size);
  if (first.text.empty() || last.text.empty()) {
    return Refuse("the weekday range " + At(item) + " needs a day on both sides");
  }
  std::optional<int> from = WeekdayIndex(first.text);
  if (!from) return NotAWeekday(first);
  std::optional<int> to = WeekdayIndex(last.text);
  if (!to) return NotAWeekday(last);
  if (*to < *from) {
    // systemd refuses rather than wrapping around the weekend; say how to write the wrap.
    std::string tail = *from == 6 ? "Sun" : WeekdayAbbreviation(*from) + "..Sun";
    std::string head = *to == 0 ? "Mon" : "Mon.." + WeekdayAbbreviation(*to);
    return Refuse("the weekday range " + At(item) +
                  " runs backwards (weeks run Mon..Sun); did you mean " +
                  QuoteSuggestion(tail + "," + head) + "?");
  }
  for (int day = *from; day <= *to; ++day) weekdays.set(WeekdayBit(day));
  return Unit{};
}

Result<Unit> ParseWeekdays(const Token& part, CalendarSpec& spec) {
  std::bitset<7> weekdays;
  size_t begin = 0;
  while (true) {
    const size_t comma = std::min(part.text.find(',', begin), part.text.size());
    const Token item = part.Sub(begin, comma - begin);
    if (item.text.empty()) {
      return Refuse("an empty item in the weekday list (a stray \",\"?) " + In(item.column, part));
    }
    Result<Unit> added = AddWeekdayItem(item, weekdays);
    if (!added.ok()) return added.error();
    if (comma == part.text.size()) break;
    begin = comma + 1;
  }
  spec.weekdays = weekdays;
  spec.weekdays_restricted = !weekdays.all();
  return Unit{};
}

// [YEAR-]MONTH-DAY, or [YEAR-]MONTH~DAY with the day counted from the month's end.
Result<Unit> ParseDate(const Token& part, CalendarSpec& spec) {
  std::vector<size_t> separators;
  for (size_t i = 0; i < part.text.size(); ++i) {
    if (part.text[i] == '-' || part.text[i] == '~') separators.push_back(i);
  }
  if (separators.size() > 2) {
    return Refuse("the date " + At(part) +
                  " has more than three parts (expected [YEAR-]MONTH-DAY)");
  }
  if (separators.size() == 2 && part.text[separators[0]] == '~') {
    return Refuse("\"~\" may only stand before the day, not after the year " +
                  In(part.column + separators[0], part));
  }
  const bool from_end = part.text[separators.back()] == '~';
  const size_t month_begin = separators.size() == 2 ? separators[0] + 1 : 0;
  const Token month = part.Sub(month_begin, separators.back() - month_begin);
  const Token day = part.Sub(separators.back() + 1);

  if (separators.size() == 2) {
    const Token year = part.Sub(0, separators[0]);
    if (year.text != "*") {
      Result<std::vector<int>> years = ParseComponent(year, part, kYear);
      if (!years.ok()) return years.error();
      spec.years = *std::move(years);
    }
  }
  Result<std::vector<int>> months = ParseComponent(month, part, kMonth);
  if (!months.ok()) return months.error();
  spec.months = ToBits<13>(*months);

  // "~*" is every day, as systemd reads it.
  if (from_end && day.text != "*") {
    Result<std::vector<int>> days = ParseComponent(day, part, kDayFromEnd);
    if (!days.ok()) return days.error();
    spec.days.reset();
    spec.days_from_end = ToBits<32>(*days);
    spec.days_restricted = true;
    return Unit{};
  }
  Result<std::vector<int>> days = ParseComponent(day, part, kDay);
  if (!days.ok()) return days.error();
  spec.days = ToBits<32>(*days);
  spec.days_restricted = spec.days.count() != 31;
  return Unit{};
}

// HOUR:MINUTE[:SECOND]
Result<Unit> ParseTime(const Token& part, CalendarSpec& spec) {
  std::vector<Token> components;
  size_t begin = 0;
  while (true) {
    const size_t colon = std::min(part.text.find(':', begin), part.text.size());
    components.push_back(part.Sub(begin, colon - begin));
    if (colon == part.text.size()) break;
    begin = colon + 1;
  }
  if (components.size() > 3) {
    return Refuse("the time " + At(part) +
                  " has more than three parts (expected HOUR:MINUTE[:SECOND])");
  }
  Result<std::vector<int>> hours = ParseComponent(components[0], part, kHour);
  if (!hours.ok()) return hours.error();
  Result<std::vector<int>> minutes = ParseComponent(components[1], part, kMinute);
  if (!minutes.ok()) return minutes.error();
  std::vector<int> seconds = {0};
  if (components.size() == 3) {
    Result<std::vector<int>> parsed = ParseComponent(components[2], part, kSecond);
    if (!parsed.ok()) return parsed.error();
    seconds = *std::move(parsed);
  }
  spec.hours = ToBits<24>(*hours);
  spec.minutes = ToBits<60>(*minutes);
  spec.seconds = ToBits<60>(seconds);
  return Unit{};
}

// "8:00, 10:00, 12:00"; past six values only the first three and the last.
template <class Format>
std::string DescribeValues(const std::vector<int>& values, Format format) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values.size() > 6 && i == 3) {
      out += ", ...";
      i = values.size() - 1;
    }
    if (i > 0) out += ", ";
    out += format(values[i]);
  }
  return out;
}

std::string Join(const std::vector<Token>& tokens, size_t replaced, std::string_view replacement) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += ' ';
    out += i == replaced ? replacement : tokens[i].text;
  }
  return out;
}

// A time without ":" ("mon..fri 8..17/2"): PBS and Proxmox VE (proxmox-time, and PVE's older Perl
// parser) read it as minutes of every hour, systemd refuses it, and Proxmox's own guide once
// described "mon..fri 22" as 10 PM. rota refuses it and offers both readings, spelled out.
Error AmbiguousTime(const std::vector<Token>& tokens, size_t index) {
  const Token& bare = tokens[index];
  // "*/STEP" is PBS's; suggest the spelling systemd reads as well.
  const std::string spelled = bare.text.starts_with("*/") ? "0/" + std::string(bare.text.substr(2))
                                                          : std::string(bare.text);
  Result<std::vector<int>> as_hours = ParseComponent(bare, bare, kHour);
  Result<std::vector<int>> as_minutes = ParseComponent(bare, bare, kMinute);
  std::string reason = "a time needs HOUR:MINUTE, and " + At(bare) + " has no \":\"";
  // Every hour is also a minute, so without a minutes reading there is no reading at all.
  if (!as_minutes.ok()) return Refuse(reason + "; read as minutes: " + as_minutes.error().message);
  reason += ". Proxmox Backup Server and Proxmox VE read it as minutes of every hour";
  reason += as_hours.ok() ? ", systemd refuses it, and it is easily meant as hours"
                          : " and systemd refuses it";
  reason += ". Did you mean ";
  if (as_hours.ok()) {
    reason += QuoteSuggestion(Join(tokens, index, spelled + ":00")) + " (at " +
              DescribeValues(*as_hours, [](int h) { return std::to_string(h) + ":00"; }) + ") or ";
  }
  reason +=
      QuoteSuggestion(Join(tokens, index, "*:" + spelled)) + " (every hour at " +
      DescribeValues(*as_minutes,
                     [](int m) { return std::string(m < 10 ? ":0" : ":") + std::to_string(m); }) +
      ", as Proxmox reads it)";
  return Refuse(reason + "?");
}

enum class Part { kWeekdays = 0, kDate = 1, kTime = 2, kBareTime = 3 };

int Rank(Part p) {
  return p == Part::kBareTime ? static_cast<int>(Part::kTime) : static_cast<int>(p);
}

std::string_view PartName(Part p) {
  switch (p) {
    case Part::kWeekdays: return "weekday list";
    case Part::kDate: return "date";
    case Part::kTime:
    case Part::kBareTime: return "time";
  }
  return "part";
}

Result<Part> Classify(const Token& t) {
  if (IsAlpha(t.text[0])) return Part::kWeekdays;
  const bool colon = t.text.find(':') != std::string_view::npos;
  const bool dash = t.text.find_first_of("-~") != std::string_view::npos;
  if (colon && dash) {
    return Refuse(At(t) + " runs a date and a time together; separate them with a space");
  }
  if (colon) return Part::kTime;
  if (dash) return Part::kDate;
  if (t.text.find_first_not_of("0123456789*,./") == std::string_view::npos) return Part::kBareTime;
  if (t.text[0] == '@' && FindShorthand(t.text.substr(1)) != nullptr) {
    return Refuse(At(t) + " is cron's spelling; did you mean " + Quote(t.text.substr(1)) + "?");
  }
  return Refuse(At(t) + " is not a weekday list, a date or a time");
}

// Whether every name in a token split at ",", "." and "-" is a weekday: "fri", "Sat,Sun".
bool LooksLikeWeekdays(std::string_view s) {
  size_t begin = 0;
  bool any = false;
  while (begin < s.size()) {
    size_t end = std::min(s.find_first_of(",.-", begin), s.size());
    if (end > begin) {
      if (!WeekdayIndex(s.substr(begin, end - begin))) return false;
      any = true;
    }
    begin = end + 1;
  }
  return any;
}

// Takes a trailing time zone off `tokens`: "UTC" in any case, or an IANA-style name. Whether the
// zone exists is for the caller to check against the zone database.
Result<std::string> TakeZone(std::vector<Token>& tokens) {
  if (tokens.size() < 2) return std::string();
  const Token& last = tokens.back();
  if (!IsAlpha(last.text[0]) || LooksLikeWeekdays(last.text) ||
      FindShorthand(last.text) != nullptr) {
    return std::string();
  }
  for (char c : last.text) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '/' && c != '_' && c != '-' && c != '+') {
      return Refuse("the time zone " + At(last) +
                    " may hold only letters, digits, \"/\", \"_\", \"-\" and \"+\"");
    }
  }
  std::string zone = EqualsIgnoringCase(last.text, "UTC") ? "UTC" : std::string(last.text);
  tokens.pop_back();
  return zone;
}

// Every field open, at 00:00:00.
CalendarSpec EveryDayAtMidnight() {
  CalendarSpec spec;
  spec.seconds.set(0);
  spec.minutes.set(0);
  spec.hours.set(0);
  spec.days = AllBits<32>(1, 31);
  spec.months = AllBits<13>(1, 12);
  spec.weekdays.set();
  return spec;
}

Result<CalendarSpec> ParseParts(const std::vector<Token>& tokens) {
  std::vector<Part> parts;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (const Shorthand* s = FindShorthand(t.text); s != nullptr && tokens.size() > 1) {
      return Refuse(At(t) + " stands for " + Quote(s->expansion) +
                    " and cannot be combined with other parts (only with a time zone after it)");
    }
    Result<Part> part = Classify(t);
    if (!part.ok()) return part.error();
    if (!parts.empty() && Rank(*part) <= Rank(parts.back())) {
      if (Rank(*part) == Rank(parts.back())) {
        return Refuse("a second " + std::string(PartName(*part)) + ", " + At(t) +
                      "; an expression has at most one weekday list, one date and one time");
      }
      return Refuse("the " + std::string(PartName(*part)) + " " + At(t) + " comes after the " +
                    std::string(PartName(parts.back())) +
                    "; the order is WEEKDAYS [YEAR-]MONTH-DAY HOUR:MINUTE[:SECOND] [TIME ZONE]");
    }
    parts.push_back(*part);
  }
  CalendarSpec spec = EveryDayAtMidnight();
  for (size_t i = 0; i < tokens.size(); ++i) {
    Result<Unit> parsed = Unit{};
    switch (parts[i]) {
      case Part::kWeekdays: parsed = ParseWeekdays(tokens[i], spec); break;
      case Part::kDate: parsed = ParseDate(tokens[i], spec); break;
      case Part::kTime: parsed = ParseTime(tokens[i], spec); break;
      case Part::kBareTime: return AmbiguousTime(tokens, i);
    }
    if (!parsed.ok()) return parsed.error();
  }
  return spec;
}

Result<CalendarSpec> ParseExpression(std::string_view text) {
  std::vector<Token> tokens = SplitOnSpace(text);
  if (tokens.empty()) return Refuse("the expression is empty");
  Result<std::string> zone = TakeZone(tokens);
  if (!zone.ok()) return zone.error();
  const Shorthand* shorthand = tokens.size() == 1 ? FindShorthand(tokens[0].text) : nullptr;
  Result<CalendarSpec> spec =
      ParseParts(shorthand != nullptr ? SplitOnSpace(shorthand->expansion) : tokens);
  if (!spec.ok()) return spec;
  spec->zone = *std::move(zone);
  return spec;
}

}  // namespace

Result<CalendarSpec> ParseCalendarEvent(std::string_view text) {
  Result<CalendarSpec> spec = ParseExpression(text);
  if (!spec.ok()) {
    return MakeError(std::string(kCode),
                     "calendar event " + Quote(text) + ": " + spec.error().message);
  }
  return spec;
}

}  // namespace rota
