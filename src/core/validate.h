// Checks a parsed job against the rules of DESIGN section 2 before anything runs: one Error per
// problem, each message starting with Where(job, line). Pure (no I/O, no clock); thread-safe.
// Field types, names and units are checked earlier by ParseSpec; these are the rules that need the
// whole job: the graph, frame sets, pools and signals.
#pragma once

#include <string>
#include <vector>

#include "core/job.h"
#include "core/result.h"

namespace rota {

// On a server, a pool a job uses but does not list has no cap of its own (its hosts' resources
// are the limit); `rota run` gives it the CPU count or --jobs instead.
inline constexpr int kUnlimitedWorkers = 1 << 30;

struct ValidateOptions {
  // Signals that will be posted when the run starts (`rota run --signal KEY`).
  std::vector<std::string> given_signals;
  // true for `rota run`: a required signal must be posted by a task or given, or the run would
  // hang, and another job cannot be required, since only a server knows other jobs.
  bool local = true;
  // max_workers of a pool that tasks use but `pools:` does not list (the CPU count, or --jobs).
  int default_max_workers = 1;
};

// Error codes: empty_job, duplicate_pool, invalid_pool, duplicate_task, invalid_frames,
// too_many_frames (more than kMaxFramesPerSet frames in the whole job), invalid_chunk,
// self_dependency, unknown_dependency, frames_mismatch, unposted_signal, job_dependency_local,
// gang_too_large, cycle. Empty when the job may run.
std::vector<Error> ValidateJob(const JobSpec& job, const ValidateOptions& options);

}  // namespace rota
