#include "cli/server_verbs.h"

#include <fstream>
#include <memory>
#include <sstream>

#include "agent/agent_main.h"
#include "api/server_main.h"
#include "cli/client_api.h"
#include "core/exit_codes.h"
#include "core/names.h"
#include "core/quote.h"
#include "core/units.h"
#include "spec/config_file.h"

namespace rota {
namespace {

struct ServerArgs {
  ServerOptions options;
  std::string heartbeat_timeout = "30s";
  std::string max_body = "16M";
  std::string snapshot_interval = "5m";
  std::string lease_ttl = "5s";
};

struct AgentArgs {
  AgentOptions options;
  std::string server;
  double cores = 0;
  std::string memory;
  int gpus = 0;
};

int UsageError(const std::string& flag, const Error& error) {
  return Fail(MakeError("usage", flag + ": " + error.message));
}

// Settings of the --config file that have a flag: the flag, when given, wins.
int ApplyConfigFile(ServerArgs& a, const CLI::App& cmd) {
  if (a.options.config_file.empty()) return 0;
  std::ifstream in(a.options.config_file, std::ios::binary);
  if (!in) return Fail(MakeError("usage", "--config: cannot read " + a.options.config_file));
  std::stringstream text;
  text << in.rdbuf();
  Result<std::map<std::string, std::string>> parsed = ParseConfigFile(text.str(), a.options.config_file);
  if (!parsed.ok()) return Fail(MakeError("usage", parsed.error().message));
  struct Setting {
    const char* key;
    const char* flag;
    std::string* target;
  };
  const Setting settings[] = {{"listen", "--listen", &a.options.listen},
                              {"db", "--db", &a.options.db},
                              {"store", "--store", &a.options.store},
                              {"log_dir", "--log-dir", &a.options.log_dir},
                              {"heartbeat_timeout", "--heartbeat-timeout", &a.heartbeat_timeout},
                              {"max_body", "--max-body", &a.max_body},
                              {"snapshot_interval", "--snapshot-interval", &a.snapshot_interval},
                              {"name", "--name", &a.options.name},
                              {"advertise", "--advertise", &a.options.advertise},
                              {"lease_ttl", "--lease-ttl", &a.lease_ttl}};
  for (auto& [key, value] : *parsed) {
    bool is_flag = false;
    for (const Setting& s : settings) {
      if (key != s.key) continue;
      is_flag = true;
      if (cmd.count(s.flag) == 0) *s.target = value;
    }
    if (!is_flag) a.options.config[key] = value;
  }
  return 0;
}

int StartServer(ServerArgs& a, const CLI::App& cmd) {
  if (int failed = ApplyConfigFile(a, cmd); failed != 0) return failed;
  if (cmd.count("--db") > 0 && !a.options.store.empty()) {
    return UsageError("--store", MakeError("usage", "give --db FILE or --store URL, not both"));
  }
  Result<Duration> heartbeat = ParseDuration(a.heartbeat_timeout);
  if (!heartbeat.ok()) return UsageError("--heartbeat-timeout", heartbeat.error());
  if (heartbeat->count() <= 0) {
    return UsageError("--heartbeat-timeout", MakeError("usage", "must be more than 0s"));
  }
  a.options.heartbeat_timeout = std::chrono::ceil<std::chrono::milliseconds>(*heartbeat);
  Result<int64_t> max_body = ParseSize(a.max_body);
  if (!max_body.ok()) return UsageError("--max-body", max_body.error());
  if (*max_body <= 0) return UsageError("--max-body", MakeError("usage", "must be more than 0"));
  a.options.max_body_bytes = static_cast<size_t>(*max_body);
  Result<Duration> interval = ParseDuration(a.snapshot_interval);
  if (!interval.ok()) return UsageError("--snapshot-interval", interval.error());
  a.options.snapshots.every = std::chrono::ceil<std::chrono::milliseconds>(*interval);
  Result<Duration> ttl = ParseDuration(a.lease_ttl);
  if (!ttl.ok()) return UsageError("--lease-ttl", ttl.error());
  if (*ttl < std::chrono::seconds(1)) {
    return UsageError("--lease-ttl", MakeError("usage", "must be 1s or more (leases are renewed every second)"));
  }
  a.options.leases.ttl = std::chrono::ceil<std::chrono::milliseconds>(*ttl);
  for (const auto* names : {&a.options.exclude_pools, &a.options.exclude_queues}) {
    for (const std::string& name : *names) {
      if (!IsValidName(name)) {
        return UsageError(names == &a.options.exclude_pools ? "--exclude-pools" : "--exclude-queues",
                          MakeError("usage", Quote(name) + " is not a pool or queue name"));
      }
    }
  }
  return RunServer(a.options);
}

int StartAgent(AgentArgs& a, const CLI::App& cmd) {
  Result<std::vector<ServerUrl>> servers = ResolveServer(a.server);
  if (!servers.ok()) return Fail(servers.error());
  a.options.server = ServerListText(*servers);
  if (cmd.count("--cores") > 0) a.options.cores = a.cores;
  if (cmd.count("--gpus") > 0) a.options.gpus = a.gpus;
  if (cmd.count("--memory") > 0) {
    Result<int64_t> memory = ParseSize(a.memory);
    if (!memory.ok()) return UsageError("--memory", memory.error());
    if (*memory <= 0) return UsageError("--memory", MakeError("usage", "must be more than 0"));
    a.options.memory = *memory;
  }
  return RunAgent(a.options);
}

void AddServer(CLI::App& app, VerbTable& verbs) {
  auto a = std::make_shared<ServerArgs>();
  ServerOptions& o = a->options;
  CLI::App* cmd = app.add_subcommand(
      "server",
      "run the scheduler daemon: durable job state and the HTTP API agents and clients use");
  cmd->add_option("--listen", o.listen, "address to serve on, HOST:PORT")->capture_default_str();
  cmd->add_option("--db", o.db, "SQLite database file")->capture_default_str();
  cmd->add_option("--store", o.store,
                  "the store instead: postgres://USER@HOST:PORT/DB (several servers may share it) or "
                  "sqlite:FILE");
  cmd->add_option("--config", o.config_file, "YAML or JSON file with scheduler config keys");
  cmd->add_option("--log-dir", o.log_dir, "where run logs are kept (default: <db>.logs)");
  cmd->add_option("--heartbeat-timeout", a->heartbeat_timeout,
                  "an agent silent this long is lost and its runs are retried")
      ->capture_default_str();
  cmd->add_option("--max-body", a->max_body, "largest request body accepted")
      ->capture_default_str();
  cmd->add_option("--snapshot-every", o.snapshots.every_changes,
                  "write a snapshot of the state after this many changes (0: never by count)")
      ->capture_default_str();
  cmd->add_option("--snapshot-interval", a->snapshot_interval,
                  "and at least this often while anything changes (0s: never by time); a restart "
                  "reads the latest snapshot and the log after it")
      ->capture_default_str();
  cmd->add_option("--name", o.name,
                  "this server's name among several on one PostgreSQL (default: its HOST:PORT)");
  cmd->add_option("--advertise", o.advertise, "the URL others show for it (default: http://HOST:PORT)");
  cmd->add_option("--exclude-pools", o.exclude_pools, "pools this server never places in, comma-separated")
      ->delimiter(',');
  cmd->add_option("--exclude-queues", o.exclude_queues, "queues this server never places, comma-separated")
      ->delimiter(',');
  cmd->add_option("--lease-ttl", a->lease_ttl,
                  "several servers: a pool's lease not renewed this long goes to another server")
      ->capture_default_str();
  cmd->add_flag("!--no-lease-lock", o.lease_lock,
                "several servers: hold no advisory lock in PostgreSQL, so that the others take this "
                "server's pools only --lease-ttl after it dies (with the lock: at once)");
  cmd->add_flag("-q,--quiet", o.quiet, "log only warnings and errors");
  cmd->footer(
      "Examples:\n  rota server --listen 0.0.0.0:7070 --db /var/lib/rota/rota.db\n"
      "  rota server --listen 0.0.0.0:7070 --store postgres://rota@db1:5432/rota --log-dir /shared/logs\n"
      "Stops cleanly on SIGINT/SIGTERM. Exit codes: 2 bad flags or config, 3 the address or the\n"
      "database cannot be opened.");
  verbs.Add(cmd, [a, cmd] { return StartServer(*a, *cmd); });
}

void AddAgent(CLI::App& app, VerbTable& verbs) {
  auto a = std::make_shared<AgentArgs>();
  AgentOptions& o = a->options;
  CLI::App* cmd = app.add_subcommand(
      "agent", "run the worker daemon: take work from the server and run it on this host");
  cmd->add_option("--server", a->server,
                  "server URL, or URL,URL,... for several servers on one farm: the agent moves to the "
                  "next when one is down (default: $ROTA_SERVER, else http://127.0.0.1:7070)");
  cmd->add_option("--name", o.name, "host name to register as (default: the host name)");
  cmd->add_option("--pools", o.pools, "serve only these pools, comma-separated (default: all)")
      ->delimiter(',');
  cmd->add_option("--cores", a->cores, "cores to offer (default: online CPUs)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--memory", a->memory, "memory to offer, e.g. 16G (default: MemTotal)");
  cmd->add_option("--gpus", a->gpus, "GPUs to offer (default: detected)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--tags", o.tags, "tags tasks may require, comma-separated")->delimiter(',');
  cmd->add_option("--work-dir", o.work_dir, "logs and the record of runs in flight")
      ->capture_default_str();
  cmd->add_flag("--no-exec", o.no_exec,
                "benchmarks only: report every run as succeeded without starting it");
  cmd->add_flag("-q,--quiet", o.quiet, "log only warnings and errors");
  cmd->footer(
      "Example:\n  rota agent --server http://farm:7070 --pools render,sim --memory 64G --tags "
      "linux\n"
      "Stops on SIGINT/SIGTERM, killing what it runs. Exit codes: 2 bad flags, 3 the server "
      "cannot\n"
      "be reached at start.");
  verbs.Add(cmd, [a, cmd] { return StartAgent(*a, *cmd); });
}

}  // namespace

void AddServerVerbs(CLI::App& app, VerbTable& verbs) {
  AddServer(app, verbs);
  AddAgent(app, verbs);
}

}  // namespace rota
