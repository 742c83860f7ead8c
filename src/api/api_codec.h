// Decoders for the JSON bodies agents and clients send (docs/api.md). Each checks every field's
// type and range and names the offending field in its error (code "bad_request"), so a bad body is
// a 400 with a reason, never an exception. Pure; any thread. Fuzzed by tests/fuzz/fuzz_api_body.cc.
#pragma once

#include "core/names.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/server_core.h"
#include "core/job.h"
#include "core/result.h"

namespace rota {

Result<AgentRegistration> DecodeRegistration(std::string_view body);
Result<std::vector<RunToken>> DecodeHeartbeat(std::string_view body);
// {"reports": [...]} (batch) or one report object (`run` then comes from the path).
Result<std::vector<RunReport>> DecodeReports(std::string_view body);
Result<RunReport> DecodeReport(std::string_view body, RunId run);
Result<std::map<std::string, std::string>> DecodeConfig(std::string_view body);

// A submitted spec: parsed and validated for server mode. Error code "invalid_spec", message
// every problem on its own line.
Result<JobSpec> DecodeSpec(std::string_view body, std::string_view source);

// Agent and job names: [A-Za-z0-9._-]{1,128}.

}  // namespace rota
