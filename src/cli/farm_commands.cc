// The farm-wide client verbs: logs, events, signal, hosts, servers, config get|set.
#include <optional>

#include "cli/client_commands.h"
#include "cli/client_output.h"
#include "cli/client_verb.h"
#include "cli/events_command.h"
#include "core/exit_codes.h"
#include "core/did_you_mean.h"

namespace rota {
namespace {

using nlohmann::json;

struct FarmArgs {
  std::string server, job, task, key, value;
  int attempt = 0;
  uint64_t since = 0;
  bool follow = false, json = false;
};

int Logs(ApiClient& api, const FarmArgs& a) {
  std::optional<TaskRef> ref = ParseTaskRef(a.task);
  if (!ref) {
    return Fail(
        MakeError("usage", "TASK must be TASK, TASK/N or POOL/TASK/N, got \"" + a.task + "\""));
  }
  ApiRequest request;
  request.target = JobPath(a.job) + "/logs?task=" + PercentEncode(ref->task) +
                   "&instance=" + std::to_string(ref->instance);
  if (a.attempt > 0) request.target += "&attempt=" + std::to_string(a.attempt);
  Result<HttpReply> reply = api.Send(request);
  if (!reply.ok()) return Fail(reply.error());
  PrintOut(reply->body);
  return kExitOk;
}

int Events(ApiClient& api, const FarmArgs& a) {
  return StreamEvents(api, EventsOptions{a.follow, a.since, a.json});
}

int Signal(ApiClient& api, const FarmArgs& a) {
  ApiRequest request;
  request.method = "POST";
  request.target = "/v1/signals/" + PercentEncode(a.key);
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  const bool fresh = reply->is_object() && reply->contains("new") && (*reply)["new"] == true;
  PrintOut(fresh ? "posted " + a.key + "\n" : a.key + " was already posted\n");
  return kExitOk;
}

int Hosts(ApiClient& api, const FarmArgs& a) {
  Result<json> reply = api.GetJson("/v1/hosts");
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
  } else {
    PrintOut(FormatHostTable(reply->is_object() ? reply->value("hosts", json::array()) : json(),
                             NowMicros()));
  }
  return kExitOk;
}

int Servers(ApiClient& api, const FarmArgs& a) {
  Result<json> reply = api.GetJson("/v1/servers");
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
  } else {
    PrintOut(FormatServerTable(*reply));
  }
  return kExitOk;
}

int ConfigGet(ApiClient& api, const FarmArgs& a) {
  Result<json> reply = api.GetJson("/v1/config");
  if (!reply.ok()) return Fail(reply.error());
  const json config = reply->is_object() ? reply->value("config", json::object()) : json();
  if (a.key.empty()) {
    PrintOut(a.json ? reply->dump(2) + "\n" : FormatConfig(config));
    return kExitOk;
  }
  if (config.is_object() && config.contains(a.key)) {
    PrintOut((a.json ? config[a.key].dump() : ConfigValueText(config[a.key])) + "\n");
    return kExitOk;
  }
  std::vector<std::string> keys;
  for (const auto& [key, value] : config.items()) keys.push_back(key);
  std::vector<std::string_view> views(keys.begin(), keys.end());
  std::string message = "config key \"" + a.key + "\" is not set";
  if (auto guess = DidYouMean(a.key, views)) message += "; did you mean \"" + *guess + "\"?";
  return Fail(MakeError("not_found", message));
}

int ConfigSet(ApiClient& api, const FarmArgs& a) {
  ApiRequest request;
  request.method = "PUT";
  request.target = "/v1/config";
  request.body = json{{a.key, a.value}}.dump();
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  const json config = reply->is_object() ? reply->value("config", json::object()) : json();
  const bool echoed = config.is_object() && config.contains(a.key);
  PrintOut(a.key + "=" + (echoed ? ConfigValueText(config[a.key]) : a.value) + "\n");
  return kExitOk;
}

CLI::App* AddFarmVerb(CLI::App& parent, VerbTable& verbs, const std::string& name,
                      const std::string& description, const std::string& example,
                      int (*run)(ApiClient&, const FarmArgs&), std::shared_ptr<FarmArgs> a) {
  CLI::App* cmd = AddClientVerb(parent, name, description, example, a->server);
  AddClientRun(verbs, cmd, a, run);
  return cmd;
}

}  // namespace

void AddFarmVerbs(CLI::App& app, VerbTable& verbs) {
  auto logs = std::make_shared<FarmArgs>();
  CLI::App* cmd = AddFarmVerb(app, verbs, "logs", "print the log of one run of a task instance",
                              "  rota logs shot-010 render/3 --attempt 2", Logs, logs);
  cmd->add_option("JOB", logs->job, "job id or name")->required();
  cmd->add_option("TASK", logs->task, "TASK or TASK/N (instance N, default 0)")->required();
  cmd->add_option("--attempt", logs->attempt, "which attempt (default: the latest)")
      ->check(CLI::PositiveNumber);

  auto events = std::make_shared<FarmArgs>();
  cmd = AddFarmVerb(
      app, verbs, "events", "print the server's event stream",
      "  rota events --follow --since 1200 --json | jq -c 'select(.type == \"task.failed\")'",
      Events, events);
  cmd->add_flag("-f,--follow", events->follow, "keep printing new events as they happen");
  cmd->add_option("--since", events->since, "only events after this seq (default: all)");
  cmd->add_flag("--json", events->json, "print each event as one line of JSON");

  auto signal = std::make_shared<FarmArgs>();
  cmd = AddFarmVerb(app, verbs, "signal", "post a signal; tasks that require it may start",
                    "  rota signal hub/ready", Signal, signal);
  cmd->add_option("KEY", signal->key, "signal key, e.g. hub/ready")->required();

  auto hosts = std::make_shared<FarmArgs>();
  cmd = AddFarmVerb(app, verbs, "hosts", "list the agents' hosts and what they are running",
                    "  rota hosts --json", Hosts, hosts);
  cmd->add_flag("--json", hosts->json, "print the server's JSON");

  auto servers = std::make_shared<FarmArgs>();
  cmd = AddFarmVerb(app, verbs, "servers",
                    "list the servers sharing the farm's log, the pools each leases and at which epoch",
                    "  rota servers\n  rota servers --json", Servers, servers);
  cmd->add_flag("--json", servers->json, "print the server's JSON");

  CLI::App* config = app.add_subcommand("config", "read or change the scheduler's configuration");
  config->require_subcommand(1);
  config->footer("Example:\n  rota config set policy fairshare\n  rota config get");
  auto get = std::make_shared<FarmArgs>();
  cmd = AddFarmVerb(*config, verbs, "get", "print every key=value, or one key's value",
                    "  rota config get queues.film.weight", ConfigGet, get);
  cmd->add_option("KEY", get->key, "e.g. policy, queues.film.weight");
  cmd->add_flag("--json", get->json, "print JSON");
  auto set = std::make_shared<FarmArgs>();
  cmd = AddFarmVerb(*config, verbs, "set",
                    "change one key; takes effect on the next scheduling cycle",
                    "  rota config set queues.film.weight 3", ConfigSet, set);
  cmd->add_option("KEY", set->key, "e.g. policy, preemption, queues.film.weight")->required();
  cmd->add_option("VALUE", set->value, "the new value")->required();
  cmd->footer(
      "Keys (docs/scheduling.md explains each):\n"
      "  policy                        fifo | priority | fairshare      (default priority)\n"
      "  mode                          sync | async                     (default sync)\n"
      "  preemption                    off | priority | fairshare       (default off)\n"
      "  fairshare.half_life           a duration, e.g. 0, 10m, 1h      (default 0: no history)\n"
      "  queues.Q.weight               a number > 0                     (default 1)\n"
      "  queues.Q.limits.P.size        cores queue Q is entitled to in pool P\n"
      "  queues.Q.limits.P.burst       cores queue Q may hold in pool P, or none\n"
      "  pools.P.placement             pack | spread                    (default pack)\n"
      "  exclude.queues, exclude.pools comma lists kept off this server's cycles\n"
      "Example:\n  rota config set policy fairshare\n  rota config set queues.film.weight 3");
}

}  // namespace rota
