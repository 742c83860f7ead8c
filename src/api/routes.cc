#include "api/routes.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "api/api_codec.h"
#include "api/responses.h"
#include "api/route_helpers.h"
#include "api/views_json.h"
#include "core/units.h"
#include "wire/agent_codec.h"

namespace rota {

namespace {


constexpr auto kMaxLongPoll = std::chrono::minutes(10);

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();   // "/v1/jobs/" = "/v1/jobs"
  return parts;
}

// Reads query parameter `name` as an unsigned integer; false (and a 400) when malformed.
bool QueryUint(const HttpRequest& r, const char* name, uint64_t& out, ExchangePtr& ex) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return true;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) {
    BadRequest(ex, std::string("query parameter ") + name + "=" + s + " is not a non-negative integer");
    return false;
  }
  return true;
}

bool QueryDuration(const HttpRequest& r, const char* name, Duration fallback, Duration& out,
                   ExchangePtr& ex) {
  out = fallback;
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return true;
  Result<Duration> d = ParseDuration(it->second);
  if (!d.ok()) {
    BadRequest(ex, std::string("query parameter ") + name + ": " + d.error().message);
    return false;
  }
  out = std::min<Duration>(*d, kMaxLongPoll);
  return true;
}

std::chrono::milliseconds Millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

Abandoned GoneWith(const ExchangePtr& ex) {
  return [weak = std::weak_ptr<HttpExchange>(ex)] {
    std::shared_ptr<HttpExchange> ex = weak.lock();
    return ex == nullptr || ex->closed();
  };
}

std::string ConfigJson(const std::map<std::string, std::string>& config) {
  return Dump({{"config", config}});
}

}  // namespace

void ApiRoutes::Handle(HttpRequest request, std::shared_ptr<HttpExchange> ex) {
  const std::vector<std::string> parts = SplitPath(request.path);
  const std::string& m = request.method;
  if (parts.empty()) {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    return ex->Reply(TextResponse("rota server. The API is under /v1 (see docs/api.md); /metrics, /healthz.\n",
                                  "text/plain; charset=utf-8", "/"));
  }
  if (parts.size() == 1 && parts[0] == "healthz") {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    return ex->Reply(JsonResponse(200, "{\"status\":\"ok\"}", "/healthz"));
  }
  if (parts.size() == 1 && parts[0] == "metrics") {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    Histogram* latency = &http_latency_;
    return post_([latency, done = Respond<std::string>(ex, "/metrics", [](const std::string& text) {
                    return TextResponse(text, "text/plain; version=0.0.4", "");
                  })](ServerCore& core) mutable { core.Metrics(*latency, std::move(done)); });
  }
  if (parts.size() < 2 || parts[0] != "v1") return NotFound(request, ex);
  const std::string& area = parts[1];
  if (area == "jobs") return Jobs(request, parts, std::move(ex));
  if (area == "agents") return Agents(request, parts, std::move(ex));
  if (area == "runs") return Runs(request, parts, std::move(ex));
  if (area == "events" && parts.size() == 2) {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    return Events(request, std::move(ex));
  }
  if (area == "signals" && parts.size() >= 3) {
    if (m != "POST") return MethodNotAllowed(request, ex, "POST");
    const std::string key = request.path.substr(std::string("/v1/signals/").size());
    if (key.empty() || key.size() > 256) return BadRequest(ex, "a signal key must be 1-256 characters");
    return post_([key, done = RespondJson<SignalAnswer>(ex, "/v1/signals/{key}", [](const SignalAnswer& a) {
                    return Dump({{"key", a.key}, {"new", a.is_new}});
                  })](ServerCore& core) mutable { core.PostSignal(key, std::move(done)); });
  }
  if (area == "schedules") return Schedules(request, parts, std::move(ex));
  if (area == "expectations") return Expectations(request, parts, std::move(ex));
  if (area == "hooks") return Hooks(request, parts, std::move(ex));
  if (area == "servers" && parts.size() == 2) {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    return post_([done = RespondJson<LeaseView>(ex, "/v1/servers", [](const LeaseView& v) {
                    return Dump(ServersJson(v));
                  })](ServerCore& core) mutable { core.Servers(std::move(done)); });
  }
  if (area == "hosts" && parts.size() == 2) {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    return post_([done = RespondJson<std::vector<HostView>>(ex, "/v1/hosts", [](const std::vector<HostView>& hosts) {
                    ordered_json list = ordered_json::array();
                    for (const HostView& h : hosts) list.push_back(HostJson(h));
                    return Dump({{"hosts", std::move(list)}});
                  })](ServerCore& core) mutable { core.Hosts(std::move(done)); });
  }
  if (area == "config" && parts.size() == 2) {
    using Config = std::map<std::string, std::string>;
    if (m == "GET") {
      return post_([done = RespondJson<Config>(ex, "/v1/config", ConfigJson)](ServerCore& core) mutable {
        core.GetConfig(std::move(done));
      });
    }
    if (m != "PUT") return MethodNotAllowed(request, ex, "GET, PUT");
    Result<Config> values = DecodeConfig(request.body);
    if (!values.ok()) return BadRequest(ex, values.error().message);
    return post_([values = std::move(*values), done = RespondJson<Config>(ex, "/v1/config", ConfigJson)](
                     ServerCore& core) mutable { core.PutConfig(values, std::move(done)); });
  }
  return NotFound(request, ex);
}

void ApiRoutes::Jobs(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  const std::string& m = r.method;
  auto summary_json = [](const JobSummary& s) { return Dump(SummaryJson(s)); };
  if (parts.size() == 2) {
    if (m == "POST") {
      auto source = r.query.find("source");
      Result<JobSpec> spec = DecodeSpec(r.body, source == r.query.end() ? "" : source->second);
      if (!spec.ok()) return ex->Reply(ErrorResponse(400, "invalid_spec", spec.error().message));
      auto done = RespondJson<SubmitAnswer>(
          ex, "/v1/jobs", [](const SubmitAnswer& a) { return Dump({{"id", a.id}, {"name", a.name}}); }, 201);
      return post_([spec = std::move(*spec), text = r.body, done = std::move(done)](ServerCore& core) mutable {
        core.Submit(std::move(spec), std::move(text), std::move(done));
      });
    }
    if (m != "GET") return MethodNotAllowed(r, ex, "GET, POST");
    JobFilter filter;
    filter.state = r.query.count("state") ? r.query.at("state") : "";
    static const char* kStates[] = {"", "pending", "running", "succeeded", "failed", "cancelled"};
    if (std::find(std::begin(kStates), std::end(kStates), filter.state) == std::end(kStates)) {
      return BadRequest(ex, "query parameter state=" + filter.state +
                                " must be pending, running, succeeded, failed or cancelled");
    }
    filter.queue = r.query.count("queue") ? r.query.at("queue") : "";
    uint64_t limit = filter.limit;
    if (!QueryUint(r, "limit", limit, ex)) return;
    filter.limit = static_cast<size_t>(limit);
    filter.archived = r.query.count("all") && r.query.at("all") != "0";
    auto done = RespondJson<std::vector<JobSummary>>(ex, "/v1/jobs", [](const std::vector<JobSummary>& jobs) {
      ordered_json list = ordered_json::array();
      for (const JobSummary& s : jobs) list.push_back(SummaryJson(s));
      return Dump({{"jobs", std::move(list)}});
    });
    return post_([filter = std::move(filter), done = std::move(done)](ServerCore& core) mutable {
      core.ListJobs(std::move(filter), std::move(done));
    });
  }
  const std::string ref = parts[2];
  if (parts.size() == 3) {
    if (m != "GET") return MethodNotAllowed(r, ex, "GET");
    auto done = RespondJson<JobDetail>(ex, "/v1/jobs/{id}", [](const JobDetail& d) { return Dump(DetailJson(d)); });
    return post_([ref, done = std::move(done)](ServerCore& core) mutable { core.ShowJob(ref, std::move(done)); });
  }
  if (parts.size() != 4) return NotFound(r, ex);
  const std::string& verb = parts[3];
  if (verb == "cancel") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    auto done = RespondJson<JobSummary>(ex, "/v1/jobs/{id}/cancel", summary_json);
    return post_([ref, done = std::move(done)](ServerCore& core) mutable { core.CancelJob(ref, std::move(done)); });
  }
  if (verb == "retry") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    auto done = RespondJson<JobSummary>(ex, "/v1/jobs/{id}/retry", summary_json);
    return post_([ref, done = std::move(done)](ServerCore& core) mutable { core.RetryJob(ref, std::move(done)); });
  }
  if (verb == "wait") {
    if (m != "GET") return MethodNotAllowed(r, ex, "GET");
    const std::string until = r.query.count("until") ? r.query.at("until") : "done";
    if (until != "done" && until != "started") {
      return BadRequest(ex, "query parameter until=" + until + " must be started or done");
    }
    Duration timeout;
    if (!QueryDuration(r, "timeout", std::chrono::seconds(30), timeout, ex)) return;
    const uint64_t id = next_poll_++;
    auto done = RespondJson<WaitAnswer>(ex, "/v1/jobs/{id}/wait", [](const WaitAnswer& a) {
      return Dump({{"reached", a.reached}, {"job", SummaryJson(a.job)}});
    });
    post_([ref, until_done = until == "done", id, done = std::move(done), gone = GoneWith(ex)](
              ServerCore& core) mutable { core.Wait(ref, until_done, id, std::move(done), std::move(gone)); });
    server_.After(Millis(timeout), [this, id] {
      post_([id](ServerCore& core) { core.ExpireWait(id); });
    });
    return;
  }
  if (verb == "logs") {
    if (m != "GET") return MethodNotAllowed(r, ex, "GET");
    auto task = r.query.find("task");
    if (task == r.query.end() || task->second.empty()) return BadRequest(ex, "query parameter task is required");
    uint64_t instance = 0, attempt = 0;
    if (!QueryUint(r, "instance", instance, ex) || !QueryUint(r, "attempt", attempt, ex)) return;
    if (instance > (1u << 30) || attempt > (1u << 15)) return BadRequest(ex, "instance or attempt out of range");
    auto done = Respond<std::string>(ex, "/v1/jobs/{id}/logs", [](const std::string& log) {
      return TextResponse(log, "text/plain; charset=utf-8", "");
    });
    return post_([ref, task = task->second, instance, attempt, done = std::move(done)](ServerCore& core) mutable {
      core.GetLog(ref, task, static_cast<int>(instance), static_cast<int>(attempt), std::move(done));
    });
  }
  return NotFound(r, ex);
}

void ApiRoutes::Agents(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  const std::string& m = r.method;
  if (parts.size() == 3 && parts[2] == "register") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    Result<wire::Registration> agent = wire::DecodeRegistration(r.body);
    if (!agent.ok()) return BadRequest(ex, agent.error().message);
    auto done = RespondJson<wire::RegisterAnswer>(ex, "/v1/agents/register", wire::EncodeRegisterAnswer);
    return post_([agent = std::move(*agent), done = std::move(done)](ServerCore& core) mutable {
      core.Register(std::move(agent), std::move(done));
    });
  }
  if (parts.size() != 4) return NotFound(r, ex);
  const std::string agent = parts[2];
  const std::string& verb = parts[3];
  if (verb == "heartbeat") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    Result<std::vector<wire::RunToken>> running = wire::DecodeHeartbeat(r.body);
    if (!running.ok()) return BadRequest(ex, running.error().message);
    auto done = RespondJson<std::vector<wire::RunToken>>(ex, "/v1/agents/{id}/heartbeat",
                                                         [](const std::vector<wire::RunToken>& kill) {
                                                           return wire::EncodeKillList(kill);
                                                         });
    return post_([agent, running = std::move(*running), done = std::move(done)](ServerCore& core) mutable {
      core.Heartbeat(agent, running, std::move(done));
    });
  }
  if (verb == "work") {
    if (m != "GET" && m != "POST") return MethodNotAllowed(r, ex, "GET, POST");
    WorkRequest request;
    if (m == "POST") {
      Result<std::vector<wire::RunReport>> reports = wire::DecodeReports(r.body);
      if (!reports.ok()) return BadRequest(ex, reports.error().message);
      request.reports = std::move(*reports);
    }
    Duration wait;
    uint64_t max = 1000;
    if (!QueryDuration(r, "wait", std::chrono::seconds(30), wait, ex) || !QueryUint(r, "max", max, ex)) return;
    request.max = static_cast<size_t>(std::clamp<uint64_t>(max, 1, 100000));
    request.wait = wait.count() > 0;
    request.poll_id = next_poll_++;
    auto done = RespondJson<wire::WorkAnswer>(ex, "/v1/agents/{id}/work", wire::EncodeWorkAnswer);
    const uint64_t id = request.poll_id;
    const bool parks = request.wait && request.reports.empty();
    post_([agent, request = std::move(request), done = std::move(done), gone = GoneWith(ex)](
              ServerCore& core) mutable { core.Work(agent, std::move(request), std::move(done), std::move(gone)); });
    if (parks) {
      server_.After(Millis(wait), [this, agent, id] {
        post_([agent, id](ServerCore& core) { core.ExpireWork(agent, id); });
      });
    }
    return;
  }
  if (verb == "status") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    Result<std::vector<wire::RunReport>> reports = wire::DecodeReports(r.body);
    if (!reports.ok()) return BadRequest(ex, reports.error().message);
    auto done = RespondJson<std::vector<wire::ReportResult>>(ex, "/v1/agents/{id}/status",
                                                             [](const std::vector<wire::ReportResult>& results) {
                                                               return wire::EncodeReportResults(results);
                                                             });
    return post_([agent, reports = std::move(*reports), done = std::move(done)](ServerCore& core) mutable {
      core.Reports(agent, reports, std::move(done));
    });
  }
  return NotFound(r, ex);
}

void ApiRoutes::Runs(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  if (parts.size() != 4) return NotFound(r, ex);
  uint64_t run = 0;
  const std::string& id = parts[2];
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), run);
  if (ec != std::errc() || end != id.data() + id.size() || run == 0) {
    return ex->Reply(ErrorResponse(404, "not_found", "no run " + id));
  }
  if (r.method != "POST") return MethodNotAllowed(r, ex, "POST");
  if (parts[3] == "status") {
    Result<wire::RunReport> report = wire::DecodeReport(r.body, run);
    if (!report.ok()) return BadRequest(ex, report.error().message);
    // One run: 200 {} once it is applied, or 409 with why its token is stale.
    Answer<std::vector<wire::ReportResult>> done = [ex](Result<std::vector<wire::ReportResult>> results) {
      if (!results.ok()) return ex->Reply(ErrorResponse(results.error()));
      const wire::ReportResult& result = results->front();
      HttpResponse response = result.ok ? JsonResponse(200, "{}", "") : ErrorResponse(409, kStaleRun, result.message);
      response.route = "/v1/runs/{id}/status";
      ex->Reply(std::move(response));
    };
    const std::string agent = report->agent;
    return post_([agent, report = std::move(*report), done = std::move(done)](ServerCore& core) mutable {
      core.Reports(agent, {report}, std::move(done));
    });
  }
  if (parts[3] == "log") {
    uint64_t epoch = 0;
    if (!QueryUint(r, "epoch", epoch, ex)) return;
    const std::string agent = r.query.count("agent") ? r.query.at("agent") : "";
    auto done = RespondJson<Unit>(ex, "/v1/runs/{id}/log", [](const Unit&) { return std::string("{}"); });
    return post_([run, epoch, agent, body = r.body, done = std::move(done)](ServerCore& core) mutable {
      core.StoreLog(run, epoch, agent, std::move(body), std::move(done));
    });
  }
  return NotFound(r, ex);
}

void ApiRoutes::Events(const HttpRequest& r, ExchangePtr ex) {
  uint64_t since = 0;
  if (!QueryUint(r, "since", since, ex)) return;
  const std::string last_id = r.Header("last-event-id");
  if (!last_id.empty()) {
    auto [end, ec] = std::from_chars(last_id.data(), last_id.data() + last_id.size(), since);
    if (ec != std::errc() || end != last_id.data() + last_id.size()) {
      return BadRequest(ex, "Last-Event-ID: " + last_id + " is not a seq");
    }
  }
  const std::string follow = r.query.count("follow") ? r.query.at("follow") : "1";
  events_.Open(since, follow != "0" && follow != "false", std::move(ex));
}

}  // namespace rota
