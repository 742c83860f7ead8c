// The JSON form of the agent messages (wire/agent_messages.h, docs/api.md "Agents"), both ways, so
// that the server and the agent cannot disagree on it.
// - Decoders of what agents send (the server's side) are strict: a wrong type or range is an
//   Error "bad_request" naming the field (answered 400). Fuzzed by tests/fuzz/fuzz_api_body.cc.
// - Decoders of what the server answers (the agent's side) fail with "bad_reply".
// - Encoders write the text by hand (core/json_text.h); strings that are not valid UTF-8 are
//   repaired, so an encoded message always decodes.
// Pure; any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "wire/agent_messages.h"

namespace rota::wire {

// --- agent -> server ---
std::string EncodeRegistration(const Registration& registration);
// The name must follow the name rule (core/names.h); cores 0-1e6, memory below 2^60, gpus 0-1e5.
Result<Registration> DecodeRegistration(std::string_view body);

// {"running": [{"run", "epoch"}, ...]}
std::string EncodeHeartbeat(std::span<const RunToken> running);
Result<std::vector<RunToken>> DecodeHeartbeat(std::string_view body);   // "" : none

// {"reports": [...]}: the status batch, and the body of POST /v1/agents/{id}/work.
std::string EncodeReports(std::span<const RunReport> reports);
Result<std::vector<RunReport>> DecodeReports(std::string_view body);    // "" : none
// One report of POST /v1/runs/{id}/status; `run` comes from the path (a "run" field, if any,
// is ignored).
std::string EncodeReport(const RunReport& report);
Result<RunReport> DecodeReport(std::string_view body, RunId run);

// --- server -> agent ---
std::string EncodeRegisterAnswer(const RegisterAnswer& answer);
Result<RegisterAnswer> DecodeRegisterAnswer(std::string_view body);

// {"kill": [...]}: the heartbeat's answer.
std::string EncodeKillList(std::span<const RunToken> kill);
Result<std::vector<RunToken>> DecodeKillList(std::string_view body);

// {"results": [...], "assign": [...], "signal": [...]} ("results" and "kill" only when not empty).
std::string EncodeWorkAnswer(const WorkAnswer& answer);
Result<WorkAnswer> DecodeWorkAnswer(std::string_view body);

// {"results": [...]}: the status batch's answer.
std::string EncodeReportResults(std::span<const ReportResult> results);
Result<std::vector<ReportResult>> DecodeReportResults(std::string_view body);

// The "message" of an error body ({"error": {"code", "message"}}), or the body itself, cut short.
std::string ErrorMessageOf(std::string_view body);

}  // namespace rota::wire
