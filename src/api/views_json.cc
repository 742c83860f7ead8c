#include "api/views_json.h"

namespace rota {

using ordered_json = nlohmann::ordered_json;
using nlohmann::json;

ordered_json SummaryJson(const JobSummary& s) {
  ordered_json j;
  j["id"] = s.id;
  j["name"] = s.name;
  j["queue"] = s.queue;
  j["priority"] = s.priority;
  j["state"] = s.state;
  j["submitted_us"] = s.submitted_us;
  j["finished_us"] = s.finished_us;
  ordered_json counts = ordered_json::object();
  for (const auto& [status, count] : s.counts) counts[status] = count;
  j["counts"] = std::move(counts);
  if (s.retired) j["retired"] = true;
  return j;
}

ordered_json DetailJson(const JobDetail& d) {
  ordered_json j = SummaryJson(d.summary);
  j.erase("retired");   // last, after the tasks
  ordered_json tasks = ordered_json::array();
  for (const TaskView& t : d.tasks) {
    ordered_json task;
    task["name"] = t.name;
    task["pool"] = t.pool;
    task["frames"] = t.frames;
    ordered_json instances = ordered_json::array();
    for (const InstanceView& i : t.instances) {
      ordered_json o;
      o["index"] = i.index;
      if (!i.frames.empty()) o["frames"] = i.frames;
      o["status"] = i.status;
      if (i.attempt > 0) o["attempt"] = i.attempt;
      if (!i.host.empty()) o["host"] = i.host;
      if (i.run != 0) o["run"] = i.run;
      if (i.exit_code) o["exit_code"] = *i.exit_code;
      if (!i.reason.empty()) o["reason"] = i.reason;
      if (!i.why.empty()) o["why"] = i.why;
      instances.push_back(std::move(o));
    }
    task["instances"] = std::move(instances);
    tasks.push_back(std::move(task));
  }
  j["tasks"] = std::move(tasks);
  if (d.summary.retired) j["retired"] = true;
  return j;
}

ordered_json HostJson(const HostView& h) {
  ordered_json j;
  j["name"] = h.name;
  j["state"] = h.alive ? "alive" : "lost";
  j["cores"] = h.cores;
  j["memory"] = h.memory;
  j["gpus"] = h.gpus;
  j["tags"] = h.tags;
  j["pools"] = h.pools;
  j["used"] = {{"cores", h.used_cores}, {"memory", h.used_memory}, {"gpus", h.used_gpus}};
  j["running"] = h.running;
  j["last_heartbeat_us"] = h.last_heartbeat_us;
  return j;
}

ordered_json ServersJson(const LeaseView& view) {
  auto lease_json = [](const LeaseInfo& l) {
    ordered_json j;
    j["name"] = l.name;
    j["holder"] = l.holder;
    j["epoch"] = l.epoch;
    j["expires_us"] = l.expires_us;
    j["expired"] = l.expired;
    return j;
  };
  ordered_json servers = ordered_json::array();
  for (const ServerInfo& s : view.servers) {
    ordered_json j;
    j["name"] = s.name;
    j["url"] = s.url;
    j["alive"] = s.alive;
    j["started_us"] = s.started_us;
    j["renewed_us"] = s.renewed_us;
    j["exclude_pools"] = s.exclude_pools;
    j["exclude_queues"] = s.exclude_queues;
    ordered_json held = ordered_json::array();
    for (const LeaseInfo& l : view.leases) {
      if (l.holder == s.name && !l.expired) held.push_back(lease_json(l));
    }
    j["leases"] = std::move(held);
    servers.push_back(std::move(j));
  }
  ordered_json leases = ordered_json::array();
  for (const LeaseInfo& l : view.leases) leases.push_back(lease_json(l));
  return {{"now_us", view.now_us}, {"servers", std::move(servers)}, {"leases", std::move(leases)}};
}

std::string EncodeArchivedDetail(const JobDetail& job) {
  JobDetail retired = job;
  retired.summary.retired = true;
  return DetailJson(retired).dump();
}

Result<JobDetail> DecodeArchivedDetail(std::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return MakeError("store_corrupt", "an archived job is not a JSON object");
  try {
    JobDetail d;
    JobSummary& s = d.summary;
    s.id = j.at("id").get<uint64_t>();
    s.name = j.at("name").get<std::string>();
    s.queue = j.value("queue", std::string());
    s.priority = j.value("priority", 0);
    s.state = j.at("state").get<std::string>();
    s.submitted_us = j.value("submitted_us", int64_t{0});
    s.finished_us = j.value("finished_us", int64_t{0});
    if (auto counts = j.find("counts"); counts != j.end() && counts->is_object()) {
      // nlohmann::json keeps keys sorted; put them back in the order SummaryOf gives them.
      static constexpr const char* kOrder[] = {"total",     "waiting", "ready",   "running", "backoff",
                                               "succeeded", "failed",  "skipped", "cancelled"};
      for (const char* key : kOrder) {
        if (auto it = counts->find(key); it != counts->end()) s.counts.emplace_back(key, it->get<uint64_t>());
      }
    }
    s.retired = j.value("retired", false);
    for (const json& t : j.value("tasks", json::array())) {
      TaskView& task = d.tasks.emplace_back();
      task.name = t.at("name").get<std::string>();
      task.pool = t.value("pool", std::string());
      task.frames = t.value("frames", std::string());
      for (const json& i : t.value("instances", json::array())) {
        InstanceView& o = task.instances.emplace_back();
        o.index = i.at("index").get<int>();
        o.frames = i.value("frames", std::string());
        o.status = i.value("status", std::string());
        o.attempt = i.value("attempt", 0);
        o.host = i.value("host", std::string());
        o.run = i.value("run", RunId{0});
        if (i.contains("exit_code")) o.exit_code = i.at("exit_code").get<int>();
        o.reason = i.value("reason", std::string());
        o.why = i.value("why", std::string());
      }
    }
    return d;
  } catch (const json::exception& e) {
    return MakeError("store_corrupt", std::string("an archived job cannot be read: ") + e.what());
  }
}

}  // namespace rota
