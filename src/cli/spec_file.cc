#include "cli/spec_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/units.h"
#include "spec/spec_parser.h"

namespace rota {

void PrintError(const std::string& message) { std::cerr << "error: " << message << "\n"; }

std::optional<JobSpec> LoadSpecFile(const std::string& path, const ValidateOptions& options) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    PrintError("cannot read " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    PrintError(path + " is a directory; give the spec file (e.g. " + path + "/rota.yaml)");
    return std::nullopt;
  }
  if (static_cast<size_t>(st.st_size) > kMaxSpecBytes) {
    PrintError(path + " is " + FormatSize(st.st_size) + "; the limit for a spec is " +
               FormatSize(kMaxSpecBytes));
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    PrintError("cannot read " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  ParsedSpec parsed = ParseSpec(text.str(), path);
  for (const Error& e : parsed.errors) PrintError(e.message);
  if (!parsed.ok()) return std::nullopt;
  std::vector<Error> problems = ValidateJob(parsed.job, options);
  for (const Error& e : problems) PrintError(e.message);
  if (!problems.empty()) return std::nullopt;
  return std::move(parsed.job);
}

}  // namespace rota
