// `rota run SPEC` and `rota stop SPEC`: run a workflow (or its teardown) on this machine with the
// engine, the process launcher, live progress and an optional events file. Main thread.
#pragma once

#include <string>
#include <vector>

#include "core/units.h"

namespace rota {

struct RunOptions {
  std::string spec_path;
  std::string events_path;          // "" = no events file
  int jobs = 0;                     // max_workers of unlisted pools; 0 = number of CPUs
  bool keep_going = false;          // on_failure: continue
  std::vector<std::string> signals; // posted at start
  bool dry_run = false;             // validate and print the plan; run nothing
  bool quiet = false;
  bool teardown = false;            // `rota stop`
  std::string log_dir = ".rota/logs";
  Duration kill_grace = std::chrono::seconds(5);
};

// Returns the process exit code of DESIGN section 4: 0, 1, 2 or 130.
int RunWorkflow(const RunOptions& options);

}  // namespace rota
