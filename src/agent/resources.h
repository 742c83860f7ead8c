// What this host offers: detected from the system, overridden by the agent's options.
// Reads /proc and /dev; safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/agent_main.h"

namespace rota::agent {

struct HostResources {
  double cores = 0;
  int64_t memory = 0;  // bytes
  int gpus = 0;
};

// Online CPUs (sysconf); at least 1.
double DetectCores();
// MemTotal of `meminfo_path`, in bytes; 0 when it cannot be read.
int64_t DetectMemory(const std::string& meminfo_path = "/proc/meminfo");
// The MemTotal line of /proc/meminfo's text, in bytes; 0 when absent.
int64_t ParseMemTotal(std::string_view meminfo);
// Entries of `dev_dir` named nvidia<digits> (nvidia0, nvidia1; not nvidiactl).
int DetectGpus(const std::string& dev_dir = "/dev");
// The options' values where set, else detected.
HostResources ResolveResources(const AgentOptions& options);
// options.name, else the host name ("localhost" if even that is unknown).
std::string ResolveName(const AgentOptions& options);

}  // namespace rota::agent
