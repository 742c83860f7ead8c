#include "calendar/rfc3339.h"

#include <cctype>
#include <chrono>
#include <cstdio>

namespace rota {
namespace {

std::string Format(UnixSeconds t, int32_t offset, bool utc) {
  using namespace std::chrono;
  const int64_t local = t + offset;
  const sys_days day = floor<days>(sys_seconds(seconds(local)));
  const year_month_day ymd(day);
  const int64_t rest = local - int64_t{day.time_since_epoch().count()} * 86400;
  char out[64];
  int n = std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(rest / 3600), static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60));
  if (utc) {
    std::snprintf(out + n, sizeof out - static_cast<size_t>(n), "Z");
  } else {
    const int32_t a = offset < 0 ? -offset : offset;
    std::snprintf(out + n, sizeof out - static_cast<size_t>(n), "%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600,
                  a / 60 % 60);
  }
  return out;
}

bool Digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string FormatUtc(UnixSeconds t) { return Format(t, 0, true); }
std::string FormatWithOffset(UnixSeconds t, int32_t offset) { return Format(t, offset, false); }

Result<UnixSeconds> ParseRfc3339(std::string_view text) {
  auto fail = [&] {
    return MakeError("invalid_time", "'" + std::string(text.substr(0, 64)) +
                                         "' is not an RFC 3339 time such as 2026-03-29T01:00:00Z or 2026-03-29T03:00:00+02:00");
  };
  int y, mo, d, h, mi, s;
  if (!Digits(text, 0, 4, y) || text.size() < 19 || text[4] != '-' || !Digits(text, 5, 2, mo) || text[7] != '-' ||
      !Digits(text, 8, 2, d) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !Digits(text, 11, 2, h) ||
      text[13] != ':' || !Digits(text, 14, 2, mi) || text[16] != ':' || !Digits(text, 17, 2, s)) {
    return fail();
  }
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return fail();
  size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
  }
  int32_t offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int oh, om;
    if (!Digits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' || !Digits(text, at + 4, 2, om) ||
        oh > 23 || om > 59) {
      return fail();
    }
    offset = (text[at] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    at += 6;
  } else {
    return fail();
  }
  if (at != text.size()) return fail();
  return int64_t{sys_days(ymd).time_since_epoch().count()} * 86400 + h * 3600 + mi * 60 + std::min(s, 59) - offset;
}

}  // namespace rota
