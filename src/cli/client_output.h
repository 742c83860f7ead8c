// What the client verbs print for a person, made from the server's JSON (docs/api.md): the jobs
// and hosts tables, `rota show`, one line per event, the status line of `rota wait`. Pure
// functions: the caller passes the clock (`now_us`, microseconds since the epoch) so tests can
// pin ages. Missing or mistyped fields print as empty, never throw. Any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace rota {

// Tolerant field access: `fallback` when `j` is not an object, lacks `key`, or has another type.
std::string JsonString(const nlohmann::json& j, std::string_view key, std::string fallback = "");
int64_t JsonInt(const nlohmann::json& j, std::string_view key, int64_t fallback = 0);
double JsonNumber(const nlohmann::json& j, std::string_view key, double fallback = 0);

// "0s", "59s", "5m", "3h", "2d" (truncated; negative ages are "0s").
std::string FormatAge(int64_t micros);

// Columns aligned with two spaces between them, no trailing blanks; a column that is empty in
// every row is left out. Each line starts with `indent`.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        std::string_view indent = "");

// "17/26 succeeded, 4 running, 2 ready, 3 waiting" (zero counts other than succeeded left out).
std::string FormatCounts(const nlohmann::json& counts);

// "job 42 shot-010 running: 17/26 succeeded, 4 running" for a job summary.
std::string FormatJobLine(const nlohmann::json& summary);

// `rota jobs`: ID NAME QUEUE PRI STATE DONE/TOTAL RUNNING FAILED AGE for an array of summaries.
std::string FormatJobTable(const nlohmann::json& jobs, int64_t now_us);

// `rota hosts`: NAME STATE CORES USED MEMORY GPUS RUNNING POOLS TAGS LAST-SEEN for an array of
// hosts. USED is cores in use; MEMORY and GPUS are "used/total"; POOLS "*" is every pool.
std::string FormatHostTable(const nlohmann::json& hosts, int64_t now_us);

// `rota servers`: NAME STATE URL LEASES LAST-RENEW EXCLUDES for GET /v1/servers. LEASES lists
// what each holds as NAME@EPOCH ("*farm" is the farm-wide timers); LAST-RENEW is measured on the
// database's clock (`now_us` of the reply), so skewed server clocks do not show as late renewals.
std::string FormatServerTable(const nlohmann::json& reply);

// `rota show`: the summary, then each task with its counts and a line per instance that has not
// succeeded (index, frames, status, host, attempt, exit code, why/reason). A task with more than
// kMaxInstanceLines such instances gets one line per (status, why/reason) with the instance
// indices as ranges instead.
inline constexpr size_t kMaxInstanceLines = 20;
std::string FormatJobView(const nlohmann::json& job, int64_t now_us);

// One event of DESIGN section 5 in local time:
// "17 12:00:01.123 task.started shot-010 dr1/render #3 frames 13-16 attempt 1 on node1".
std::string FormatEventLine(const nlohmann::json& event);

// `rota config get`: "key=value" lines, sorted by key.
std::string FormatConfig(const nlohmann::json& config);
// A config value as text: strings as they are, anything else as JSON.
std::string ConfigValueText(const nlohmann::json& value);

}  // namespace rota
