#include "cli/client_output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "core/units.h"

namespace rota {
namespace {

using nlohmann::json;

const json* Field(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string Cores(double cores) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", cores);
  return buf;
}

std::string JoinStrings(const json& list, std::string_view if_empty) {
  std::string out;
  if (list.is_array()) {
    for (const json& item : list) {
      if (!item.is_string()) continue;
      if (!out.empty()) out += ",";
      out += item.get<std::string>();
    }
  }
  return out.empty() ? std::string(if_empty) : out;
}

}  // namespace

std::string JsonString(const json& j, std::string_view key, std::string fallback) {
  const json* f = Field(j, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : fallback;
}

int64_t JsonInt(const json& j, std::string_view key, int64_t fallback) {
  const json* f = Field(j, key);
  if (f == nullptr || !f->is_number()) return fallback;
  return f->is_number_float() ? static_cast<int64_t>(f->get<double>()) : f->get<int64_t>();
}

double JsonNumber(const json& j, std::string_view key, double fallback) {
  const json* f = Field(j, key);
  return f != nullptr && f->is_number() ? f->get<double>() : fallback;
}

std::string FormatAge(int64_t micros) {
  const int64_t s = std::max<int64_t>(0, micros / 1000000);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        std::string_view indent) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (row.size() > width.size()) width.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent);
    bool first = true;
    for (size_t c = 0; c < row.size(); ++c) {
      if (width[c] == 0) continue;
      if (!first) line += "  ";
      first = false;
      line += row[c];
      line.append(width[c] - row[c].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string FormatCounts(const json& counts) {
  std::string out = std::to_string(JsonInt(counts, "succeeded")) + "/" +
                    std::to_string(JsonInt(counts, "total")) + " succeeded";
  for (const char* key : {"running", "ready", "waiting", "failed", "skipped", "cancelled"}) {
    if (int64_t n = JsonInt(counts, key); n != 0) out += ", " + std::to_string(n) + " " + key;
  }
  return out;
}

std::string FormatJobLine(const json& summary) {
  const json* counts = Field(summary, "counts");
  return "job " + std::to_string(JsonInt(summary, "id")) + " " + JsonString(summary, "name") + " " +
         JsonString(summary, "state") + ": " + FormatCounts(counts ? *counts : json());
}

std::string FormatJobTable(const json& jobs, int64_t now_us) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "QUEUE", "PRI", "STATE", "DONE/TOTAL", "RUNNING", "FAILED", "AGE"}};
  if (jobs.is_array()) {
    for (const json& j : jobs) {
      const json* c = Field(j, "counts");
      const json counts = c ? *c : json();
      rows.push_back(
          {std::to_string(JsonInt(j, "id")), JsonString(j, "name"), JsonString(j, "queue"),
           std::to_string(JsonInt(j, "priority")), JsonString(j, "state"),
           std::to_string(JsonInt(counts, "succeeded")) + "/" +
               std::to_string(JsonInt(counts, "total")),
           std::to_string(JsonInt(counts, "running")), std::to_string(JsonInt(counts, "failed")),
           FormatAge(now_us - JsonInt(j, "submitted_us", now_us))});
    }
  }
  return FormatTable(rows);
}

std::string FormatHostTable(const json& hosts, int64_t now_us) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "CORES", "USED", "MEMORY", "GPUS",
                                                 "RUNNING", "POOLS", "TAGS", "LAST-SEEN"}};
  if (hosts.is_array()) {
    for (const json& h : hosts) {
      const json* u = Field(h, "used");
      const json used = u ? *u : json();
      const json* pools = Field(h, "pools");
      const json* tags = Field(h, "tags");
      rows.push_back(
          {JsonString(h, "name"), JsonString(h, "state"), Cores(JsonNumber(h, "cores")),
           Cores(JsonNumber(used, "cores")),
           FormatSize(JsonInt(used, "memory")) + "/" + FormatSize(JsonInt(h, "memory")),
           std::to_string(JsonInt(used, "gpus")) + "/" + std::to_string(JsonInt(h, "gpus")),
           std::to_string(JsonInt(h, "running")), JoinStrings(pools ? *pools : json(), "*"),
           JoinStrings(tags ? *tags : json(), "-"),
           FormatAge(now_us - JsonInt(h, "last_heartbeat_us", now_us))});
    }
  }
  return FormatTable(rows);
}

std::string FormatServerTable(const json& reply) {
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATE", "URL", "LEASES", "LAST-RENEW", "EXCLUDES"}};
  const int64_t now_us = JsonInt(reply, "now_us");
  const json* servers = Field(reply, "servers");
  if (servers != nullptr && servers->is_array()) {
    for (const json& s : *servers) {
      std::string leases;
      if (const json* held = Field(s, "leases"); held != nullptr && held->is_array()) {
        for (const json& l : *held) {
          leases += (leases.empty() ? "" : ",") + JsonString(l, "name") + "@" + std::to_string(JsonInt(l, "epoch"));
        }
      }
      std::string excludes;
      const json* pools = Field(s, "exclude_pools");
      const json* queues = Field(s, "exclude_queues");
      if (pools != nullptr && !pools->empty()) excludes += "pools " + JoinStrings(*pools, "");
      if (queues != nullptr && !queues->empty()) {
        excludes += (excludes.empty() ? "" : "; ") + std::string("queues ") + JoinStrings(*queues, "");
      }
      const json* alive = Field(s, "alive");
      rows.push_back({JsonString(s, "name"), alive != nullptr && *alive == true ? "alive" : "dead",
                      JsonString(s, "url"), leases.empty() ? "-" : leases,
                      FormatAge(now_us - JsonInt(s, "renewed_us", now_us)), excludes.empty() ? "-" : excludes});
    }
  }
  return FormatTable(rows);
}

std::string FormatEventLine(const json& e) {
  std::string line = std::to_string(JsonInt(e, "seq"));
  const int64_t ts = JsonInt(e, "ts_us");
  const std::time_t secs = static_cast<std::time_t>(ts / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char clock[32];
  std::snprintf(clock, sizeof clock, " %02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((ts % 1000000) / 1000));
  line += clock;
  line += " " + JsonString(e, "type", "?");
  if (std::string job = JsonString(e, "job"); !job.empty()) {
    line += " " + job;
  } else if (std::string schedule = JsonString(e, "slot"); !schedule.empty()) {   // missed, skipped
    line += " " + JsonString(e, "schedule") + "@" + schedule;
  }
  if (int64_t count = JsonInt(e, "count"); count > 0) line += " (" + std::to_string(count) + " slots)";
  if (std::string watchdog = JsonString(e, "watchdog"); !watchdog.empty()) line += " " + watchdog;
  if (std::string task = JsonString(e, "task"); !task.empty()) {
    std::string pool = JsonString(e, "pool");
    line += " " + (pool.empty() ? task : pool + "/" + task);
  }
  if (int64_t i = JsonInt(e, "instance", -1); i >= 0) line += " #" + std::to_string(i);
  if (std::string frames = JsonString(e, "frames"); !frames.empty()) line += " frames " + frames;
  if (int64_t a = JsonInt(e, "attempt"); a > 0) line += " attempt " + std::to_string(a);
  if (std::string host = JsonString(e, "host"); !host.empty()) line += " on " + host;
  if (std::string signal = JsonString(e, "signal"); !signal.empty()) line += " " + signal;
  if (std::string key = JsonString(e, "key"); !key.empty()) line += " " + key + "=" + JsonString(e, "value");
  if (const json* code = Field(e, "exit_code"); code && code->is_number_integer()) {
    line += " exit " + std::to_string(code->get<int64_t>());
  }
  if (std::string reason = JsonString(e, "reason"); !reason.empty()) line += ": " + reason;
  return line;
}

std::string ConfigValueText(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string FormatConfig(const json& config) {
  std::string out;
  if (!config.is_object()) return out;
  for (const auto& [key, value] : config.items()) out += key + "=" + ConfigValueText(value) + "\n";
  return out;
}

}  // namespace rota
