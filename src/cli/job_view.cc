// FormatJobView (client_output.h): `rota show`, whose point is saying why instances are pending.
#include <algorithm>
#include <map>
#include <tuple>

#include "cli/client_output.h"
#include "core/frame_set.h"

namespace rota {
namespace {

using nlohmann::json;

// The order statuses are counted and grouped in: what needs attention first.
constexpr const char* kStatusOrder[] = {"succeeded", "running", "backoff", "ready",
                                        "waiting",   "failed",  "skipped", "cancelled"};
constexpr size_t kMaxRangeText = 60;

size_t StatusRank(const std::string& status) {
  const auto* end = std::end(kStatusOrder);
  return static_cast<size_t>(std::find(std::begin(kStatusOrder), end, status) -
                             std::begin(kStatusOrder));
}

// why (waiting/ready/backoff) or reason (failed/skipped...), whichever the instance has.
std::string Explanation(const json& instance) {
  std::string why = JsonString(instance, "why");
  return why.empty() ? JsonString(instance, "reason") : why;
}

// "20 instances: 17 succeeded, 1 running, 2 waiting"
std::string TaskCounts(const json& instances) {
  std::map<std::pair<size_t, std::string>, int> counts;
  size_t total = 0;
  if (instances.is_array()) {
    for (const json& i : instances) {
      std::string status = JsonString(i, "status", "?");
      ++counts[{StatusRank(status), status}];
      ++total;
    }
  }
  std::string out = std::to_string(total) + (total == 1 ? " instance" : " instances");
  const char* sep = ": ";
  for (const auto& [key, n] : counts) {
    out += sep + std::to_string(n) + " " + key.second;
    sep = ", ";
  }
  return out;
}

// "#7  81-96  failed  on node2, attempt 3: exit code 1" — the host, attempt and exit code, then
// the why/reason (which replaces "exit N" when the instance has one).
std::vector<std::string> InstanceRow(const json& i) {
  std::string detail;
  auto add = [&](const std::string& part) { detail += (detail.empty() ? "" : ", ") + part; };
  if (std::string host = JsonString(i, "host"); !host.empty()) add("on " + host);
  if (int64_t attempt = JsonInt(i, "attempt"); attempt > 0)
    add("attempt " + std::to_string(attempt));
  const std::string explanation = Explanation(i);
  if (explanation.empty() && i.contains("exit_code") && i["exit_code"].is_number_integer()) {
    add("exit " + std::to_string(i["exit_code"].get<int64_t>()));
  }
  if (!explanation.empty()) detail += (detail.empty() ? "" : ": ") + explanation;
  return {"#" + std::to_string(JsonInt(i, "index")), JsonString(i, "frames"),
          JsonString(i, "status", "?"), detail};
}

// "#0-99,205,300-310" cut at a comma once it passes kMaxRangeText characters.
std::string RangeText(std::vector<Frame> indices) {
  std::sort(indices.begin(), indices.end());
  std::string text = FormatFrames(indices);
  if (text.size() > kMaxRangeText) {
    size_t cut = text.rfind(',', kMaxRangeText);
    text =
        (cut == std::string::npos ? text.substr(0, kMaxRangeText) : text.substr(0, cut)) + ",...";
  }
  return "#" + text;
}

std::string GroupedRows(const std::vector<const json*>& open) {
  // (rank, status, explanation) -> indices; groups ordered by status, then by first index.
  std::map<std::tuple<size_t, std::string, std::string>, std::vector<Frame>> groups;
  for (const json* i : open) {
    std::string status = JsonString(*i, "status", "?");
    groups[{StatusRank(status), status, Explanation(*i)}].push_back(
        static_cast<Frame>(JsonInt(*i, "index")));
  }
  std::vector<std::pair<std::tuple<size_t, Frame>, std::vector<std::string>>> rows;
  for (const auto& [key, indices] : groups) {
    const auto& [rank, status, text] = key;
    const size_t n = indices.size();
    rows.push_back({{rank, *std::min_element(indices.begin(), indices.end())},
                    {status, std::to_string(n) + (n == 1 ? " instance" : " instances"),
                     RangeText(indices), text}});
  }
  std::sort(rows.begin(), rows.end());
  std::vector<std::vector<std::string>> table;
  for (auto& row : rows) table.push_back(std::move(row.second));
  return FormatTable(table, "  ");
}

std::string TaskView(const json& task) {
  const json empty = json::array();
  const json& instances = task.contains("instances") ? task["instances"] : empty;
  std::string out = "task " + JsonString(task, "name") + "  pool " + JsonString(task, "pool");
  if (std::string frames = JsonString(task, "frames"); !frames.empty()) {
    out += "  frames " + frames;
  }
  out += "  " + TaskCounts(instances) + "\n";
  std::vector<const json*> open;
  if (instances.is_array()) {
    for (const json& i : instances) {
      if (JsonString(i, "status") != "succeeded") open.push_back(&i);
    }
  }
  if (open.size() > kMaxInstanceLines) return out + GroupedRows(open);
  std::vector<std::vector<std::string>> rows;
  for (const json* i : open) rows.push_back(InstanceRow(*i));
  return out + FormatTable(rows, "  ");
}

}  // namespace

std::string FormatJobView(const json& job, int64_t now_us) {
  std::string out = "job " + std::to_string(JsonInt(job, "id")) + " " + JsonString(job, "name") +
                    "  queue " + JsonString(job, "queue") + "  priority " +
                    std::to_string(JsonInt(job, "priority")) + "  " + JsonString(job, "state") +
                    "  submitted " + FormatAge(now_us - JsonInt(job, "submitted_us", now_us)) +
                    " ago";
  if (int64_t finished = JsonInt(job, "finished_us"); finished > 0) {
    out += ", finished " + FormatAge(now_us - finished) + " ago";
  }
  out += "\n" + FormatCounts(job.contains("counts") ? job["counts"] : json()) + "\n";
  if (job.contains("tasks") && job["tasks"].is_array()) {
    for (const json& task : job["tasks"]) out += "\n" + TaskView(task);
  }
  return out;
}

}  // namespace rota
