// SpawnChild: starts one run's process, the way every run is started (DESIGN section 2): as the
// leader of a new process group, stdin from /dev/null, stdout to a pipe or a file and stderr with
// it, in its cwd, with only descriptors 0-2 open, the signals it might inherit as ignored (or
// blocked) back at their defaults. Any thread.
#pragma once

#include <sys/types.h>

namespace rota {

struct SpawnPlan {
  bool search_path = false;        // argv[0] is looked up in PATH (argv tasks), else a path
  char* const* argv = nullptr;     // null-terminated
  char* const* envp = nullptr;     // null-terminated
  int out_fd = -1;                 // stdout (and stderr): this descriptor, when >= 0 ...
  const char* out_path = nullptr;  // ... else this file, created or truncated
  const char* cwd = nullptr;       // null: the caller's
};

// The child's pid (also its process group), or -errno when it could not be started (the program
// is missing, the cwd or the output file cannot be opened, ...).
pid_t SpawnChild(const SpawnPlan& plan);

}  // namespace rota
