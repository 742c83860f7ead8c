#include "calendar/zoneinfo.h"

#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace rota {
namespace {

// Letters, digits, '_', '-', '+' in '/'-separated parts, none of them "." or "..": a name that
// cannot leave the zoneinfo directory.
bool PlausibleName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') return false;
  size_t part_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      const std::string_view part = name.substr(part_start, i - part_start);
      if (part.empty() || part == "." || part == "..") return false;
      part_start = i + 1;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '+') return false;
  }
  return true;
}

}  // namespace

Result<TimeZone> LoadTimeZone(std::string_view name, std::string_view dir) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return TimeZone::Utc();
  const std::string shown = "time zone '" + std::string(name) + "'";
  if (!PlausibleName(name)) {
    return MakeError("invalid_timezone", shown + " is not an IANA name such as Europe/Berlin or America/New_York");
  }
  std::ifstream in(std::string(dir) + "/" + std::string(name), std::ios::binary);
  if (!in) {
    return MakeError("invalid_timezone", "unknown " + shown + ": not in " + std::string(dir) +
                                             " (IANA names such as Europe/Berlin; the tzdata package)");
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return TimeZone::FromTzif(name, bytes.str());
}

Result<std::shared_ptr<const TimeZone>> SharedTimeZone(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> zones;   // GUARDED_BY(mu)
  {
    std::lock_guard lock(mu);
    if (auto it = zones.find(name); it != zones.end()) return it->second;
  }
  Result<TimeZone> zone = LoadTimeZone(name);
  if (!zone.ok()) return zone.error();
  auto shared = std::make_shared<const TimeZone>(std::move(*zone));
  std::lock_guard lock(mu);
  return zones.emplace(std::string(name), std::move(shared)).first->second;
}

}  // namespace rota
