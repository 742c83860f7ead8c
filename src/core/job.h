// The job model: what a spec says, after defaults are applied (DESIGN sections 1-2).
// Plain values; specs are immutable once accepted, so the engine and the server share them freely.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"

namespace rota {

inline constexpr const char* kDefaultPool = "default";
inline constexpr const char* kDefaultQueue = "default";

// What outcome of a dependency lets the dependent run.
enum class DepOn { kSuccess, kFailure, kAny };
const char* DepOnName(DepOn on);

// What the rest of the job does after one instance fails for good.
enum class FailurePolicy {
  kStop,      // start nothing new (drenv's fail-fast); running work finishes
  kContinue,  // only the failure's dependents are skipped; unrelated branches go on
};

struct Requirement {
  enum class Kind { kTask, kSignal, kJob };
  Kind kind = Kind::kTask;
  std::string target;            // task name, signal key, or job name/id
  DepOn on = DepOn::kSuccess;    // kTask only
  bool frame_by_frame = false;   // kTask only: `frames: each`
  int line = 0;                  // where the requirement is written; 0 when unknown
};

struct Resources {
  double cores = 1;
  int64_t memory_bytes = 0;
  int gpus = 0;
  std::vector<std::string> tags;
};

struct TaskSpec {
  std::string name;
  std::string pool = kDefaultPool;
  // A string command runs under /bin/sh -c (shell = true, argv = {command}); a list is argv.
  std::vector<std::string> argv;
  bool shell = true;
  std::string frames;            // frame-set expression; empty: one instance, no frames
  int frames_line = 0;           // where `frames:` is written (maybe in defaults); 0 when unknown
  int chunk = 1;                 // frames per instance
  std::vector<Requirement> requirements;  // the spec's `requires:`
  std::vector<std::string> posts;  // signals posted when every instance of this task succeeded
  Resources resources;
  bool gang = false;
  std::optional<Duration> timeout;
  int retries = 0;                 // attempts = retries + 1
  Duration retry_delay = std::chrono::seconds(1);  // doubles on each retry, capped at 5 minutes
  std::map<std::string, std::string> env;
  std::string cwd;
  std::string stop;                // teardown command run by `rota stop`; empty: nothing to undo
  int line = 0;                    // where the task starts in the spec file
};

struct PoolSpec {
  std::string name;
  int max_workers = 0;
  int line = 0;
};

struct JobSpec {
  std::string name;
  std::string queue = kDefaultQueue;
  int priority = 50;
  std::map<std::string, std::string> labels;
  FailurePolicy on_failure = FailurePolicy::kStop;
  std::vector<PoolSpec> pools;     // as listed in the spec, in order
  std::vector<TaskSpec> tasks;     // in spec order
  std::string source;              // file the spec came from, for messages ("" for API bodies)
};

// Where a problem is, for messages: "spec.yaml:12: " or "" when unknown.
std::string Where(const JobSpec& job, int line);

}  // namespace rota
