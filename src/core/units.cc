#include "core/units.h"

#include <charconv>
#include <iterator>
#include <optional>

#include "core/quote.h"

namespace rota {
namespace {

struct UnitName {
  std::string_view name;
  int64_t scale;
};

// Largest first: FormatDuration and FormatSize walk them in this order.
constexpr UnitName kDurationUnits[] = {
    {"h", 3'600'000'000}, {"m", 60'000'000}, {"s", 1'000'000}, {"ms", 1'000}, {"us", 1}};
constexpr UnitName kSizeUnits[] = {
    {"T", int64_t{1} << 40}, {"G", int64_t{1} << 30}, {"M", int64_t{1} << 20}, {"K", 1024}};


bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char ToUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

struct Digits {
  size_t length = 0;      // How many characters at the front are digits.
  bool overflow = false;  // They do not fit in int64_t.
  int64_t value = 0;
};

Digits ReadDigits(std::string_view text) {
  Digits d;
  for (; d.length < text.size() && IsDigit(text[d.length]); ++d.length) {
    d.overflow = d.overflow || __builtin_mul_overflow(d.value, 10, &d.value) ||
                 __builtin_add_overflow(d.value, text[d.length] - '0', &d.value);
  }
  return d;
}

// Magnitude as unsigned, so that the most negative value prints too.
uint64_t Magnitude(int64_t v) { return v < 0 ? 0 - static_cast<uint64_t>(v) : v; }

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  auto fail = [text](const std::string& why) {
    return MakeError("invalid_duration", "invalid duration " + Quote(text) + ": " + why);
  };
  if (text.empty()) return fail("empty (write e.g. 90s, 10m, 1h30m, 250ms)");
  if (text[0] == '-') return fail("negative durations are not allowed");
  std::string_view rest = text;
  int64_t total = 0;
  while (!rest.empty()) {
    if (!IsDigit(rest[0])) return fail("expected a number at " + Quote(rest));
    Digits digits = ReadDigits(rest);
    if (digits.overflow) return fail("too large");
    std::string_view number = rest.substr(0, digits.length);
    rest.remove_prefix(digits.length);
    size_t letters = 0;
    while (letters < rest.size() && IsLetter(rest[letters])) ++letters;
    std::string_view unit = rest.substr(0, letters);
    rest.remove_prefix(letters);
    int64_t scale = 0;
    if (unit.empty() && rest.empty() && number.size() == text.size()) {
      scale = 1'000'000;  // A bare integer is seconds, as in most schedulers' time limits.
    } else if (unit.empty() && rest.empty()) {
      return fail("missing unit after " + Quote(number) + " (use h, m, s, ms, us)");
    } else if (unit.empty()) {
      return fail("unexpected " + Quote(rest) + " after " + Quote(number) +
                  " (write whole groups like 1s500ms)");
    }
    for (const UnitName& u : kDurationUnits) {
      if (u.name == unit) scale = u.scale;
    }
    if (scale == 0) return fail("unknown unit " + Quote(unit) + " (use h, m, s, ms, us)");
    int64_t micros = 0;
    if (__builtin_mul_overflow(digits.value, scale, &micros) ||
        __builtin_add_overflow(total, micros, &total)) {
      return fail("too large");
    }
  }
  return Duration(total);
}

Result<Duration> ParseDurationWithDays(std::string_view text) {
  constexpr int64_t kDay = 86'400'000'000;  // in microseconds
  const std::string whole(text);
  int64_t days = 0;
  const size_t d = text.find('d');
  if (d != std::string_view::npos) {
    const std::string_view number = text.substr(0, d);
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), days);
    if (number.empty() || number[0] == '-' || ec != std::errc() || ptr != number.data() + number.size()) {
      return MakeError("invalid_duration", "invalid duration " + Quote(whole) + ": days must be a whole number before 'd' (e.g. 7d, 1d12h)");
    }
    text.remove_prefix(d + 1);
    // "7d5" would read the 5 as seconds: after days every group needs its unit.
    if (text.empty()) text = "0s";
    if (IsDigit(text.back())) {
      return MakeError("invalid_duration", "invalid duration " + Quote(whole) + ": after days every group needs its unit");
    }
  }
  Result<Duration> rest = ParseDuration(text);
  if (!rest.ok()) return rest;
  int64_t micros = 0;
  if (__builtin_mul_overflow(days, kDay, &micros) || __builtin_add_overflow(micros, rest->count(), &micros)) {
    return Duration::max();  // too large either way; the caller says so
  }
  return Duration(micros);
}

std::string FormatDuration(Duration d) {
  if (d.count() == 0) return "0s";
  std::string out = d.count() < 0 ? "-" : "";
  uint64_t rest = Magnitude(d.count());
  for (const UnitName& u : kDurationUnits) {
    uint64_t scale = static_cast<uint64_t>(u.scale);
    if (rest >= scale) out += std::to_string(rest / scale) + std::string(u.name);
    rest %= scale;
  }
  return out;
}

Result<int64_t> ParseSize(std::string_view text) {
  auto fail = [text](const std::string& why) {
    return MakeError("invalid_size", "invalid size " + Quote(text) + ": " + why);
  };
  if (text.empty()) return fail("empty (write e.g. 512M, 4G, 1024)");
  if (text[0] == '-') return fail("negative sizes are not allowed");
  if (!IsDigit(text[0])) return fail("expected a number at " + Quote(text));
  Digits digits = ReadDigits(text);
  if (digits.overflow) return fail("too large");
  std::string_view suffix = text.substr(digits.length);
  std::string_view rest = suffix;
  int64_t scale = 1;
  if (!rest.empty()) {
    for (const UnitName& u : kSizeUnits) {
      if (u.name[0] == ToUpper(rest[0])) scale = u.scale;
    }
    // "i" only makes sense after a unit: "4Gi" and "4GiB" are GiB, "4i" is nothing.
    if (scale != 1) {
      rest.remove_prefix(1);
      if (!rest.empty() && ToUpper(rest[0]) == 'I') rest.remove_prefix(1);
    }
    if (!rest.empty() && ToUpper(rest[0]) == 'B') rest.remove_prefix(1);
  }
  if (!rest.empty()) return fail("unknown unit " + Quote(suffix) + " (use K, M, G or T, as in 4G)");
  int64_t bytes = 0;
  if (__builtin_mul_overflow(digits.value, scale, &bytes)) return fail("too large");
  return bytes;
}

std::string FormatSize(int64_t bytes) {
  std::string sign = bytes < 0 ? "-" : "";
  uint64_t mag = Magnitude(bytes);
  constexpr size_t kUnits = std::size(kSizeUnits);
  for (size_t i = 0; i < kUnits; ++i) {
    uint64_t scale = static_cast<uint64_t>(kSizeUnits[i].scale);
    if (mag < scale) continue;
    std::string name(kSizeUnits[i].name);
    uint64_t whole = mag / scale;
    uint64_t rem = mag % scale;
    if (rem == 0) return sign + std::to_string(whole) + name;
    if (rem * 10 % scale == 0) {
      return sign + std::to_string(whole) + "." + std::to_string(rem * 10 / scale) + name;
    }
    if (i + 1 < kUnits && mag % static_cast<uint64_t>(kSizeUnits[i + 1].scale) == 0) {
      return sign + std::to_string(mag / kSizeUnits[i + 1].scale) +
             std::string(kSizeUnits[i + 1].name);
    }
    // Rounded to one decimal. Below T the whole part is at most 1023, and 1023.96M rounds up
    // into the next unit as "1.0G" rather than "1024.0M".
    uint64_t tenths = whole * 10 + (rem * 10 + scale / 2) / scale;
    if (tenths == 10240 && i > 0) return sign + "1.0" + std::string(kSizeUnits[i - 1].name);
    return sign + std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + name;
  }
  return sign + std::to_string(mag);
}

}  // namespace rota
