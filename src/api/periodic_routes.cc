// The routes of time-driven work (docs/api.md "Schedules", "Watchdogs", "Hooks"):
//   /v1/schedules              GET list, POST create or replace (201)
//   /v1/schedules/preview      GET the next times of an unsaved expression
//   /v1/schedules/{name}       GET, PUT (replace), DELETE
//   /v1/schedules/{name}/next  GET ?n=&from=
//   /v1/schedules/{name}/pause|resume|trigger   POST
//   /v1/expectations[/{name}]  GET list, POST; DELETE
//   /v1/hooks[/{name}]         GET list, POST; DELETE
// Definitions are checked here, on the io thread (a 400 names the field); the loop applies them.
#include <chrono>
#include <random>

#include "api/periodic_json.h"
#include "api/route_helpers.h"
#include "api/routes.h"
#include "api/schedule_preview.h"
#include "net/server_url.h"

namespace rota {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The body with "name" taken from the path when it is missing; a different one is an error.
Result<std::string> WithName(const std::string& body, const std::string& name, const char* code) {
  ordered_json json = ordered_json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return MakeError(code, "the body must be a JSON object");
  if (!json.contains("name")) json["name"] = name;
  if (!json["name"].is_string() || json["name"].get<std::string>() != name) {
    return MakeError(code, "the body's \"name\" differs from the path's (" + name + ")");
  }
  return json.dump();
}

// A hook with no "secret" gets a random one (shown once, in the answer to its creation).
Result<std::string> WithSecret(const std::string& body, std::string& secret) {
  ordered_json json = ordered_json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return MakeError("invalid_hook", "the body must be a JSON object");
  if (json.contains("secret")) return body;
  std::random_device random;
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) secret.push_back(kHex[random() % 16]);
  json["secret"] = secret;
  return json.dump();
}

// The server part of a hook's URL must be one rota can reach (http://HOST[:PORT]).
std::optional<Error> CheckHookUrl(const HookDef& def) {
  const size_t path = def.url.find('/', 7);
  Result<ServerUrl> server = ParseServerUrl(def.url.substr(0, path));
  if (!server.ok()) return MakeError("invalid_hook", "\"url\": " + server.error().message);
  return std::nullopt;
}

}  // namespace

void ApiRoutes::Schedules(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  const std::string& m = r.method;
  auto one = [](const ScheduleState& s) { return Dump(ScheduleJson(s)); };
  auto set = [&](const std::string& body, int status) {
    Result<ScheduleDef> def = ParseScheduleDef(body);
    if (!def.ok()) return ex->Reply(ErrorResponse(400, def.error().code, def.error().message));
    auto shared = std::make_shared<const ScheduleDef>(std::move(*def));
    post_([shared, done = RespondJson<ScheduleState>(ex, "/v1/schedules", one, status)](ServerCore& core) mutable {
      core.SetSchedule(shared, std::move(done));
    });
  };
  if (parts.size() == 2) {
    if (m == "POST") return set(r.body, 201);
    if (m != "GET") return MethodNotAllowed(r, ex, "GET, POST");
    return post_([done = RespondJson<std::vector<ScheduleState>>(ex, "/v1/schedules", [](const std::vector<ScheduleState>& all) {
                    ordered_json list = ordered_json::array();
                    for (const ScheduleState& s : all) list.push_back(ScheduleJson(s));
                    return Dump({{"schedules", std::move(list)}});
                  })](ServerCore& core) mutable { core.ListSchedules(std::move(done)); });
  }
  if (parts.size() == 3 && parts[2] == "preview") {
    if (m != "GET") return MethodNotAllowed(r, ex, "GET");
    Result<std::string> preview = PreviewSchedule(r.query, NowSeconds());
    if (!preview.ok()) return ex->Reply(ErrorResponse(preview.error()));
    return ex->Reply(JsonResponse(200, *preview, "/v1/schedules/preview"));
  }
  const std::string& name = parts[2];
  if (parts.size() == 3) {
    if (m == "GET") {
      return post_([name, done = RespondJson<ScheduleState>(ex, "/v1/schedules/{name}", one)](ServerCore& core) mutable {
        core.ShowSchedule(name, std::move(done));
      });
    }
    if (m == "PUT") {
      Result<std::string> body = WithName(r.body, name, "invalid_schedule");
      if (!body.ok()) return ex->Reply(ErrorResponse(400, body.error().code, body.error().message));
      return set(*body, 200);
    }
    if (m != "DELETE") return MethodNotAllowed(r, ex, "GET, PUT, DELETE");
    return post_([name, done = RespondJson<Unit>(ex, "/v1/schedules/{name}", [name](const Unit&) {
                    return Dump({{"removed", name}});
                  })](ServerCore& core) mutable { core.RemoveSchedule(name, std::move(done)); });
  }
  if (parts.size() != 4) return NotFound(r, ex);
  const std::string& verb = parts[3];
  if (verb == "next") {
    if (m != "GET") return MethodNotAllowed(r, ex, "GET");
    auto query = r.query;
    return post_([name, query, ex](ServerCore& core) mutable {
      core.ShowSchedule(name, Respond<ScheduleState>(ex, "/v1/schedules/{name}/next", [given = query](const ScheduleState& s) {
        const ScheduleDef& def = *s.def;
        std::map<std::string, std::string> query = given;
        query[def.rule.cron.empty() ? "calendar" : "cron"] = def.rule.cron.empty() ? def.rule.calendar : def.rule.cron;
        query["timezone"] = def.rule.timezone;
        query["dst_gap"] = def.policy.dst.gap_run ? "run" : "skip";
        query["dst_fold"] = def.policy.dst.fold_both ? "both" : "once";
        Result<std::string> next = PreviewSchedule(query, NowSeconds());
        return next.ok() ? JsonResponse(200, *next, "") : ErrorResponse(next.error());
      }));
    });
  }
  if (m != "POST") return MethodNotAllowed(r, ex, "POST");
  if (verb == "pause" || verb == "resume") {
    return post_([name, paused = verb == "pause", done = RespondJson<ScheduleState>(ex, "/v1/schedules/{name}/pause", one)](
                     ServerCore& core) mutable { core.PauseSchedule(name, paused, std::move(done)); });
  }
  if (verb == "trigger") {
    return post_([name, done = RespondJson<SubmitAnswer>(
                            ex, "/v1/schedules/{name}/trigger",
                            [](const SubmitAnswer& a) { return Dump({{"id", a.id}, {"name", a.name}}); }, 201)](
                     ServerCore& core) mutable { core.TriggerSchedule(name, std::move(done)); });
  }
  return NotFound(r, ex);
}

void ApiRoutes::Expectations(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  const std::string& m = r.method;
  if (parts.size() == 2) {
    if (m == "POST") {
      Result<ExpectationDef> def = ParseExpectationDef(r.body);
      if (!def.ok()) return ex->Reply(ErrorResponse(400, def.error().code, def.error().message));
      auto shared = std::make_shared<const ExpectationDef>(std::move(*def));
      return post_([shared, done = RespondJson<ExpectationState>(ex, "/v1/expectations", [](const ExpectationState& x) {
                      return Dump(ExpectationJson(x, NowMicros()));
                    }, 201)](ServerCore& core) mutable { core.SetExpectation(shared, std::move(done)); });
    }
    if (m != "GET") return MethodNotAllowed(r, ex, "GET, POST");
    return post_([done = RespondJson<std::vector<ExpectationState>>(ex, "/v1/expectations", [](const std::vector<ExpectationState>& all) {
                    ordered_json list = ordered_json::array();
                    for (const ExpectationState& x : all) list.push_back(ExpectationJson(x, NowMicros()));
                    return Dump({{"expectations", std::move(list)}});
                  })](ServerCore& core) mutable { core.ListExpectations(std::move(done)); });
  }
  if (parts.size() != 3) return NotFound(r, ex);
  if (m != "DELETE") return MethodNotAllowed(r, ex, "DELETE");
  const std::string& name = parts[2];
  return post_([name, done = RespondJson<Unit>(ex, "/v1/expectations/{name}", [name](const Unit&) {
                  return Dump({{"removed", name}});
                })](ServerCore& core) mutable { core.RemoveExpectation(name, std::move(done)); });
}

void ApiRoutes::Hooks(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  const std::string& m = r.method;
  if (parts.size() == 2) {
    if (m == "POST") {
      std::string secret;
      Result<std::string> body = WithSecret(r.body, secret);
      if (!body.ok()) return ex->Reply(ErrorResponse(400, body.error().code, body.error().message));
      Result<HookDef> def = ParseHookDef(*body);
      if (!def.ok()) return ex->Reply(ErrorResponse(400, def.error().code, def.error().message));
      if (auto bad = CheckHookUrl(*def)) return ex->Reply(ErrorResponse(400, bad->code, bad->message));
      auto shared = std::make_shared<const HookDef>(std::move(*def));
      return post_([shared, done = RespondJson<HookState>(ex, "/v1/hooks", [secret](const HookState& h) {
                      ordered_json out = HookJson(h);
                      if (!secret.empty()) out["secret"] = secret;   // generated: shown this once
                      return Dump(out);
                    }, 201)](ServerCore& core) mutable { core.SetHook(shared, std::move(done)); });
    }
    if (m != "GET") return MethodNotAllowed(r, ex, "GET, POST");
    return post_([done = RespondJson<std::vector<HookState>>(ex, "/v1/hooks", [](const std::vector<HookState>& all) {
                    ordered_json list = ordered_json::array();
                    for (const HookState& h : all) list.push_back(HookJson(h));
                    return Dump({{"hooks", std::move(list)}});
                  })](ServerCore& core) mutable { core.ListHooks(std::move(done)); });
  }
  if (parts.size() != 3) return NotFound(r, ex);
  if (m != "DELETE") return MethodNotAllowed(r, ex, "DELETE");
  const std::string& name = parts[2];
  return post_([name, done = RespondJson<Unit>(ex, "/v1/hooks/{name}", [name](const Unit&) {
                  return Dump({{"removed", name}});
                })](ServerCore& core) mutable { core.RemoveHook(name, std::move(done)); });
}

}  // namespace rota
