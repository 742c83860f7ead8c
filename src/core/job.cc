#include "core/job.h"

namespace rota {

const char* DepOnName(DepOn on) {
  switch (on) {
    case DepOn::kSuccess: return "success";
    case DepOn::kFailure: return "failure";
    case DepOn::kAny: return "any";
  }
  return "success";
}

std::string Where(const JobSpec& job, int line) {
  if (job.source.empty() && line <= 0) return "";
  std::string out = job.source.empty() ? "line" : job.source;
  if (line > 0) out += (job.source.empty() ? " " : ":") + std::to_string(line);
  return out + ": ";
}

}  // namespace rota
