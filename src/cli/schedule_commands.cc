// `rota schedules ...`: periodic jobs (issue 11). So far `next`, which shows when an expression
// not yet saved would fire: local time, UTC, and what DST does to it.
#include <algorithm>

#include "cli/client_commands.h"
#include "cli/client_output.h"
#include "cli/client_verb.h"
#include "core/exit_codes.h"

namespace rota {
namespace {

using nlohmann::json;

struct ScheduleArgs {
  std::string server, cron, calendar, timezone, from, dst_gap, dst_fold;
  int n = 5;
  bool json = false;
};

int Next(ApiClient& api, const ScheduleArgs& a) {
  if (a.cron.empty() == a.calendar.empty()) {
    return Fail(MakeError("usage", "give one of --cron EXPR or --calendar EXPR"));
  }
  std::string target = "/v1/schedules/preview?" + std::string(a.cron.empty() ? "calendar=" : "cron=") +
                       PercentEncode(a.cron.empty() ? a.calendar : a.cron) + "&n=" + std::to_string(a.n);
  for (const auto& [name, value] : {std::pair<const char*, const std::string&>{"timezone", a.timezone},
                                    {"from", a.from}, {"dst_gap", a.dst_gap}, {"dst_fold", a.dst_fold}}) {
    if (!value.empty()) target += std::string("&") + name + "=" + PercentEncode(value);
  }
  Result<json> reply = api.GetJson(target);
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

}  // namespace

void AddScheduleVerbs(CLI::App& app, VerbTable& verbs) {
  CLI::App* schedules = app.add_subcommand("schedules", "periodic jobs: when an expression fires");
  schedules->require_subcommand(1);
  auto next = std::make_shared<ScheduleArgs>();
  CLI::App* cmd = AddClientVerb(
      *schedules, "next", "show when a cron expression or calendar event would fire, in local time and UTC",
      "  rota schedules next --cron '30 2 * * *' --timezone Europe/Berlin --from 2026-03-28T00:00:00Z\n"
      "  rota schedules next --calendar 'Mon..Fri *-*-* 08:00 Europe/Berlin' -n 10",
      next->server);
  AddClientRun(verbs, cmd, next, Next);
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
