// Counting a job's events, for the exactly-once checks of the farm tests.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rota::testing {

// How many times each "task#instance" of job `id` got an event of `type`.
inline std::map<std::string, int> Count(const std::vector<nlohmann::json>& events, uint64_t id,
                                        const std::string& type) {
  std::map<std::string, int> n;
  for (const auto& e : events) {
    if (e.value("job_id", uint64_t{0}) != id || e["type"] != type) continue;
    ++n[e["task"].get<std::string>() + "#" + std::to_string(e["instance"].get<int>())];
  }
  return n;
}

// How many events of `type` job `id` got.
inline int CountType(const std::vector<nlohmann::json>& events, uint64_t id, const std::string& type) {
  int n = 0;
  for (const auto& e : events) n += e.value("job_id", uint64_t{0}) == id && e["type"] == type;
  return n;
}

}  // namespace rota::testing
