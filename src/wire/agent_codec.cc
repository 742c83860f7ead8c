#include "wire/agent_codec.h"

#include "core/json_text.h"
#include "core/names.h"
#include "wire/json_fields.h"

namespace rota::wire {
namespace {

using nlohmann::json;

constexpr const char* kBadRequest = "bad_request";
constexpr const char* kStateExited = "exited";
constexpr const char* kStateLost = "lost";

Error Bad(const std::string& message) { return MakeError(kBadRequest, message); }

Error BadReply(const std::string& what) {
  return MakeError("bad_reply", "the server's answer is not what rota expects: " + what);
}

// --- writing ---

void AppendTokens(std::span<const RunToken> tokens, std::string& out) {
  out += '[';
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += ',';
    JsonObjectWriter o(out);
    o.Number("run", tokens[i].run);
    o.Number("epoch", tokens[i].epoch);
  }
  out += ']';
}

// `with_run`: the batch form names the run; the single-run form has it in the path and names
// its agent instead.
void AppendReport(const RunReport& r, bool with_run, std::string& out) {
  JsonObjectWriter o(out);
  if (with_run) o.Number("run", r.run);
  o.Number("epoch", r.epoch);
  if (!with_run && !r.agent.empty()) o.String("agent", r.agent);
  o.String("state", r.lost ? kStateLost : kStateExited);
  o.Number("exit_code", r.exit_code);
  o.Number("term_signal", r.term_signal);
  o.Bool("launch_failed", r.launch_failed);
  o.String("error", r.error);
}

void AppendAssignment(const Assignment& a, std::string& out) {
  JsonObjectWriter o(out);
  o.Number("run", a.run);
  o.Number("epoch", a.epoch);
  o.String("job", a.job);
  o.Number("job_id", a.job_id);
  o.String("task", a.task);
  o.Number("instance", a.instance);
  o.Number("attempt", a.attempt);
  o.String("frames", a.frames);
  if (!a.frames.empty()) {
    o.Number("frame_start", a.frame_start);
    o.Number("frame_end", a.frame_end);
  }
  o.String("command", a.command);
  o.Bool("shell", a.shell);
  o.Strings("argv", a.argv);
  o.StringMap("env", a.env);
  o.String("cwd", a.cwd);
  if (a.lease_epoch != 0) {
    o.String("pool", a.pool);
    o.Number("lease_epoch", a.lease_epoch);
  }
}

void AppendResults(std::span<const ReportResult> results, std::string& out) {
  out += '[';
  for (size_t i = 0; i < results.size(); ++i) {
    if (i > 0) out += ',';
    JsonObjectWriter o(out);
    o.Number("run", results[i].run);
    o.Bool("ok", results[i].ok);
    if (!results[i].ok) {
      o.String("error", results[i].error);
      o.String("message", results[i].message);
    }
  }
  out += ']';
}

// {"<key>": <what `append` writes>}
template <class Append>
std::string OneField(std::string_view key, Append append) {
  std::string out;
  {
    JsonObjectWriter o(out);
    append(o.Raw(key));
  }
  return out;
}

// --- reading what agents send (strict) ---

// A list of {run, epoch} under `name`.
bool ReadTokens(FieldReader& fields, const char* name, std::vector<RunToken>& out, std::string& error) {
  const json* list = nullptr;
  if (!fields.Array(name, list)) {
    error = std::string("field \"") + name + "\" must be a list of {run, epoch}";
    return false;
  }
  if (list == nullptr) return true;
  for (const json& entry : *list) {
    RunToken token;
    if (!entry.is_object()) {
      error = std::string("field \"") + name + "\": entries must be {run, epoch}";
      return false;
    }
    FieldReader f(entry);
    if (!f.Uint("run", token.run, /*required=*/true) || !f.Uint("epoch", token.epoch)) {
      error = std::string("field \"") + name + "\": " + f.error();
      return false;
    }
    out.push_back(token);
  }
  return true;
}

Result<RunReport> ReportFrom(const json& j, RunId run) {
  if (!j.is_object()) return Bad("a report must be a JSON object");
  RunReport r;
  r.run = run;
  std::string state = kStateExited;
  FieldReader f(j);
  uint64_t run_field = 0;
  if ((run == 0 && !f.Uint("run", run_field, /*required=*/true)) || !f.Uint("epoch", r.epoch) ||
      !f.String("state", state) || !f.Int("exit_code", r.exit_code) ||
      !f.Int("term_signal", r.term_signal) || !f.Bool("launch_failed", r.launch_failed) ||
      !f.String("error", r.error) || !f.String("agent", r.agent)) {
    return Bad(f.error());
  }
  if (run == 0) r.run = run_field;
  if (state != kStateExited && state != kStateLost) {
    return Bad("field \"state\" must be \"exited\" or \"lost\", not \"" + state + "\"");
  }
  r.lost = state == kStateLost;
  return r;
}

// --- reading what the server answers ---

// Runs `decode` on the parsed answer; a malformed answer (or nlohmann's exception about a field
// of the wrong type) is a "bad_reply" Error.
template <class T, class Fn>
Result<T> DecodeAnswer(std::string_view body, Fn decode) {
  try {
    const json doc = json::parse(body);
    if (!doc.is_object()) return BadReply("expected a JSON object");
    return decode(doc);
  } catch (const json::exception& e) {
    return BadReply(e.what());
  }
}

std::vector<RunToken> TokensOf(const json& object, const char* key) {
  std::vector<RunToken> tokens;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return tokens;
  for (const json& entry : *it) {
    tokens.push_back({entry.at("run").get<RunId>(), entry.value("epoch", Epoch{0})});
  }
  return tokens;
}

Assignment AssignmentOf(const json& entry) {
  Assignment a;
  a.run = entry.at("run").get<RunId>();
  a.epoch = entry.value("epoch", Epoch{0});
  a.job = entry.value("job", std::string());
  a.job_id = entry.value("job_id", uint64_t{0});
  a.task = entry.value("task", std::string());
  a.instance = entry.value("instance", 0);
  a.attempt = entry.value("attempt", 1);
  a.frames = entry.value("frames", std::string());
  a.frame_start = entry.value("frame_start", int64_t{0});
  a.frame_end = entry.value("frame_end", int64_t{0});
  a.command = entry.value("command", std::string());
  a.shell = entry.value("shell", true);
  if (auto it = entry.find("argv"); it != entry.end() && !it->is_null()) {
    a.argv = it->get<std::vector<std::string>>();
  }
  if (auto it = entry.find("env"); it != entry.end() && !it->is_null()) {
    a.env = it->get<std::map<std::string, std::string>>();
  }
  a.cwd = entry.value("cwd", std::string());
  a.pool = entry.value("pool", std::string());
  a.lease_epoch = entry.value("lease_epoch", uint64_t{0});
  return a;
}

std::vector<ReportResult> ResultsOf(const json& doc) {
  std::vector<ReportResult> results;
  auto list = doc.find("results");
  if (list == doc.end() || list->is_null()) return results;
  for (const json& entry : *list) {
    ReportResult result{entry.at("run").get<RunId>(), entry.value("ok", false), "", ""};
    if (auto it = entry.find("error"); it != entry.end() && it->is_string()) {
      result.error = it->get<std::string>();
    } else if (it != entry.end() && it->is_object()) {   // {"code", "message"}, tolerated
      result.error = it->value("code", std::string());
    }
    if (auto it = entry.find("message"); it != entry.end() && it->is_string()) {
      result.message = it->get<std::string>();
    }
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace

// --- agent -> server ---

std::string EncodeRegistration(const Registration& r) {
  std::string out;
  {
    JsonObjectWriter o(out);
    o.String("name", r.name);
    o.Double("cores", r.cores);
    o.Number("memory", r.memory);
    o.Number("gpus", r.gpus);
    o.Strings("tags", r.tags);
    o.Strings("pools", r.pools);
    AppendTokens(r.running, o.Raw("running"));
  }
  return out;
}

Result<Registration> DecodeRegistration(std::string_view body) {
  Result<json> parsed = ParseObject(body, kBadRequest);
  if (!parsed.ok()) return parsed.error();
  Registration r;
  FieldReader f(*parsed);
  if (!f.String("name", r.name)) return Bad(f.error());
  if (!IsValidName(r.name)) {
    return Bad("field \"name\" must be 1-128 of [A-Za-z0-9._-], and not \".\" or \"..\"");
  }
  uint64_t memory = 0, gpus = 0;
  if (!f.Number("cores", r.cores, 0, 1e6, /*required=*/true) || !f.Uint("memory", memory) ||
      !f.Uint("gpus", gpus)) {
    return Bad(f.error());
  }
  if (memory > (uint64_t{1} << 60) || gpus > 100000) {
    return Bad("field \"memory\" or \"gpus\" is out of range");
  }
  r.memory = static_cast<int64_t>(memory);
  r.gpus = static_cast<int>(gpus);
  std::string error;
  if (!f.Strings("tags", r.tags) || !f.Strings("pools", r.pools)) return Bad(f.error());
  if (!ReadTokens(f, "running", r.running, error)) return Bad(error);
  return r;
}

std::string EncodeHeartbeat(std::span<const RunToken> running) {
  return OneField("running", [&](std::string& out) { AppendTokens(running, out); });
}

Result<std::vector<RunToken>> DecodeHeartbeat(std::string_view body) {
  if (body.empty()) return std::vector<RunToken>{};
  Result<json> parsed = ParseObject(body, kBadRequest);
  if (!parsed.ok()) return parsed.error();
  std::vector<RunToken> running;
  FieldReader f(*parsed);
  std::string error;
  if (!ReadTokens(f, "running", running, error)) return Bad(error);
  return running;
}

std::string EncodeReports(std::span<const RunReport> reports) {
  std::string out = "{\"reports\":[";
  for (size_t i = 0; i < reports.size(); ++i) {
    if (i > 0) out += ',';
    AppendReport(reports[i], /*with_run=*/true, out);
  }
  out += "]}";
  return out;
}

Result<std::vector<RunReport>> DecodeReports(std::string_view body) {
  if (body.empty()) return std::vector<RunReport>{};
  Result<json> parsed = ParseObject(body, kBadRequest);
  if (!parsed.ok()) return parsed.error();
  auto it = parsed->find("reports");
  if (it == parsed->end() || !it->is_array()) return Bad("field \"reports\" must be a list");
  std::vector<RunReport> reports;
  reports.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    Result<RunReport> r = ReportFrom((*it)[i], 0);
    if (!r.ok()) return Bad("reports[" + std::to_string(i) + "]: " + r.error().message);
    reports.push_back(std::move(*r));
  }
  return reports;
}

std::string EncodeReport(const RunReport& report) {
  std::string out;
  AppendReport(report, /*with_run=*/false, out);
  return out;
}

Result<RunReport> DecodeReport(std::string_view body, RunId run) {
  Result<json> parsed = ParseObject(body, kBadRequest);
  if (!parsed.ok()) return parsed.error();
  return ReportFrom(*parsed, run);
}

// --- server -> agent ---

std::string EncodeRegisterAnswer(const RegisterAnswer& answer) {
  std::string out;
  {
    JsonObjectWriter o(out);
    o.String("id", answer.id);
    o.Number("heartbeat_ms", answer.heartbeat.count());
    AppendTokens(answer.kill, o.Raw("kill"));
  }
  return out;
}

Result<RegisterAnswer> DecodeRegisterAnswer(std::string_view body) {
  return DecodeAnswer<RegisterAnswer>(body, [](const json& doc) {
    RegisterAnswer answer;
    answer.id = doc.at("id").get<std::string>();
    answer.heartbeat = std::chrono::milliseconds(doc.value("heartbeat_ms", int64_t{2000}));
    answer.kill = TokensOf(doc, "kill");
    return answer;
  });
}

std::string EncodeKillList(std::span<const RunToken> kill) {
  return OneField("kill", [&](std::string& out) { AppendTokens(kill, out); });
}

Result<std::vector<RunToken>> DecodeKillList(std::string_view body) {
  return DecodeAnswer<std::vector<RunToken>>(body, [](const json& doc) { return TokensOf(doc, "kill"); });
}

std::string EncodeWorkAnswer(const WorkAnswer& answer) {
  std::string out;
  {
    JsonObjectWriter o(out);
    if (!answer.results.empty()) AppendResults(answer.results, o.Raw("results"));
    std::string& assign = o.Raw("assign");
    assign += '[';
    for (size_t i = 0; i < answer.assign.size(); ++i) {
      if (i > 0) assign += ',';
      AppendAssignment(answer.assign[i], assign);
    }
    assign += ']';
    std::string& signal = o.Raw("signal");
    signal += '[';
    for (size_t i = 0; i < answer.signal.size(); ++i) {
      if (i > 0) signal += ',';
      JsonObjectWriter s(signal);
      s.Number("run", answer.signal[i].run);
      s.Number("epoch", answer.signal[i].epoch);
      s.Number("signo", answer.signal[i].signo);
    }
    signal += ']';
    if (!answer.kill.empty()) AppendTokens(answer.kill, o.Raw("kill"));
  }
  return out;
}

Result<WorkAnswer> DecodeWorkAnswer(std::string_view body) {
  return DecodeAnswer<WorkAnswer>(body, [](const json& doc) {
    WorkAnswer answer;
    answer.results = ResultsOf(doc);
    if (auto it = doc.find("assign"); it != doc.end() && !it->is_null()) {
      for (const json& entry : *it) answer.assign.push_back(AssignmentOf(entry));
    }
    if (auto it = doc.find("signal"); it != doc.end() && !it->is_null()) {
      for (const json& entry : *it) {
        answer.signal.push_back({entry.at("run").get<RunId>(), entry.value("epoch", Epoch{0}),
                                 entry.at("signo").get<int>()});
      }
    }
    answer.kill = TokensOf(doc, "kill");
    return answer;
  });
}

std::string EncodeReportResults(std::span<const ReportResult> results) {
  return OneField("results", [&](std::string& out) { AppendResults(results, out); });
}

Result<std::vector<ReportResult>> DecodeReportResults(std::string_view body) {
  return DecodeAnswer<std::vector<ReportResult>>(body, [](const json& doc) {
    if (!doc.contains("results")) throw json::out_of_range::create(403, "key 'results' not found", &doc);
    return ResultsOf(doc);
  });
}

std::string ErrorMessageOf(std::string_view body) {
  const json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    auto error = doc.find("error");
    if (error != doc.end() && error->is_object()) {
      auto message = error->find("message");
      if (message != error->end() && message->is_string()) return message->get<std::string>();
    }
  }
  constexpr size_t kMax = 200;
  return std::string(body.substr(0, kMax));
}

}  // namespace rota::wire
