// Reading a spec file for the CLI verbs: read, parse, validate, and print every problem to stderr
// as "error: file:line: ...". Called from the main thread.
#pragma once

#include <optional>
#include <string>

#include "core/job.h"
#include "core/validate.h"

namespace rota {

// The job, or nullopt after printing why not (the caller exits 2).
std::optional<JobSpec> LoadSpecFile(const std::string& path, const ValidateOptions& options);

// Prints `message` as a usage/spec error: "error: <message>" on stderr.
void PrintError(const std::string& message);

}  // namespace rota
