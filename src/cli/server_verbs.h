// `rota server` and `rota agent`: their flags, turned into ServerOptions / AgentOptions (durations
// and sizes parsed with core/units.h; a bad value exits 2 with "error: --flag: ..."), then the
// daemon runs on the main thread until SIGINT/SIGTERM.
#pragma once

#include "cli/verb_table.h"

namespace rota {

void AddServerVerbs(CLI::App& app, VerbTable& verbs);

}  // namespace rota
