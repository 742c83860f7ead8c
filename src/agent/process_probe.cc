#include "agent/process_probe.h"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <string>

namespace rota::agent {
namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::vector<pid_t> ThreadChildren() {
  std::istringstream in(ReadSmallFile("/proc/thread-self/children"));
  std::vector<pid_t> pids;
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  return pids;
}

uint64_t ProcessStartTicks(pid_t pid) {
  if (pid <= 0) return 0;
  const std::string stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  // Fields after the name start at 3 (state); starttime is field 22.
  for (int i = 3; i < 22 && fields >> field; ++i) {
  }
  uint64_t start = 0;
  fields >> start;
  return start;
}

bool KillLeftoverGroup(pid_t pgid, uint64_t leader_start) {
  if (pgid <= 1) return false;
  const uint64_t now_start = ProcessStartTicks(pgid);
  // A process with the leader's pid that started at another time is someone else, and so is its
  // group. While any member of the old group lives, its pgid cannot be given to a new process.
  if (now_start != 0 && leader_start != 0 && now_start != leader_start) return false;
  return kill(-pgid, SIGKILL) == 0;
}

}  // namespace rota::agent
