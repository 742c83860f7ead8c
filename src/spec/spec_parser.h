// Turns a spec's text (YAML or JSON) into a JobSpec (src/core/job.h), applying `defaults:`.
// Errors carry "file:line: " and unknown fields get a did-you-mean. Pure apart from yaml-cpp; no
// file I/O here (the CLI reads files). Thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "core/job.h"
#include "core/result.h"

namespace rota {

// Largest spec text accepted; larger input is an error (code "spec_too_large"), not an
// out-of-memory.
inline constexpr size_t kMaxSpecBytes = 16 << 20;

struct ParsedSpec {
  JobSpec job;                // meaningful only when errors is empty
  std::vector<Error> errors;  // one per problem, each message starting with Where(job, line)
  bool ok() const { return errors.empty(); }
};

// `source` is the file name used in messages (may be empty).
ParsedSpec ParseSpec(std::string_view text, std::string_view source);

// ParseSpec, then ValidateJob as a server takes a job (another job may be required; a pool not
// listed is unlimited for that job): what POST /v1/jobs, a schedule's job and the log's decoder
// all accept. Errors in `errors`, parse or validation alike.
ParsedSpec ParseServerSpec(std::string_view text, std::string_view source);

}  // namespace rota
