// Decoders for the JSON bodies clients send (docs/api.md); the agents' messages are in
// src/wire. Each checks every field's type and range and names the offending field in its error
// (code "bad_request"), so a bad body is a 400 with a reason, never an exception. Pure; any
// thread. Fuzzed by tests/fuzz/fuzz_api_body.cc.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/job.h"
#include "core/result.h"

namespace rota {

// PUT /v1/config: {"key": "value" | number | bool, ...}.
Result<std::map<std::string, std::string>> DecodeConfig(std::string_view body);

// A submitted spec: parsed and validated for server mode. Error code "invalid_spec", message
// every problem on its own line.
Result<JobSpec> DecodeSpec(std::string_view body, std::string_view source);

}  // namespace rota
