// The DAG of a job as Graphviz DOT (`rota graph SPEC | dot -Tpng > dag.png`): one cluster per pool,
// a box per task (with its frames), an arrow from each requirement to the task that needs it
// (dashed when frame-by-frame, labelled when on: failure|any), signals as diamonds. Pure.
#pragma once

#include <string>

#include "core/job.h"

namespace rota {

std::string JobToDot(const JobSpec& job);

}  // namespace rota
