#include "api/api_codec.h"

#include <nlohmann/json.hpp>

#include "core/validate.h"
#include "spec/spec_parser.h"

namespace rota {

using json = nlohmann::json;

namespace {

Error Bad(const std::string& message) { return MakeError("bad_request", message); }

Result<json> ParseObject(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("the body is not valid JSON");
  if (!j.is_object()) return Bad("the body must be a JSON object");
  return j;
}

// Reads optional field `name` of `j` into `out` when present; false (and `error`) on a wrong type.
bool Uint(const json& j, const char* name, uint64_t& out, std::string& error, bool required = false) {
  auto it = j.find(name);
  if (it == j.end()) {
    if (required) error = std::string("missing field \"") + name + "\"";
    return !required;
  }
  if (!it->is_number_unsigned()) {
    error = std::string("field \"") + name + "\" must be a non-negative integer";
    return false;
  }
  out = it->get<uint64_t>();
  return true;
}

bool Int(const json& j, const char* name, int& out, std::string& error) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_number_integer() || it->get<int64_t>() < -(1 << 30) || it->get<int64_t>() > (1 << 30)) {
    error = std::string("field \"") + name + "\" must be an integer";
    return false;
  }
  out = static_cast<int>(it->get<int64_t>());
  return true;
}

bool String(const json& j, const char* name, std::string& out, std::string& error) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_string()) {
    error = std::string("field \"") + name + "\" must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool Bool(const json& j, const char* name, bool& out, std::string& error) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_boolean()) {
    error = std::string("field \"") + name + "\" must be true or false";
    return false;
  }
  out = it->get<bool>();
  return true;
}

bool Strings(const json& j, const char* name, std::vector<std::string>& out, std::string& error) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) {
    error = std::string("field \"") + name + "\" must be a list of strings";
    return false;
  }
  for (const json& v : *it) {
    if (!v.is_string()) {
      error = std::string("field \"") + name + "\" must be a list of strings";
      return false;
    }
    out.push_back(v.get<std::string>());
  }
  return true;
}

bool Tokens(const json& j, const char* name, std::vector<RunToken>& out, std::string& error) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) {
    error = std::string("field \"") + name + "\" must be a list of {run, epoch}";
    return false;
  }
  for (const json& v : *it) {
    uint64_t run = 0, epoch = 0;
    if (!v.is_object() || !Uint(v, "run", run, error, true) || !Uint(v, "epoch", epoch, error)) {
      error = std::string("field \"") + name + "\": " + (error.empty() ? "entries must be {run, epoch}" : error);
      return false;
    }
    out.emplace_back(run, epoch);
  }
  return true;
}

Result<RunReport> ReportFrom(const json& j, RunId run) {
  if (!j.is_object()) return Bad("a report must be a JSON object");
  RunReport r;
  r.run = run;
  std::string error, state = "exited";
  uint64_t run_field = run;
  if (!Uint(j, "run", run_field, error, run == 0) || !Uint(j, "epoch", r.epoch, error) ||
      !String(j, "state", state, error) || !Int(j, "exit_code", r.exit_code, error) ||
      !Int(j, "term_signal", r.term_signal, error) ||
      !Bool(j, "launch_failed", r.launch_failed, error) || !String(j, "error", r.error, error) ||
      !String(j, "agent", r.agent, error)) {
    return Bad(error);
  }
  if (run == 0) r.run = run_field;
  if (state != "exited" && state != "lost") {
    return Bad("field \"state\" must be \"exited\" or \"lost\", not \"" + state + "\"");
  }
  r.lost = state == "lost";
  return r;
}

}  // namespace

Result<AgentRegistration> DecodeRegistration(std::string_view body) {
  Result<json> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.error();
  const json& j = *parsed;
  AgentRegistration a;
  std::string error;
  if (!String(j, "name", a.name, error)) return Bad(error);
  if (!IsValidName(a.name)) return Bad("field \"name\" must be 1-128 of [A-Za-z0-9._-], and not \".\" or \"..\"");
  auto cores = j.find("cores");
  if (cores == j.end() || !cores->is_number() || cores->get<double>() < 0 || cores->get<double>() > 1e6) {
    return Bad("field \"cores\" must be a number from 0 to 1000000");
  }
  a.total.cores = cores->get<double>();
  uint64_t memory = 0, gpus = 0;
  if (!Uint(j, "memory", memory, error) || !Uint(j, "gpus", gpus, error)) return Bad(error);
  if (memory > (uint64_t{1} << 60) || gpus > 100000) return Bad("field \"memory\" or \"gpus\" is out of range");
  a.total.memory = static_cast<int64_t>(memory);
  a.total.gpus = static_cast<int>(gpus);
  if (!Strings(j, "tags", a.tags, error) || !Strings(j, "pools", a.pools, error) ||
      !Tokens(j, "running", a.running, error)) {
    return Bad(error);
  }
  return a;
}

Result<std::vector<RunToken>> DecodeHeartbeat(std::string_view body) {
  if (body.empty()) return std::vector<RunToken>{};
  Result<json> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.error();
  std::vector<RunToken> running;
  std::string error;
  if (!Tokens(*parsed, "running", running, error)) return Bad(error);
  return running;
}

Result<std::vector<RunReport>> DecodeReports(std::string_view body) {
  Result<json> parsed = ParseObject(body);
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

Result<RunReport> DecodeReport(std::string_view body, RunId run) {
  Result<json> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.error();
  return ReportFrom(*parsed, run);
}

Result<std::map<std::string, std::string>> DecodeConfig(std::string_view body) {
  Result<json> parsed = ParseObject(body);
  if (!parsed.ok()) return parsed.error();
  std::map<std::string, std::string> values;
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    if (it.value().is_string()) {
      values[it.key()] = it.value().get<std::string>();
    } else if (it.value().is_number() || it.value().is_boolean()) {
      values[it.key()] = it.value().dump();
    } else {
      return Bad("config value of \"" + it.key() + "\" must be a string, number or boolean");
    }
  }
  return values;
}

Result<JobSpec> DecodeSpec(std::string_view body, std::string_view source) {
  ParsedSpec parsed = ParseSpec(body, source);
  std::vector<Error> errors = std::move(parsed.errors);
  if (errors.empty()) {
    ValidateOptions options;
    options.local = false;
    options.default_max_workers = kUnlimitedWorkers;   // as the server's engine treats them
    errors = ValidateJob(parsed.job, options);
  }
  if (errors.empty()) {
    for (const TaskSpec& task : parsed.job.tasks) {
      for (const Requirement& r : task.requirements) {
        if (r.kind != Requirement::Kind::kJob) continue;
        errors.push_back(MakeError("invalid_spec", Where(parsed.job, r.line) + task.name +
                                                       " requires job \"" + r.target +
                                                       "\": requirements on other jobs are not "
                                                       "supported by this server yet"));
      }
    }
  }
  if (errors.empty()) return std::move(parsed.job);
  std::string message;
  for (const Error& e : errors) {
    if (!message.empty()) message += "\n";
    message += e.message;
  }
  return MakeError("invalid_spec", message);
}

}  // namespace rota
