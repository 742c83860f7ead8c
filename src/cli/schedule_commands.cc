// `rota schedules ...`: periodic jobs (issue 11): add (or replace), list, rm, pause, resume,
// trigger, and next, which shows when a schedule or an expression not yet saved would fire: local
// time, UTC, and what DST does to it.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/client_commands.h"
#include "cli/client_output.h"
#include "cli/client_verb.h"
#include "core/exit_codes.h"

namespace rota {
namespace {

using nlohmann::json;

struct ScheduleArgs {
  std::string server, name, cron, calendar, timezone, from, dst_gap, dst_fold;
  std::string job_file, catch_up, start_window, jitter, overlap;
  int n = 5;
  int64_t catch_up_max = 0, queue_max = 0;
  bool json = false, paused = false;
};

std::string SchedulePath(const std::string& name) { return "/v1/schedules/" + PercentEncode(name); }
std::string NoSchedule(const std::string& name) { return "no schedule named " + name + " (rota schedules list shows them)"; }

int Next(ApiClient& api, const ScheduleArgs& a) {
  if (!a.name.empty() && (!a.cron.empty() || !a.calendar.empty())) {
    return Fail(MakeError("usage", "give a schedule's NAME or --cron/--calendar, not both"));
  }
  if (a.name.empty() && a.cron.empty() == a.calendar.empty()) {
    return Fail(MakeError("usage", "give a schedule's NAME, or one of --cron EXPR or --calendar EXPR"));
  }
  std::string target = !a.name.empty() ? SchedulePath(a.name) + "/next?n=" + std::to_string(a.n)
                                       : "/v1/schedules/preview?" + std::string(a.cron.empty() ? "calendar=" : "cron=") +
                                             PercentEncode(a.cron.empty() ? a.calendar : a.cron) + "&n=" + std::to_string(a.n);
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"timezone", a.timezone},
                                    {"from", a.from}, {"dst_gap", a.dst_gap}, {"dst_fold", a.dst_fold}}) {
    if (!value.empty() && (a.name.empty() || std::string(name) == "from")) {
      target += std::string("&") + name + "=" + PercentEncode(value);
    }
  }
  Result<json> reply = api.GetJson(target, a.name.empty() ? "" : NoSchedule(a.name));
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
    return kExitOk;
  }
  const json next = reply->value("next", json::array()), local = reply->value("local", json::array()),
             notes = reply->value("notes", json::array());
  // The NOTE column only when DST did something to one of the times.
  const bool noted = std::any_of(notes.begin(), notes.end(), [](const json& n) { return n != ""; });
  std::vector<std::vector<std::string>> rows = {{"LOCAL (" + reply->value("timezone", std::string("UTC")) + ")", "UTC"}};
  if (noted) rows[0].push_back("NOTE");
  for (size_t i = 0; i < next.size(); ++i) {
    rows.push_back({i < local.size() ? local[i].get<std::string>() : "", next[i].get<std::string>()});
    if (noted) rows.back().push_back(i < notes.size() ? notes[i].get<std::string>() : "");
  }
  if (next.empty()) {
    PrintOut("it never fires again (before the year 2200)\n");
    return kExitOk;
  }
  PrintOut(FormatTable(rows));
  return kExitOk;
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError("usage", "cannot read the job spec " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int Add(ApiClient& api, const ScheduleArgs& a) {
  if (a.cron.empty() == a.calendar.empty()) return Fail(MakeError("usage", "give one of --cron EXPR or --calendar EXPR"));
  Result<std::string> job = ReadText(a.job_file);
  if (!job.ok()) return Fail(job.error());
  json body = {{"name", a.name}, {"job", *job}};
  if (!a.cron.empty()) body["cron"] = a.cron;
  if (!a.calendar.empty()) body["calendar"] = a.calendar;
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"timezone", a.timezone},
                                   {"catch_up", a.catch_up}, {"start_window", a.start_window}, {"jitter", a.jitter},
                                   {"overlap", a.overlap}, {"dst_gap", a.dst_gap}, {"dst_fold", a.dst_fold}}) {
    if (!value.empty()) body[key] = value;
  }
  if (a.catch_up_max > 0) body["catch_up_max"] = a.catch_up_max;
  if (a.queue_max > 0) body["queue_max"] = a.queue_max;
  if (a.paused) body["enabled"] = false;
  ApiRequest request;
  request.method = "PUT";
  request.target = SchedulePath(a.name);
  request.body = body.dump();
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
    return kExitOk;
  }
  std::string line = "schedule " + a.name + " saved";
  if (reply->value("paused", false)) {
    line += ": paused";
  } else if (reply->contains("next")) {
    line += ": next at " + reply->value("next_local", std::string()) + " (" + reply->value("next", std::string()) + ")";
    if (reply->contains("note")) line += "; " + reply->value("note", std::string());
  } else {
    line += ": it never fires (before the year 2200)";
  }
  PrintOut(line + "\n");
  return kExitOk;
}

int List(ApiClient& api, const ScheduleArgs& a) {
  Result<json> reply = api.GetJson("/v1/schedules");
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
    return kExitOk;
  }
  const json all = reply->value("schedules", json::array());
  if (all.empty()) {
    PrintOut("no schedules (rota schedules add NAME --cron EXPR --job FILE makes one)\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "WHEN", "TIMEZONE", "NEXT (LOCAL)", "LAST SLOT", "FIRED", "MISSED", "SKIPPED", "STATE"}};
  for (const json& s : all) {
    const std::string when = s.contains("cron") ? s.value("cron", std::string()) : s.value("calendar", std::string());
    std::string next = s.value("next_local", std::string(s.value("paused", false) ? "-" : "never"));
    if (s.contains("note")) next += " (" + s.value("note", std::string()) + ")";
    rows.push_back({s.value("name", std::string()), when, s.value("timezone", std::string()), next,
                    s.value("last_slot", std::string("-")), std::to_string(s.value("fired", 0)),
                    std::to_string(s.value("missed", 0)), std::to_string(s.value("skipped", 0)),
                    s.value("paused", false) ? "paused" : "active"});
  }
  PrintOut(FormatTable(rows));
  return kExitOk;
}

int Remove(ApiClient& api, const ScheduleArgs& a) {
  ApiRequest request;
  request.method = "DELETE";
  request.target = SchedulePath(a.name);
  request.not_found = NoSchedule(a.name);
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  PrintOut("schedule " + a.name + " removed (the jobs it fired stay)\n");
  return kExitOk;
}

int Verb(ApiClient& api, const ScheduleArgs& a, const std::string& verb) {
  ApiRequest request;
  request.method = "POST";
  request.target = SchedulePath(a.name) + "/" + verb;
  request.not_found = NoSchedule(a.name);
  request.repeatable = verb != "trigger";
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
  } else if (verb == "trigger") {
    PrintOut("job " + std::to_string(reply->value("id", 0)) + " submitted: " + reply->value("name", std::string()) + "\n");
  } else {
    PrintOut("schedule " + a.name + (verb == "pause" ? " paused" : " resumed; next at " + reply->value("next_local", std::string("never"))) + "\n");
  }
  return kExitOk;
}

int Pause(ApiClient& api, const ScheduleArgs& a) { return Verb(api, a, "pause"); }
int Resume(ApiClient& api, const ScheduleArgs& a) { return Verb(api, a, "resume"); }
int Trigger(ApiClient& api, const ScheduleArgs& a) { return Verb(api, a, "trigger"); }

}  // namespace

void AddScheduleVerbs(CLI::App& app, VerbTable& verbs) {
  CLI::App* schedules = app.add_subcommand("schedules", "periodic jobs: add, list, rm, pause, resume, trigger, next");
  schedules->require_subcommand(1);

  auto add = std::make_shared<ScheduleArgs>();
  CLI::App* cmd = AddClientVerb(
      *schedules, "add", "create or replace a schedule that submits a job at each slot (the job NAME@SLOT)",
      "  rota schedules add nightly --cron '30 2 * * *' --timezone Europe/Berlin --job backup.yaml\n"
      "  rota schedules add reports --calendar 'Mon..Fri 08:00' --job report.yaml --overlap forbid",
      add->server);
  AddClientRun(verbs, cmd, add, Add);
  cmd->add_option("NAME", add->name, "the schedule's name (letters, digits, . _ -)")->required();
  cmd->add_option("--cron", add->cron, "a cron expression: MINUTE HOUR DAY MONTH WEEKDAY, or @daily etc.");
  cmd->add_option("--calendar", add->calendar, "a systemd calendar event, e.g. 'Mon..Fri 08:00'");
  cmd->add_option("--job", add->job_file, "the job spec file (YAML or JSON) each slot submits")->required();
  cmd->add_option("--timezone", add->timezone, "an IANA time zone, e.g. Europe/Berlin (default UTC)");
  cmd->add_option("--catch-up", add->catch_up, "slots missed while no server ran: skip, once (default: the newest) or all")
      ->check(CLI::IsMember({"skip", "once", "all"}));
  cmd->add_option("--catch-up-max", add->catch_up_max, "with --catch-up all: at most this many (default 100)");
  cmd->add_option("--start-window", add->start_window, "a slot later than this is missed, not run (e.g. 1h)");
  cmd->add_option("--jitter", add->jitter, "fire each slot up to this much later (stable per slot, e.g. 5m)");
  cmd->add_option("--overlap", add->overlap, "while the last slot's job runs: allow (default), forbid, replace or queue")
      ->check(CLI::IsMember({"allow", "forbid", "replace", "queue"}));
  cmd->add_option("--queue-max", add->queue_max, "with --overlap queue: slots held at most (default 1)");
  cmd->add_option("--dst-gap", add->dst_gap, "a time in the spring-forward gap: run (at its end, default) or skip")
      ->check(CLI::IsMember({"run", "skip"}));
  cmd->add_option("--dst-fold", add->dst_fold, "a time in the repeated hour: once (default) or both")
      ->check(CLI::IsMember({"once", "both"}));
  cmd->add_flag("--paused", add->paused, "save it paused (rota schedules resume NAME starts it)");
  cmd->add_flag("--json", add->json, "print the server's JSON");
  cmd->footer("Replacing a schedule starts it afresh from now: slots before the change are not caught up.\n"
              "docs/schedules.md explains slots, catch-up, overlap and DST.");

  auto list = std::make_shared<ScheduleArgs>();
  cmd = AddClientVerb(*schedules, "list", "the schedules: when each fires next, and what it did", "  rota schedules list",
                      list->server);
  AddClientRun(verbs, cmd, list, List);
  cmd->add_flag("--json", list->json, "print the server's JSON");

  struct Named {
    const char* verb;
    const char* what;
    int (*run)(ApiClient&, const ScheduleArgs&);
  };
  for (const Named& v : {Named{"rm", "remove a schedule (the jobs it fired stay)", Remove},
                         Named{"pause", "stop a schedule firing until resumed", Pause},
                         Named{"resume", "start a paused schedule again, from now (the paused slots are not caught up)", Resume},
                         Named{"trigger", "fire a schedule now, outside its slots (the job NAME@NOW)", Trigger}}) {
    auto args = std::make_shared<ScheduleArgs>();
    cmd = AddClientVerb(*schedules, v.verb, v.what, std::string("  rota schedules ") + v.verb + " nightly", args->server);
    AddClientRun(verbs, cmd, args, v.run);
    cmd->add_option("NAME", args->name, "the schedule")->required();
    cmd->add_flag("--json", args->json, "print the server's JSON");
  }

  auto next = std::make_shared<ScheduleArgs>();
  cmd = AddClientVerb(
      *schedules, "next", "show when a schedule, or an expression not saved yet, fires: local time and UTC",
      "  rota schedules next nightly -n 10\n"
      "  rota schedules next --cron '30 2 * * *' --timezone Europe/Berlin --from 2026-03-28T00:00:00Z\n"
      "  rota schedules next --calendar 'Mon..Fri *-*-* 08:00 Europe/Berlin' -n 10",
      next->server);
  AddClientRun(verbs, cmd, next, Next);
  cmd->add_option("NAME", next->name, "a saved schedule (or give --cron / --calendar)");
  cmd->add_option("--cron", next->cron, "a cron expression: MINUTE HOUR DAY MONTH WEEKDAY, or @daily etc.");
  cmd->add_option("--calendar", next->calendar, "a systemd calendar event, e.g. 'Mon..Fri 08:00'");
  cmd->add_option("--timezone", next->timezone, "an IANA time zone, e.g. Europe/Berlin (default UTC)");
  cmd->add_option("-n", next->n, "how many fire times (1-1000, default 5)")->check(CLI::Range(1, 1000));
  cmd->add_option("--from", next->from, "start after this RFC 3339 time (default now)");
  cmd->add_option("--dst-gap", next->dst_gap, "a time in the spring-forward gap: run (at its end, default) or skip")
      ->check(CLI::IsMember({"run", "skip"}));
  cmd->add_option("--dst-fold", next->dst_fold, "a time in the repeated hour: once (default) or both")
      ->check(CLI::IsMember({"once", "both"}));
  cmd->add_flag("--json", next->json, "print the server's JSON");
  cmd->footer(
      "DST: a time that does not exist (the clocks jump forward over it) runs when the gap ends, once;\n"
      "a time that happens twice (the clocks go back) runs at the first. docs/schedules.md has the rest.");
}

}  // namespace rota
