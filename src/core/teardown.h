// The teardown of a job (`rota stop`): the same tasks with their `stop:` commands, in reverse
// dependency order. Pure.
#pragma once

#include "core/job.h"

namespace rota {

// Returns a job whose task T requires (on: any) every task that required T in `job`, directly or
// through a signal T posts. Frames, retries and posts are dropped: a task is undone once. Tasks
// without a `stop:` command stay in the graph, so order passes through them, and do nothing.
// on_failure is continue: one teardown failing does not stop the others.
JobSpec MakeTeardownJob(const JobSpec& job);

}  // namespace rota
