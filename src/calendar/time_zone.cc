#include "calendar/time_zone.h"

#include <algorithm>
#include <array>
#include <span>
#include <chrono>
#include <cctype>
#include <optional>

namespace rota {
namespace {

constexpr int kLastYear = 2200;   // rules are expanded up to here; schedules refuse later years
constexpr int64_t kDay = 86400;

Error ZoneError(std::string_view name, const std::string& why) {
  return MakeError("invalid_timezone", "time zone " + std::string(name) + ": " + why);
}

UnixSeconds DaysToSeconds(std::chrono::sys_days d) { return int64_t{d.time_since_epoch().count()} * kDay; }

// ---- POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3") ---------------------------------------------

// When in a year a rule switches: Mm.w.d (the d-th weekday of week w of month m, w = 5 the last),
// Jn (day n of 1..365, never counting Feb 29) or n (day n of 0..365), at `time` local seconds.
struct RuleDate {
  char form = 'M';
  int month = 0, week = 0, weekday = 0, day = 0;
  int32_t time = 2 * 3600;
};

struct PosixRule {
  int32_t std_offset = 0;   // east positive
  bool has_dst = false;
  int32_t dst_offset = 0;
  RuleDate start, end;
};

class RuleScanner {
 public:
  explicit RuleScanner(std::string_view s) : s_(s) {}
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // A zone abbreviation: 3+ letters, or <...> (may hold digits and signs).
  bool Name() {
    if (Take('<')) {
      while (!AtEnd() && Peek() != '>') ++pos_;
      return Take('>');
    }
    const size_t start = pos_;
    while (!AtEnd() && std::isalpha(static_cast<unsigned char>(Peek()))) ++pos_;
    return pos_ - start >= 3;
  }
  std::optional<int> Number(int max) {
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) return std::nullopt;
    int v = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) {
      v = v * 10 + (s_[pos_++] - '0');
      if (v > max) return std::nullopt;
    }
    return v;
  }
  // [+-]hh[:mm[:ss]] in seconds, hours up to 167 (TZif version 3 allows -167..167 for times).
  std::optional<int32_t> Duration() {
    int sign = 1;
    if (Take('-')) {
      sign = -1;
    } else {
      Take('+');
    }
    std::optional<int> h = Number(167);
    if (!h) return std::nullopt;
    int32_t total = *h * 3600;
    if (Take(':')) {
      std::optional<int> m = Number(59);
      if (!m) return std::nullopt;
      total += *m * 60;
      if (Take(':')) {
        std::optional<int> s = Number(59);
        if (!s) return std::nullopt;
        total += *s;
      }
    }
    return sign * total;
  }
  std::optional<RuleDate> Date() {
    RuleDate d;
    if (Take('M')) {
      std::optional<int> m = Number(12), w, wd;
      if (!m || *m < 1 || !Take('.') || !(w = Number(5)) || *w < 1 || !Take('.') || !(wd = Number(6))) {
        return std::nullopt;
      }
      d.month = *m;
      d.week = *w;
      d.weekday = *wd;
    } else {
      d.form = Take('J') ? 'J' : 'n';
      std::optional<int> n = Number(365);
      if (!n || (d.form == 'J' && *n < 1)) return std::nullopt;
      d.day = *n;
    }
    if (Take('/')) {
      std::optional<int32_t> t = Duration();
      if (!t) return std::nullopt;
      d.time = *t;
    }
    return d;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<PosixRule> ParsePosixRule(std::string_view text) {
  RuleScanner in(text);
  PosixRule rule;
  if (!in.Name()) return std::nullopt;
  std::optional<int32_t> std_off = in.Duration();
  if (!std_off) return std::nullopt;
  rule.std_offset = -*std_off;   // POSIX counts west of Greenwich as positive
  if (in.AtEnd()) return rule;
  if (!in.Name()) return std::nullopt;
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (in.Peek() != ',' && !in.AtEnd()) {
    std::optional<int32_t> dst_off = in.Duration();
    if (!dst_off) return std::nullopt;
    rule.dst_offset = -*dst_off;
  }
  // Without rules POSIX leaves the dates to the implementation; TZif footers always give them.
  std::optional<RuleDate> start, end;
  if (!in.Take(',') || !(start = in.Date()) || !in.Take(',') || !(end = in.Date()) || !in.AtEnd()) {
    return std::nullopt;
  }
  rule.start = *start;
  rule.end = *end;
  return rule;
}

// The local seconds (of the offset in effect before it) at which `d` switches in `year`.
LocalSeconds SwitchInYear(const RuleDate& d, int year) {
  using namespace std::chrono;
  sys_days day;
  if (d.form == 'M') {
    const year_month ym = std::chrono::year(year) / month(static_cast<unsigned>(d.month));
    const weekday wd(static_cast<unsigned>(d.weekday));
    if (d.week == 5) {
      day = sys_days(ym / wd[last]);
    } else {
      day = sys_days(ym / wd[static_cast<unsigned>(d.week)]);
    }
  } else {
    const sys_days jan1 = sys_days(std::chrono::year(year) / January / 1);
    int n = d.day;   // 'n': 0-based, Feb 29 counted
    if (d.form == 'J') {
      n = d.day - 1;   // 1-based, Feb 29 never counted
      if (std::chrono::year(year).is_leap() && d.day >= 60) ++n;
    }
    day = jan1 + days(n);
  }
  return DaysToSeconds(day) + d.time;
}

// ---- TZif ------------------------------------------------------------------------------------

class Bytes {
 public:
  explicit Bytes(std::string_view b) : b_(b) {}
  bool Has(size_t n) const { return b_.size() - pos_ >= n; }
  size_t pos() const { return pos_; }
  void Skip(size_t n) { pos_ += n; }
  int64_t Int(size_t width) {   // big-endian, two's complement, 4 or 8 bytes
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_ + i]);
    pos_ += width;
    if (width == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    return static_cast<int64_t>(v);
  }
  uint8_t Byte() { return static_cast<uint8_t>(b_[pos_++]); }
  std::string_view Rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

struct Counts {
  int64_t isut, isstd, leap, time, type, chars;
};

std::optional<Counts> Header(Bytes& in, char& version) {
  if (!in.Has(44) || in.Rest().substr(0, 4) != "TZif") return std::nullopt;
  in.Skip(4);
  version = static_cast<char>(in.Byte());
  in.Skip(15);
  Counts c{in.Int(4), in.Int(4), in.Int(4), in.Int(4), in.Int(4), in.Int(4)};
  if (c.isut < 0 || c.isstd < 0 || c.leap < 0 || c.time < 0 || c.type < 1 || c.chars < 0 || c.type > 256) {
    return std::nullopt;
  }
  return c;
}

size_t BlockSize(const Counts& c, size_t time_width) {
  return static_cast<size_t>(c.time) * time_width + static_cast<size_t>(c.time) + static_cast<size_t>(c.type) * 6 +
         static_cast<size_t>(c.chars) + static_cast<size_t>(c.leap) * (time_width + 4) +
         static_cast<size_t>(c.isstd) + static_cast<size_t>(c.isut);
}

}  // namespace

TimeZone TimeZone::Utc() {
  TimeZone z;
  z.name_ = "UTC";
  return z;
}

Result<TimeZone> TimeZone::FromPosixRule(std::string_view name, std::string_view text) {
  std::optional<PosixRule> rule = ParsePosixRule(text);
  if (!rule) return ZoneError(name, "cannot read the rule '" + std::string(text) + "'");
  TimeZone z;
  z.name_ = std::string(name);
  z.initial_offset_ = rule->std_offset;
  if (!rule->has_dst) return z;
  for (int year = 1970; year <= kLastYear; ++year) {
    // The start happens in standard time, the end in daylight time.
    z.transitions_.push_back({SwitchInYear(rule->start, year) - rule->std_offset, rule->dst_offset});
    z.transitions_.push_back({SwitchInYear(rule->end, year) - rule->dst_offset, rule->std_offset});
  }
  std::sort(z.transitions_.begin(), z.transitions_.end(),
            [](const Transition& a, const Transition& b) { return a.at < b.at; });
  // Southern rules start the year in daylight time.
  if (!z.transitions_.empty() && z.transitions_.front().offset_after == rule->std_offset) {
    z.initial_offset_ = rule->dst_offset;
  }
  return z;
}

Result<TimeZone> TimeZone::FromTzif(std::string_view name, std::string_view bytes) {
  Bytes in(bytes);
  char version = 0;
  std::optional<Counts> counts = Header(in, version);
  if (!counts) return ZoneError(name, "not a TZif file");
  size_t width = 4;
  if (version != '\0') {   // version 2+: skip the 32-bit block, read the 64-bit one and the footer
    if (!in.Has(BlockSize(*counts, 4))) return ZoneError(name, "the TZif file is cut short");
    in.Skip(BlockSize(*counts, 4));
    counts = Header(in, version);
    if (!counts) return ZoneError(name, "the TZif file has no second header");
    width = 8;
  }
  if (!in.Has(BlockSize(*counts, width))) return ZoneError(name, "the TZif file is cut short");
  std::vector<int64_t> at(static_cast<size_t>(counts->time));
  for (int64_t& t : at) t = in.Int(width);
  std::vector<uint8_t> type_of(static_cast<size_t>(counts->time));
  for (uint8_t& i : type_of) i = in.Byte();
  std::vector<int32_t> offsets(static_cast<size_t>(counts->type));
  for (int32_t& o : offsets) {
    o = static_cast<int32_t>(in.Int(4));
    in.Skip(2);   // isdst, abbreviation index
  }
  in.Skip(static_cast<size_t>(counts->chars) + static_cast<size_t>(counts->leap) * (width + 4) +
          static_cast<size_t>(counts->isstd) + static_cast<size_t>(counts->isut));

  TimeZone z;
  z.name_ = std::string(name);
  z.initial_offset_ = offsets[0];
  for (size_t i = 0; i < at.size(); ++i) {
    if (type_of[i] >= offsets.size()) return ZoneError(name, "a transition names a type the file lacks");
    if (!z.transitions_.empty() && at[i] <= z.transitions_.back().at) return ZoneError(name, "transitions out of order");
    z.transitions_.push_back({at[i], offsets[type_of[i]]});
  }
  // The footer's rule carries the zone past its last listed transition.
  std::string_view rest = in.Rest();
  if (width == 8 && rest.size() >= 2 && rest.front() == '\n') {
    const size_t end = rest.find('\n', 1);
    const std::string_view footer = rest.substr(1, end == std::string_view::npos ? 0 : end - 1);
    if (!footer.empty()) {
      Result<TimeZone> rule = FromPosixRule(name, footer);
      if (!rule.ok()) return rule.error();
      const UnixSeconds last = z.transitions_.empty() ? INT64_MIN : z.transitions_.back().at;
      if (z.transitions_.empty()) z.initial_offset_ = rule->initial_offset_;
      for (const Transition& t : rule->transitions_) {
        if (t.at > last) z.transitions_.push_back(t);
      }
      if (rule->transitions_.empty() && !z.transitions_.empty() && z.transitions_.back().offset_after != rule->initial_offset_) {
        z.transitions_.push_back({z.transitions_.back().at + 1, rule->initial_offset_});
      }
    }
  }
  return z;
}

int32_t TimeZone::OffsetAt(UnixSeconds t) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t,
                             [](UnixSeconds v, const Transition& tr) { return v < tr.at; });
  return it == transitions_.begin() ? initial_offset_ : std::prev(it)->offset_after;
}

bool TimeZone::ChangesAfter(UnixSeconds t) const {
  return !transitions_.empty() && transitions_.back().at > t;
}

bool TimeZone::SteadyBetween(UnixSeconds from, UnixSeconds to) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), from,
                             [](UnixSeconds v, const Transition& tr) { return v < tr.at; });
  return it == transitions_.end() || it->at > to;
}

LocalTime TimeZone::FromLocal(LocalSeconds local) const {
  // The offsets that could apply: those in effect within two days either side (no zone moves
  // its clock by more than a day, nor twice within a few hours).
  // Fixed arrays: NextFire asks this for every candidate time, and a heap allocation each time
  // was most of its cost. Four days hold a handful of transitions at most (kMaxNear guards it).
  constexpr size_t kMaxNear = 16;
  std::array<int32_t, kMaxNear> candidates;
  size_t n_candidates = 0;
  candidates[n_candidates++] = OffsetAt(local - 2 * kDay);
  auto first = std::lower_bound(transitions_.begin(), transitions_.end(), local - 2 * kDay,
                                [](const Transition& tr, UnixSeconds v) { return tr.at < v; });
  for (auto it = first; it != transitions_.end() && it->at <= local + 2 * kDay && n_candidates < kMaxNear; ++it) {
    candidates[n_candidates++] = it->offset_after;
  }
  std::array<UnixSeconds, kMaxNear> found;
  size_t n_found = 0;
  for (size_t i = 0; i < n_candidates; ++i) {
    const UnixSeconds u = local - candidates[i];
    if (OffsetAt(u) == candidates[i] && std::find(found.begin(), found.begin() + n_found, u) == found.begin() + n_found) {
      found[n_found++] = u;
    }
  }
  std::sort(found.begin(), found.begin() + n_found);
  const std::span<const UnixSeconds> instants(found.data(), n_found);
  LocalTime out;
  if (instants.size() == 1) {
    out.first = instants[0];
  } else if (instants.size() >= 2) {
    out.kind = LocalTime::Kind::kFold;
    out.first = instants[0];
    out.second = instants[1];
  } else {
    // In a gap: it ends at the transition that jumped over `local`.
    out.kind = LocalTime::Kind::kGap;
    for (auto it = first; it != transitions_.end() && it->at <= local + 2 * kDay; ++it) {
      const int32_t before = it == transitions_.begin() ? initial_offset_ : std::prev(it)->offset_after;
      if (it->at + before <= local && local < it->at + it->offset_after) {
        out.first = it->at;
        break;
      }
    }
  }
  return out;
}

}  // namespace rota
