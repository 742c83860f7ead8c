#include "agent/resources.h"

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace rota::agent {

double DetectCores() {
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<double>(online) : 1.0;
}

int64_t ParseMemTotal(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemTotal:";
  size_t at = meminfo.find(kKey);
  if (at == std::string_view::npos || (at > 0 && meminfo[at - 1] != '\n')) return 0;
  at += kKey.size();
  while (at < meminfo.size() && meminfo[at] == ' ') ++at;
  int64_t kib = 0;
  bool digits = false;
  for (; at < meminfo.size() && std::isdigit(static_cast<unsigned char>(meminfo[at])); ++at) {
    kib = kib * 10 + (meminfo[at] - '0');
    digits = true;
  }
  return digits ? kib * 1024 : 0;  // the kernel writes "kB" and means KiB
}

int64_t DetectMemory(const std::string& meminfo_path) {
  std::ifstream in(meminfo_path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseMemTotal(text.str());
}

int DetectGpus(const std::string& dev_dir) {
  DIR* dir = opendir(dev_dir.c_str());
  if (dir == nullptr) return 0;
  int count = 0;
  constexpr std::string_view kPrefix = "nvidia";
  while (const dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) continue;
    name.remove_prefix(kPrefix.size());
    if (name.find_first_not_of("0123456789") == std::string_view::npos) ++count;
  }
  closedir(dir);
  return count;
}

HostResources ResolveResources(const AgentOptions& options) {
  HostResources r;
  r.cores = options.cores ? *options.cores : DetectCores();
  r.memory = options.memory ? *options.memory : DetectMemory();
  r.gpus = options.gpus ? *options.gpus : DetectGpus();
  return r;
}

std::string ResolveName(const AgentOptions& options) {
  if (!options.name.empty()) return options.name;
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

}  // namespace rota::agent
