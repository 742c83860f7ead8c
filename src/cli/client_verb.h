// Shared plumbing of the client verbs (client_commands.cc, farm_commands.cc): registering a verb
// with --server and an example, running it against the resolved server, printing. Main thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/client_api.h"
#include "cli/verb_table.h"

namespace rota {

// A subcommand of `parent` with --server (stored in `server`), a one-line description and an
// "Example:" footer (`example` is its indented lines).
CLI::App* AddClientVerb(CLI::App& parent, const std::string& name, const std::string& description,
                        const std::string& example, std::string& server);

// Resolves the server (--server, $ROTA_SERVER, default), runs `verb` against it, and turns an
// unreadable reply into exit 3.
int WithClient(const std::string& server, const std::function<int(ApiClient&)>& verb);

// Registers `run(api, *args)` as what `cmd` does. Args has a `server` member.
template <class Args>
void AddClientRun(VerbTable& verbs, CLI::App* cmd, std::shared_ptr<Args> args,
                  int (*run)(ApiClient&, const Args&)) {
  verbs.Add(cmd, [args, run] {
    return WithClient(args->server, [&](ApiClient& api) { return run(api, *args); });
  });
}

// The farm-wide verbs: logs, events, signal, hosts, servers, config (farm_commands.cc).
void AddFarmVerbs(CLI::App& app, VerbTable& verbs);
// `rota schedules ...` (schedule_commands.cc).
void AddScheduleVerbs(CLI::App& app, VerbTable& verbs);
// `rota expect ...` and `rota hooks ...` (watch_commands.cc).
void AddWatchVerbs(CLI::App& app, VerbTable& verbs);

int64_t NowMicros();
void PrintOut(const std::string& text);   // to stdout, as is
void PrintJson(const nlohmann::json& j);  // indented, with a newline
inline std::string JobPath(const std::string& job) { return "/v1/jobs/" + PercentEncode(job); }
inline std::string NoJob(const std::string& job) { return "no job " + job; }

}  // namespace rota
