// The job views of docs/api.md ("job summary", and the detail with per-instance state and `why`),
// built from the engine's live state. Loop thread only (they read the engine).
#pragma once

#include <nlohmann/json.hpp>

#include "engine/engine.h"

namespace rota {

// "pending" "running" "succeeded" "failed" "cancelled"
const char* JobStateName(const JobState& job);

nlohmann::ordered_json JobSummaryJson(const JobState& job);
nlohmann::ordered_json JobDetailJson(const Engine& engine, JobId id);

}  // namespace rota
