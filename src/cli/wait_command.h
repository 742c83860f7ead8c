// `rota wait JOB` and `rota submit --wait`: repeated long-polls of GET /v1/jobs/{job}/wait (at most
// 30 s each; 1 s on a terminal, so that the live line moves) until the job has started or is done,
// or the overall timeout passes. Main thread.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/client_api.h"
#include "core/units.h"

namespace rota {

struct WaitOptions {
  std::string job;                  // id or name, as the user wrote it
  std::string until = "done";       // "started" or "done"
  std::optional<Duration> timeout;  // unset: as long as it takes
  std::FILE* out = stdout;          // the live line (on a terminal only) and the final line
};

// The final line and exit code once the job reached `until` or ended: 0 when it reached `until`
// and (for "done") succeeded, 1 when it failed or was cancelled. Pure.
struct WaitEnd {
  int exit_code = 0;
  std::string line;
};
WaitEnd JudgeWaitEnd(const nlohmann::json& summary, const std::string& until);

// Prints the job's final line to `options.out`; returns 0, 1 (failed, cancelled or timed out; the
// line says which), or the exit code of a failed call (after "error: ..." on stderr).
int WaitForJob(ApiClient& api, const WaitOptions& options);

}  // namespace rota
