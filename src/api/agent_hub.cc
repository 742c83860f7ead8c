#include "api/agent_hub.h"

#include "core/frame_set.h"
#include "engine/event_json.h"

namespace rota {

namespace {

// Appends one JSON object's fields to `out`, commas included.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  template <class Integer>
  void Number(std::string_view key, Integer value) { Key(key) += std::to_string(value); }
  void String(std::string_view key, std::string_view value) { AppendJsonString(value, Key(key)); }
  void Bool(std::string_view key, bool value) { Key(key) += value ? "true" : "false"; }
  void Strings(std::string_view key, std::span<const std::string> values) {
    std::string& out = Key(key);
    out += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(values[i], out);
    }
    out += ']';
  }
  void Map(std::string_view key, const std::map<std::string, std::string>& values) {
    std::string& out = Key(key);
    out += '{';
    bool first = true;
    for (const auto& [k, v] : values) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(k, out);
      out += ':';
      AppendJsonString(v, out);
    }
    out += '}';
  }

 private:
  std::string& Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonString(key, out_);
    out_ += ':';
    return out_;
  }
  std::string& out_;
  bool first_ = true;
};

// The assignment of docs/api.md, "Agents".
std::string AssignmentJson(const LaunchRequest& r) {
  static const std::map<std::string, std::string> kNoEnv;
  std::string out;
  {
    ObjectWriter o(out);
    o.Number("run", r.run);
    o.Number("epoch", r.epoch);
    o.String("job", r.job);
    o.Number("job_id", r.job_id);
    o.String("task", r.task);
    o.Number("instance", r.instance);
    o.Number("attempt", r.attempt);
    o.String("frames", r.frames.empty() ? std::string() : FormatFrames(r.frames));
    if (!r.frames.empty()) {
      o.Number("frame_start", r.frames.front());
      o.Number("frame_end", r.frames.back());
    }
    o.String("command", r.shell ? r.command : std::string_view());
    o.Bool("shell", r.shell);
    o.Strings("argv", r.shell ? std::span<const std::string>() : r.argv);
    o.Map("env", r.env != nullptr ? *r.env : kNoEnv);
    o.String("cwd", r.cwd);
  }
  return out;
}

}  // namespace

Launched AgentHub::Launch(const LaunchRequest& request) {
  const std::string host(request.host);
  Outbox& box = boxes_[host];
  box.assign.emplace_back(request.run, AssignmentJson(request));
  box.queued.insert(request.run);
  woken_.push_back(host);
  return {};
}

void AgentHub::Signal(RunId run, int signo) {
  const RunView v = engine_->Run(run);
  if (!v.active || v.host.empty()) return;
  const std::string host(v.host);
  boxes_[host].signal.push_back("{\"run\":" + std::to_string(run) +
                                ",\"epoch\":" + std::to_string(v.epoch) +
                                ",\"signo\":" + std::to_string(signo) + "}");
  woken_.push_back(host);
}

void AgentHub::Answer(Outbox& box, std::shared_ptr<HttpExchange> exchange, size_t max) {
  std::string body = "{\"assign\":[";
  for (size_t n = 0; n < max && !box.assign.empty();) {
    auto& [run, assignment] = box.assign.front();
    if (engine_->Run(run).active) {   // a run cancelled or lost before delivery is not sent
      if (n++ > 0) body += ',';
      body += assignment;
    }
    box.queued.erase(run);
    box.assign.pop_front();
  }
  body += "],\"signal\":[";
  for (size_t n = 0; !box.signal.empty(); ++n) {
    if (n > 0) body += ',';
    body += box.signal.front();
    box.signal.pop_front();
  }
  body += "]}";
  HttpResponse r = JsonResponse(200, std::move(body));
  r.route = "/v1/agents/{id}/work";
  replies_.Add(std::move(exchange), std::move(r));
}

void AgentHub::Poll(const std::string& host, std::shared_ptr<HttpExchange> exchange, size_t max,
                    uint64_t poll_id) {
  Outbox& box = boxes_[host];
  if (box.parked) Answer(box, std::move(box.parked), box.max);  // a newer poll replaces it
  box.parked = nullptr;
  if (!box.assign.empty() || !box.signal.empty()) {
    Answer(box, std::move(exchange), max);
    return;
  }
  box.parked = std::move(exchange);
  box.poll_id = poll_id;
  box.max = max;
}

void AgentHub::Expire(const std::string& host, uint64_t poll_id) {
  auto it = boxes_.find(host);
  if (it == boxes_.end() || !it->second.parked || it->second.poll_id != poll_id) return;
  Answer(it->second, std::move(it->second.parked), it->second.max);
  it->second.parked = nullptr;
}

void AgentHub::Deliver() {
  for (const std::string& host : woken_) {
    Outbox& box = boxes_[host];
    if (!box.parked) continue;
    if (box.parked->closed()) {   // the agent went away: keep its work for its next poll
      box.parked = nullptr;
      continue;
    }
    Answer(box, std::move(box.parked), box.max);
    box.parked = nullptr;
  }
  woken_.clear();
}

bool AgentHub::Queued(const std::string& host, RunId run) const {
  auto it = boxes_.find(host);
  return it != boxes_.end() && it->second.queued.count(run) > 0;
}

}  // namespace rota
