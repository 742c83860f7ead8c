// `rota expect ...` (watchdogs) and `rota hooks ...` (webhooks), issue 11: a watchdog expects an
// event (say job.succeeded of nightly-backup) every so often and raises alert.raised once when it
// does not come, alert.resolved when it comes again; a webhook gets the events it wants POSTed,
// signed, at least once.
#include "cli/client_commands.h"
#include "cli/client_output.h"
#include "cli/client_verb.h"
#include "core/exit_codes.h"

namespace rota {
namespace {

using nlohmann::json;

struct WatchArgs {
  std::string server, name, every, grace, cron, calendar, timezone, match, url, events, secret;
  bool json = false;
};

int Post(ApiClient& api, const std::string& target, const json& body, bool print_json, json& reply_out) {
  ApiRequest request;
  request.method = "POST";
  request.target = target;
  request.body = body.dump();
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  if (print_json) PrintJson(*reply);
  reply_out = std::move(*reply);
  return kExitOk;
}

int Delete(ApiClient& api, const std::string& target, const std::string& what, const std::string& name) {
  ApiRequest request;
  request.method = "DELETE";
  request.target = target + "/" + PercentEncode(name);
  request.not_found = "no " + what + " named " + name;
  Result<json> reply = api.SendJson(request);
  if (!reply.ok()) return Fail(reply.error());
  PrintOut(what + " " + name + " removed\n");
  return kExitOk;
}

int ExpectAdd(ApiClient& api, const WatchArgs& a) {
  json body = {{"name", a.name}};
  if (!a.match.empty()) body["match"] = a.match;
  if (!a.every.empty()) body["every"] = a.every;
  if (!a.grace.empty()) body["grace"] = a.grace;
  if (!a.cron.empty()) body["cron"] = a.cron;
  if (!a.calendar.empty()) body["calendar"] = a.calendar;
  if (!a.timezone.empty()) body["timezone"] = a.timezone;
  json reply;
  if (int code = Post(api, "/v1/expectations", body, a.json, reply); code != kExitOk || a.json) return code;
  PrintOut("watchdog " + a.name + " " + reply.value("status", std::string()) + "; down if nothing by " +
           reply.value("down_at", std::string("-")) + "\n");
  return kExitOk;
}

int ExpectList(ApiClient& api, const WatchArgs& a) {
  Result<json> reply = api.GetJson("/v1/expectations");
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
    return kExitOk;
  }
  const json all = reply->value("expectations", json::array());
  if (all.empty()) {
    PrintOut("no watchdogs (rota expect add NAME --every 1d --grace 1h --match job.succeeded:job=NAME)\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATUS", "MATCH", "EXPECTED", "LAST SEEN", "DOWN AT", "ALERTS"}};
  for (const json& x : all) {
    std::string expected = x.contains("every") ? "every " + std::to_string(x.value("every", 0)) + "s"
                                               : x.value("cron", x.value("calendar", std::string())) + " " + x.value("timezone", std::string());
    expected += " + " + std::to_string(x.value("grace", 0)) + "s";
    rows.push_back({x.value("name", std::string()), x.value("status", std::string()), x.value("match", std::string()), expected,
                    x.value("last_seen", std::string("-")), x.value("down_at", x.value("down_since", std::string("-"))),
                    std::to_string(x.value("alerts", 0))});
  }
  PrintOut(FormatTable(rows));
  return kExitOk;
}

int ExpectRemove(ApiClient& api, const WatchArgs& a) { return Delete(api, "/v1/expectations", "watchdog", a.name); }

int HookAdd(ApiClient& api, const WatchArgs& a) {
  json events = json::array();
  size_t start = 0;
  while (start <= a.events.size()) {
    const size_t comma = a.events.find(',', start);
    const std::string item = a.events.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) events.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  json body = {{"url", a.url}, {"events", events}};
  if (!a.name.empty()) body["name"] = a.name;
  if (!a.secret.empty()) body["secret"] = a.secret;
  json reply;
  if (int code = Post(api, "/v1/hooks", body, a.json, reply); code != kExitOk || a.json) return code;
  std::string line = "hook " + reply.value("name", std::string()) + " added: " + a.url + " gets " + a.events;
  if (a.secret.empty()) line += "\nsecret (shown once; the receiver checks Rota-Signature with it): " + reply.value("secret", std::string());
  PrintOut(line + "\n");
  return kExitOk;
}

int HookList(ApiClient& api, const WatchArgs& a) {
  Result<json> reply = api.GetJson("/v1/hooks");
  if (!reply.ok()) return Fail(reply.error());
  if (a.json) {
    PrintJson(*reply);
    return kExitOk;
  }
  const json all = reply->value("hooks", json::array());
  if (all.empty()) {
    PrintOut("no hooks (rota hooks add URL --events alert.*,job.failed)\n");
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "URL", "EVENTS", "DELIVERED THROUGH SEQ"}};
  for (const json& h : all) {
    std::string events;
    for (const json& e : h.value("events", json::array())) events += (events.empty() ? "" : ",") + e.get<std::string>();
    rows.push_back({h.value("name", std::string()), h.value("url", std::string()), events,
                    std::to_string(h.value("delivered_seq", uint64_t{0}))});
  }
  PrintOut(FormatTable(rows));
  return kExitOk;
}

int HookRemove(ApiClient& api, const WatchArgs& a) { return Delete(api, "/v1/hooks", "hook", a.name); }

}  // namespace

void AddWatchVerbs(CLI::App& app, VerbTable& verbs) {
  CLI::App* expect = app.add_subcommand("expect", "watchdogs: alert when an expected event does not come");
  expect->require_subcommand(1);
  auto add = std::make_shared<WatchArgs>();
  CLI::App* cmd = AddClientVerb(
      *expect, "add", "expect an event every so often (or after each slot of a cron/calendar), else alert",
      "  rota expect add nightly-backup --every 1d --grace 2h     # its job (or schedule) succeeds daily\n"
      "  rota expect add report --cron '0 9 * * 1-5' --timezone Europe/Berlin --grace 30m --match job.succeeded:job=report",
      add->server);
  AddClientRun(verbs, cmd, add, ExpectAdd);
  cmd->add_option("NAME", add->name, "the watchdog's name")->required();
  cmd->add_option("--every", add->every, "the event comes at least this often (e.g. 1d, 90s)");
  cmd->add_option("--grace", add->grace, "how late it may be before the alert (default 0)");
  cmd->add_option("--cron", add->cron, "or: the event comes after each slot of this cron expression");
  cmd->add_option("--calendar", add->calendar, "or: after each slot of this calendar event");
  cmd->add_option("--timezone", add->timezone, "the time zone of --cron/--calendar (default UTC)");
  cmd->add_option("--match", add->match,
                  "TYPE[:FIELD=VALUE], e.g. signal.posted:signal=db/ready (default: job.succeeded:job=NAME)");
  cmd->add_flag("--json", add->json, "print the server's JSON");
  cmd->footer("up: the event came in time; late: past --every (or the slot); down: past the grace too, and\n"
              "alert.raised is published once, until a matching event publishes alert.resolved.\n"
              "job=NAME also matches the jobs schedule NAME fires (NAME@SLOT).");
  auto list = std::make_shared<WatchArgs>();
  cmd = AddClientVerb(*expect, "list", "the watchdogs and their status (up, late, down)", "  rota expect list", list->server);
  AddClientRun(verbs, cmd, list, ExpectList);
  cmd->add_flag("--json", list->json, "print the server's JSON");
  auto rm = std::make_shared<WatchArgs>();
  cmd = AddClientVerb(*expect, "rm", "remove a watchdog (a raised alert is resolved)", "  rota expect rm backup", rm->server);
  AddClientRun(verbs, cmd, rm, ExpectRemove);
  cmd->add_option("NAME", rm->name, "the watchdog")->required();

  CLI::App* hooks = app.add_subcommand("hooks", "webhooks: events POSTed to a URL, signed, at least once");
  hooks->require_subcommand(1);
  auto hook = std::make_shared<WatchArgs>();
  cmd = AddClientVerb(*hooks, "add", "send the events of some types to a URL",
                      "  rota hooks add http://127.0.0.1:9000/rota --events 'alert.*,job.failed'", hook->server);
  AddClientRun(verbs, cmd, hook, HookAdd);
  cmd->add_option("URL", hook->url, "where to POST (http://HOST[:PORT]/PATH)")->required();
  cmd->add_option("--events", hook->events, "event types, comma-separated; TYPE.* for a family")->required();
  cmd->add_option("--name", hook->name, "its name (default: made from the URL)");
  cmd->add_option("--secret", hook->secret, "the HMAC-SHA256 key (default: a random one, printed once)");
  cmd->add_flag("--json", hook->json, "print the server's JSON");
  cmd->footer("Each POST carries the event's JSON, Rota-Event: TYPE, Rota-Signature: sha256=HEX (HMAC-SHA256\n"
              "of the body with the secret) and Idempotency-Key: NAME/SEQ (the same on every retry).\n"
              "Failures are retried after 1 s, 2 s, 4 s ... up to 5 min; events arrive in seq order.");
  auto hlist = std::make_shared<WatchArgs>();
  cmd = AddClientVerb(*hooks, "list", "the webhooks and how far each got", "  rota hooks list", hlist->server);
  AddClientRun(verbs, cmd, hlist, HookList);
  cmd->add_flag("--json", hlist->json, "print the server's JSON");
  auto hrm = std::make_shared<WatchArgs>();
  cmd = AddClientVerb(*hooks, "rm", "remove a webhook", "  rota hooks rm 127.0.0.1-9000-rota", hrm->server);
  AddClientRun(verbs, cmd, hrm, HookRemove);
  cmd->add_option("NAME", hrm->name, "the hook")->required();
}

}  // namespace rota
