#include "cli/client_commands.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/client_api.h"
#include "cli/client_output.h"
#include "cli/client_verb.h"
#include "cli/events_command.h"
#include "core/exit_codes.h"
#include "cli/wait_command.h"

namespace rota {
namespace {

using nlohmann::json;

// ---- submit ---------------------------------------------------------------------------------

struct SubmitArgs {
  std::string server, path;
  bool wait = false, json = false;
};

// The spec's text: the file at `path`, or standard input for "-".
Result<std::string> ReadSpec(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  if (std::filesystem::is_directory(path)) {
    return MakeError("usage",
                     path + " is a directory; give the spec file (e.g. " + path + "/rota.yaml)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("usage", "cannot read " + path + ": " + std::strerror(errno));
  text << in.rdbuf();
  return text.str();
}

int Submit(ApiClient& api, const SubmitArgs& a) {
  Result<std::string> text = ReadSpec(a.path);
  if (!text.ok()) return Fail(text.error());
  ApiRequest request;
  request.method = "POST";
  request.target = "/v1/jobs?source=" + PercentEncode(a.path == "-" ? "stdin" : a.path);
  request.body = std::move(*text);
  const bool is_json = a.path.size() >= 5 && a.path.compare(a.path.size() - 5, 5, ".json") == 0;
  request.content_type = is_json ? "application/json" : "application/yaml";
  request.repeatable = false;   // twice would be two jobs
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  const std::string id = std::to_string(JsonInt(*reply, "id"));
  PrintOut(a.json ? reply->dump() + "\n" : id + "\n");
  std::fflush(stdout);
  if (!a.wait) return kExitOk;
  WaitOptions wait;
  wait.job = id;
  wait.out = stderr;  // stdout stays the id alone
  return WaitForJob(api, wait);
}

void AddSubmit(CLI::App& app, VerbTable& verbs) {
  auto a = std::make_shared<SubmitArgs>();
  CLI::App* cmd =
      AddClientVerb(app, "submit", "submit a workflow to the server; prints the new job id",
                    "  id=$(rota submit shot.yaml) && rota wait \"$id\"\n"
                    "  rota submit shot.yaml --wait   # exit 0 if every task succeeded\n"
                    "Exit codes: 0 submitted (with --wait: succeeded), 1 the job failed,\n"
                    "2 invalid spec, 3 server unreachable.",
                    a->server);
  cmd->add_option("SPEC", a->path, "workflow spec, YAML or JSON; - reads standard input")
      ->required();
  cmd->add_flag("--wait", a->wait, "wait until the job is done; exit 0 only if it succeeded");
  cmd->add_flag("--json", a->json, "print the server's reply ({\"id\", \"name\"}) as JSON");
  AddClientRun(verbs, cmd, a, Submit);
}

// ---- jobs, show, cancel, wait ---------------------------------------------------------------

struct JobArgs {
  std::string server, job, state, queue, until = "done", timeout;
  bool json = false;
  bool all = false;   // jobs: the archive's too
};

int Jobs(ApiClient& api, const JobArgs& a) {
  std::string query;
  if (!a.state.empty()) query += "&state=" + PercentEncode(a.state);
  if (a.all) query += "&all=1";
  if (!a.queue.empty()) query += "&queue=" + PercentEncode(a.queue);
  if (!query.empty()) query[0] = '?';
  Result<json> reply = api.GetJson("/v1/jobs" + query);
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
  } else {
    PrintOut(FormatJobTable(reply->is_object() ? reply->value("jobs", json::array()) : json(),
                            NowMicros()));
  }
  return kExitOk;
}

int Show(ApiClient& api, const JobArgs& a) {
  Result<json> reply = api.GetJson(JobPath(a.job), NoJob(a.job));
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
  } else {
    PrintOut(FormatJobView(*reply, NowMicros()));
  }
  return kExitOk;
}

int Cancel(ApiClient& api, const JobArgs& a) {
  ApiRequest request;
  request.method = "POST";
  request.target = JobPath(a.job) + "/cancel";
  request.not_found = NoJob(a.job);
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  PrintOut(a.json ? reply->dump(2) + "\n" : FormatJobLine(*reply) + "\n");
  return kExitOk;
}

int Wait(ApiClient& api, const JobArgs& a) {
  WaitOptions wait;
  wait.job = a.job;
  wait.until = a.until;
  if (!a.timeout.empty()) {
    Result<Duration> d = ParseDuration(a.timeout);
    if (!d.ok()) return Fail(MakeError("usage", "--timeout: " + d.error().message));
    wait.timeout = *d;
  }
  return WaitForJob(api, wait);
}

// A verb about one job: --server, JOB, and `run`.
CLI::App* AddJobVerb(CLI::App& app, VerbTable& verbs, const std::string& name,
                     const std::string& description, const std::string& example,
                     int (*run)(ApiClient&, const JobArgs&), std::shared_ptr<JobArgs> a) {
  CLI::App* cmd = AddClientVerb(app, name, description, example, a->server);
  cmd->add_option("JOB", a->job, "job id, or name (the newest job so named)")->required();
  AddClientRun(verbs, cmd, a, run);
  return cmd;
}

void AddJobVerbs(CLI::App& app, VerbTable& verbs) {
  auto jobs = std::make_shared<JobArgs>();
  CLI::App* cmd = AddClientVerb(app, "jobs", "list jobs, oldest first",
                                "  rota jobs --state running --queue film", jobs->server);
  AddClientRun(verbs, cmd, jobs, Jobs);
  cmd->add_option("--state", jobs->state, "only jobs in this state")
      ->check(CLI::IsMember({"pending", "running", "succeeded", "failed", "cancelled"}));
  cmd->add_option("--queue", jobs->queue, "only jobs of this queue");
  cmd->add_flag("--all", jobs->all,
                "also the finished jobs retired from memory after the server's `retention` (7d by default)");
  cmd->add_flag("--json", jobs->json, "print the server's JSON");

  auto show = std::make_shared<JobArgs>();
  cmd = AddJobVerb(app, verbs, "show",
                   "a job's tasks, and why each unfinished instance is not running yet",
                   "  rota show shot-010     # or by id: rota show 42", Show, show);
  cmd->add_flag("--json", show->json, "print the server's JSON");

  auto cancel = std::make_shared<JobArgs>();
  cmd =
      AddJobVerb(app, verbs, "cancel", "cancel a job: nothing new starts, running tasks are killed",
                 "  rota cancel 42", Cancel, cancel);
  cmd->add_flag("--json", cancel->json, "print the job summary as JSON");

  auto wait = std::make_shared<JobArgs>();
  cmd = AddJobVerb(app, verbs, "wait", "wait until a job has started or is done",
                   "  rota wait shot-010 --timeout 2h && echo rendered\n"
                   "Exit codes: 0 reached (for done: the job succeeded), 1 the job failed or was\n"
                   "cancelled or the timeout passed, 3 server unreachable.",
                   Wait, wait);
  cmd->add_option("--until", wait->until, "started or done")
      ->check(CLI::IsMember({"started", "done"}))
      ->capture_default_str();
  cmd->add_option("--timeout", wait->timeout, "give up after this long (e.g. 90s, 2h)");
}

}  // namespace

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void PrintOut(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }
void PrintJson(const json& j) { PrintOut(j.dump(2) + "\n"); }

int WithClient(const std::string& server, const std::function<int(ApiClient&)>& verb) {
  Result<std::vector<ServerUrl>> servers = ResolveServer(server);
  if (!servers.ok()) return Fail(servers.error());
  ApiClient api(*servers);
  try {
    return verb(api);
  } catch (const json::exception& e) {
    return Fail(MakeError("server", "unreadable reply from " + api.http().server().text + ": " + e.what()));
  }
}

CLI::App* AddClientVerb(CLI::App& parent, const std::string& name, const std::string& description,
                        const std::string& example, std::string& server) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->add_option("--server", server,
                  "server URL, or URL,URL,... for several servers on one farm "
                  "(default: $ROTA_SERVER, else http://127.0.0.1:7070)");
  cmd->footer("Example:\n" + example);
  return cmd;
}

std::optional<TaskRef> ParseTaskRef(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, '/');) parts.push_back(part);
  if (!text.empty() && text.back() == '/') parts.push_back("");
  TaskRef ref;
  const std::string& last = parts.empty() ? text : parts.back();
  const bool numbered = parts.size() >= 2 && !last.empty() && last.size() <= 9 &&
                        last.find_first_not_of("0123456789") == std::string::npos;
  if (numbered) {
    ref.instance = std::stoi(last);
    parts.pop_back();
  }
  if (parts.empty() || parts.size() > 2 || parts.back().empty() || parts.front().empty()) {
    return std::nullopt;
  }
  ref.task = parts.back();
  return ref;
}

void AddClientVerbs(CLI::App& app, VerbTable& verbs) {
  AddSubmit(app, verbs);
  AddJobVerbs(app, verbs);
  AddFarmVerbs(app, verbs);
  AddScheduleVerbs(app, verbs);
  AddWatchVerbs(app, verbs);
}

}  // namespace rota
