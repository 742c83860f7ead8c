// The job views of docs/api.md (summary; detail with per-instance state and `why`) built from the
// engine's live state. Loop thread only (they read the engine).
#pragma once

#include "api/server_answers.h"
#include "engine/engine.h"

namespace rota {

// "pending" "running" "succeeded" "failed" "cancelled"
const char* JobStateName(const JobState& job);

JobSummary SummaryOf(const JobState& job);
JobDetail DetailOf(const Engine& engine, JobId id);

}  // namespace rota
