// The JSON of ServerCore's views (docs/api.md): what the routes send, and what the archive of
// retired jobs keeps (a job's detail, marked "retired", read back when a retired job is asked for).
// Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "api/server_answers.h"
#include "store/lease_table.h"
#include "core/result.h"

namespace rota {

nlohmann::ordered_json SummaryJson(const JobSummary& job);
nlohmann::ordered_json DetailJson(const JobDetail& job);
nlohmann::ordered_json HostJson(const HostView& host);
// GET /v1/servers: each server with the leases it holds, and every lease.
nlohmann::ordered_json ServersJson(const LeaseView& view);

// The archive's record of a retired job: its detail with "retired": true.
std::string EncodeArchivedDetail(const JobDetail& job);
// Error "store_corrupt" when the text is not such a record.
Result<JobDetail> DecodeArchivedDetail(std::string_view text);

}  // namespace rota
