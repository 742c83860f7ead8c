// The client verbs of DESIGN section 4 — submit, jobs, show, cancel, wait, logs, events, signal,
// hosts, servers, config — with their flags and help. Each talks to the server named by --server, else
// $ROTA_SERVER, else http://127.0.0.1:7070. Main thread.
#pragma once

#include <optional>
#include <string>

#include "cli/verb_table.h"

namespace rota {

void AddClientVerbs(CLI::App& app, VerbTable& verbs);

// `rota logs`' TASK[/N]: "render" (instance 0), "render/3", or the key form "dr1/render/3".
struct TaskRef {
  std::string task;
  int instance = 0;
};
std::optional<TaskRef> ParseTaskRef(const std::string& text);

}  // namespace rota
