#include "api/routes.h"

#include <algorithm>
#include <charconv>

#include "api/api_codec.h"
#include "core/units.h"

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

void MethodNotAllowed(const HttpRequest& r, ExchangePtr& ex, const char* allow) {
  HttpResponse resp = ErrorResponse(405, "method_not_allowed",
                                    r.method + " is not allowed on " + r.path + "; use " + allow);
  resp.headers.emplace_back("Allow", allow);
  ex->Reply(std::move(resp));
}

void NotFound(const HttpRequest& r, ExchangePtr& ex) {
  ex->Reply(ErrorResponse(404, "not_found", "no such route: " + r.method + " " + r.path));
}

void BadRequest(ExchangePtr& ex, const std::string& message) {
  ex->Reply(ErrorResponse(400, "bad_request", message));
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

}  // namespace

void ApiRoutes::Handle(HttpRequest request, std::shared_ptr<HttpExchange> ex) {
  const std::vector<std::string> parts = SplitPath(request.path);
  const std::string& m = request.method;
  if (parts.empty()) {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    HttpResponse r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "rota server. The API is under /v1 (see docs/api.md); /metrics, /healthz.\n";
    r.route = "/";
    return ex->Reply(std::move(r));
  }
  if (parts.size() == 1 && parts[0] == "healthz") {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    HttpResponse r = JsonResponse(200, "{\"status\":\"ok\"}");
    r.route = "/healthz";
    return ex->Reply(std::move(r));
  }
  if (parts.size() == 1 && parts[0] == "metrics") {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    Histogram* latency = &http_latency_;
    return post_([latency, ex](ServerCore& core) mutable { core.Metrics(*latency, std::move(ex)); });
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
    return post_([key, ex](ServerCore& core) mutable { core.PostSignal(key, std::move(ex)); });
  }
  if (area == "hosts" && parts.size() == 2) {
    if (m != "GET") return MethodNotAllowed(request, ex, "GET");
    return post_([ex](ServerCore& core) mutable { core.Hosts(std::move(ex)); });
  }
  if (area == "config" && parts.size() == 2) {
    if (m == "GET") return post_([ex](ServerCore& core) mutable { core.GetConfig(std::move(ex)); });
    if (m != "PUT") return MethodNotAllowed(request, ex, "GET, PUT");
    Result<std::map<std::string, std::string>> values = DecodeConfig(request.body);
    if (!values.ok()) return BadRequest(ex, values.error().message);
    return post_([values = std::move(*values), ex](ServerCore& core) mutable {
      core.PutConfig(values, std::move(ex));
    });
  }
  return NotFound(request, ex);
}

void ApiRoutes::Jobs(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  const std::string& m = r.method;
  if (parts.size() == 2) {
    if (m == "POST") {
      auto source = r.query.find("source");
      Result<JobSpec> spec = DecodeSpec(r.body, source == r.query.end() ? "" : source->second);
      if (!spec.ok()) return ex->Reply(ErrorResponse(400, "invalid_spec", spec.error().message));
      return post_([spec = std::move(*spec), text = r.body, ex](ServerCore& core) mutable {
        core.Submit(std::move(spec), std::move(text), std::move(ex));
      });
    }
    if (m != "GET") return MethodNotAllowed(r, ex, "GET, POST");
    std::string state = r.query.count("state") ? r.query.at("state") : "";
    static const char* kStates[] = {"", "pending", "running", "succeeded", "failed", "cancelled"};
    if (std::find(std::begin(kStates), std::end(kStates), state) == std::end(kStates)) {
      return BadRequest(ex, "query parameter state=" + state +
                                " must be pending, running, succeeded, failed or cancelled");
    }
    std::string queue = r.query.count("queue") ? r.query.at("queue") : "";
    uint64_t limit = 100000;
    if (!QueryUint(r, "limit", limit, ex)) return;
    const bool archived = r.query.count("all") && r.query.at("all") != "0";
    return post_([state, queue, limit, archived, ex](ServerCore& core) mutable {
      core.ListJobs(state, queue, limit, archived, std::move(ex));
    });
  }
  const std::string ref = parts[2];
  if (parts.size() == 3) {
    if (m != "GET") return MethodNotAllowed(r, ex, "GET");
    return post_([ref, ex](ServerCore& core) mutable { core.ShowJob(ref, std::move(ex)); });
  }
  if (parts.size() != 4) return NotFound(r, ex);
  const std::string& verb = parts[3];
  if (verb == "cancel") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    return post_([ref, ex](ServerCore& core) mutable { core.CancelJob(ref, std::move(ex)); });
  }
  if (verb == "retry") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    return post_([ref, ex](ServerCore& core) mutable { core.RetryJob(ref, std::move(ex)); });
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
    post_([ref, done = until == "done", id, ex](ServerCore& core) mutable {
      core.Wait(ref, done, id, std::move(ex));
    });
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
    return post_([ref, task = task->second, instance, attempt, ex](ServerCore& core) mutable {
      core.GetLog(ref, task, static_cast<int>(instance), static_cast<int>(attempt), std::move(ex));
    });
  }
  return NotFound(r, ex);
}

void ApiRoutes::Agents(const HttpRequest& r, const std::vector<std::string>& parts, ExchangePtr ex) {
  const std::string& m = r.method;
  if (parts.size() == 3 && parts[2] == "register") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    Result<AgentRegistration> agent = DecodeRegistration(r.body);
    if (!agent.ok()) return BadRequest(ex, agent.error().message);
    return post_([agent = std::move(*agent), ex](ServerCore& core) mutable {
      core.Register(std::move(agent), std::move(ex));
    });
  }
  if (parts.size() != 4) return NotFound(r, ex);
  const std::string agent = parts[2];
  const std::string& verb = parts[3];
  if (verb == "heartbeat") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    Result<std::vector<RunToken>> running = DecodeHeartbeat(r.body);
    if (!running.ok()) return BadRequest(ex, running.error().message);
    return post_([agent, running = std::move(*running), ex](ServerCore& core) mutable {
      core.Heartbeat(agent, running, std::move(ex));
    });
  }
  if (verb == "work") {
    if (m != "GET") return MethodNotAllowed(r, ex, "GET");
    Duration wait;
    uint64_t max = 1000;
    if (!QueryDuration(r, "wait", std::chrono::seconds(30), wait, ex) || !QueryUint(r, "max", max, ex)) return;
    if (max == 0) max = 1;
    const uint64_t id = next_poll_++;
    post_([agent, max, id, ex](ServerCore& core) mutable {
      core.Work(agent, static_cast<size_t>(std::min<uint64_t>(max, 100000)), id, std::move(ex));
    });
    server_.After(Millis(wait), [this, agent, id] {
      post_([agent, id](ServerCore& core) { core.ExpireWork(agent, id); });
    });
    return;
  }
  if (verb == "status") {
    if (m != "POST") return MethodNotAllowed(r, ex, "POST");
    Result<std::vector<RunReport>> reports = DecodeReports(r.body);
    if (!reports.ok()) return BadRequest(ex, reports.error().message);
    return post_([agent, reports = std::move(*reports), ex](ServerCore& core) mutable {
      core.Reports(agent, reports, /*batch=*/true, std::move(ex));
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
    Result<RunReport> report = DecodeReport(r.body, run);
    if (!report.ok()) return BadRequest(ex, report.error().message);
    return post_([report = std::move(*report), ex](ServerCore& core) mutable {
      core.Reports(report.agent, {report}, /*batch=*/false, std::move(ex));
    });
  }
  if (parts[3] == "log") {
    uint64_t epoch = 0;
    if (!QueryUint(r, "epoch", epoch, ex)) return;
    const std::string agent = r.query.count("agent") ? r.query.at("agent") : "";
    return post_([run, epoch, agent, body = r.body, ex](ServerCore& core) mutable {
      core.StoreLog(run, epoch, agent, std::move(body), std::move(ex));
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
