// The spawn floor: how many processes per second this machine starts and waits for, in S
// parallel streams of posix_spawn + waitpid, nothing else (the method of ../shared/peers/
// spawn_floor.sh). bench/server_throughput.sh prints rota's real-process rate against it.
//
// Usage: spawn_floor STREAMS N PROGRAM [ARGS...]   prints "<spawns per second>"
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: spawn_floor STREAMS N PROGRAM [ARGS...]\n");
    return 2;
  }
  const int streams = std::atoi(argv[1]);
  const long n = std::atol(argv[2]);
  char** child_argv = argv + 3;
  const auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < streams; ++s) {
    if (fork() != 0) continue;
    for (long i = 0; i < n; ++i) {
      pid_t child = 0;
      int status = 0;
      if (posix_spawn(&child, child_argv[0], nullptr, nullptr, child_argv, environ) != 0 ||
          waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        _exit(1);
      }
    }
    _exit(0);
  }
  bool ok = true;
  for (int s = 0; s < streams; ++s) {
    int status = 0;
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ok = false;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!ok) {
    std::fprintf(stderr, "spawn_floor: a stream failed (is %s runnable?)\n", child_argv[0]);
    return 1;
  }
  std::printf("%.0f\n", static_cast<double>(streams) * static_cast<double>(n) / seconds);
  return 0;
}
