#include "agent/process_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

namespace rota::agent {

// One open and one read, no streams.
uint64_t ProcessStartTicks(pid_t pid) {
  if (pid <= 0) return 0;
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[1024];
  const ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0) return 0;
  const std::string_view stat(buf, static_cast<size_t>(n));
  const size_t paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string_view::npos) return 0;
  // Fields after the name start at 3 (state); starttime is field 22.
  size_t at = paren + 1;
  for (int field = 3; field <= 22; ++field) {
    at = stat.find_first_not_of(' ', at);
    if (at == std::string_view::npos) return 0;
    const size_t end = std::min(stat.find(' ', at), stat.size());
    if (field == 22) {
      uint64_t start = 0;
      std::from_chars(stat.data() + at, stat.data() + end, start);
      return start;
    }
    at = end;
  }
  return 0;
}

uint64_t BootTicksNow() {
  timespec now{};
  clock_gettime(CLOCK_BOOTTIME, &now);
  static const uint64_t ticks_per_second = static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  return static_cast<uint64_t>(now.tv_sec) * ticks_per_second +
         static_cast<uint64_t>(now.tv_nsec) * ticks_per_second / 1000000000u;
}

bool KillLeftoverGroup(pid_t pgid, uint64_t leader_start) {
  if (pgid <= 1) return false;
  const uint64_t now_start = ProcessStartTicks(pgid);
  // A process with the leader's pid that started at another time is someone else, and so is its
  // group. While any member of the old group lives, its pgid cannot be given to a new process.
  const uint64_t apart = now_start > leader_start ? now_start - leader_start : leader_start - now_start;
  if (now_start != 0 && leader_start != 0 && apart > kStartTolerance) return false;
  return kill(-pgid, SIGKILL) == 0;
}

}  // namespace rota::agent
