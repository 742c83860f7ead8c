// `rota agent`: the worker daemon (DESIGN sections 4 and 6, docs/api.md "Agents"). Registers with
// the server, heartbeats, long-polls for work, runs it in process groups through src/exec, ships
// logs and reports exits; runs until SIGINT/SIGTERM (its running children are killed then).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rota {

struct AgentOptions {
  std::string server;                 // "http://127.0.0.1:7070", or several: "URL,URL"
  std::string name;                   // "" = the host name
  std::vector<std::string> pools;     // empty: every pool
  std::optional<double> cores;        // unset: detected (online CPUs)
  std::optional<int64_t> memory;      // bytes; unset: detected (MemTotal)
  std::optional<int> gpus;            // unset: detected (/dev/nvidia[0-9]*)
  std::vector<std::string> tags;
  std::string work_dir = ".rota/agent";  // logs and the record of runs in flight
  // Benchmarks only: report every assignment as succeeded without starting a process, to measure
  // the server and the protocol rather than process creation. Documented in docs/server.md.
  bool no_exec = false;
  bool quiet = false;
};

// Returns the exit code: 0 after SIGINT/SIGTERM, 2 for bad options, 3 if the server cannot be
// reached at start (message names the address).
int RunAgent(const AgentOptions& options);

}  // namespace rota
