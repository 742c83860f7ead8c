#include "agent/protocol.h"

#include <nlohmann/json.hpp>

namespace rota::agent {
namespace {

using nlohmann::json;

Error BadReply(const std::string& what) {
  return MakeError("bad_reply", "the server's answer is not what rota expects: " + what);
}

json TokensJson(std::span<const RunToken> tokens) {
  json list = json::array();
  for (const RunToken& token : tokens) list.push_back({{"run", token.run}, {"epoch", token.epoch}});
  return list;
}

// A list of {"run", "epoch"} under `key`; absent or null means empty.
std::vector<RunToken> TokensOf(const json& object, const char* key) {
  std::vector<RunToken> tokens;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return tokens;
  for (const json& entry : *it) {
    tokens.push_back({entry.at("run").get<RunId>(), entry.value("epoch", Epoch{0})});
  }
  return tokens;
}

// Runs `decode` on the parsed body, turning nlohmann's exceptions into a "bad_reply" Error.
template <class T, class Fn>
Result<T> Decode(std::string_view body, Fn decode) {
  try {
    const json doc = json::parse(body);
    if (!doc.is_object()) return BadReply("expected a JSON object");
    return decode(doc);
  } catch (const json::exception& e) {
    return BadReply(e.what());
  }
}

Assignment AssignmentOf(const json& entry) {
  Assignment a;
  a.run = entry.at("run").get<RunId>();
  a.epoch = entry.value("epoch", Epoch{0});
  a.job = entry.value("job", std::string());
  a.job_id = entry.value("job_id", int64_t{0});
  a.task = entry.value("task", std::string());
  a.instance = entry.value("instance", 0);
  a.attempt = entry.value("attempt", 1);
  a.frames = entry.value("frames", std::string());
  a.command = entry.value("command", std::string());
  a.shell = entry.value("shell", true);
  if (auto it = entry.find("argv"); it != entry.end() && !it->is_null()) {
    a.argv = it->get<std::vector<std::string>>();
  }
  if (auto it = entry.find("env"); it != entry.end() && !it->is_null()) {
    a.env = it->get<std::map<std::string, std::string>>();
  }
  a.cwd = entry.value("cwd", std::string());
  return a;
}

}  // namespace

std::string EncodeRegistration(const Registration& r) {
  json doc = {{"name", r.name},
              {"cores", r.cores},
              {"memory", r.memory},
              {"gpus", r.gpus},
              {"tags", r.tags},
              {"pools", r.pools},
              {"running", TokensJson(r.running)}};
  return doc.dump();
}

Result<RegisterAnswer> DecodeRegisterAnswer(std::string_view body) {
  return Decode<RegisterAnswer>(body, [](const json& doc) {
    RegisterAnswer answer;
    answer.id = doc.at("id").get<std::string>();
    answer.heartbeat = std::chrono::milliseconds(doc.value("heartbeat_ms", int64_t{2000}));
    answer.kill = TokensOf(doc, "kill");
    return answer;
  });
}

std::string EncodeHeartbeat(std::span<const RunToken> running) {
  return json{{"running", TokensJson(running)}}.dump();
}

Result<std::vector<RunToken>> DecodeKillList(std::string_view body) {
  return Decode<std::vector<RunToken>>(body, [](const json& doc) { return TokensOf(doc, "kill"); });
}

Result<WorkAnswer> DecodeWorkAnswer(std::string_view body) {
  return Decode<WorkAnswer>(body, [](const json& doc) {
    WorkAnswer answer;
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

std::string EncodeReports(std::span<const RunReport> reports) {
  json list = json::array();
  for (const RunReport& r : reports) {
    list.push_back({{"run", r.run},
                    {"epoch", r.epoch},
                    {"state", r.state},
                    {"exit_code", r.exit_code},
                    {"term_signal", r.term_signal},
                    {"launch_failed", r.launch_failed},
                    {"error", r.error}});
  }
  // Replace, not throw: an error text cut inside a UTF-8 sequence must not stop reporting.
  return json{{"reports", std::move(list)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<ReportResult>> DecodeReportResults(std::string_view body) {
  return Decode<std::vector<ReportResult>>(body, [](const json& doc) {
    std::vector<ReportResult> results;
    for (const json& entry : doc.at("results")) {
      ReportResult result{entry.at("run").get<RunId>(), entry.value("ok", false), ""};
      if (auto it = entry.find("error"); it != entry.end() && it->is_string()) {
        result.error = it->get<std::string>();
      } else if (it != entry.end() && it->is_object()) {  // {"code", "message"}, tolerated
        result.error = it->value("code", std::string());
      }
      results.push_back(std::move(result));
    }
    return results;
  });
}

std::string ErrorMessageOf(std::string_view body) {
  try {
    const json doc = json::parse(body);
    return doc.at("error").at("message").get<std::string>();
  } catch (const json::exception&) {
    constexpr size_t kMax = 200;
    return std::string(body.substr(0, kMax));
  }
}

}  // namespace rota::agent
