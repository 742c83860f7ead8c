// The task graph of one job: which tasks each task requires, which require it, a stable topological
// order and the dependency cycles. Pure values built from a JobSpec; thread-safe. Tasks are named
// by their index in JobSpec::tasks.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/job.h"

namespace rota {

struct TaskGraph {
  // required[t]: the tasks t requires, each once, in the order t first names them.
  std::vector<std::vector<int>> required;
  // dependents[t]: the tasks that require t, each once, in spec order.
  std::vector<std::vector<int>> dependents;

  int size() const { return static_cast<int>(required.size()); }
};

// Edges come from task requirements only (signals and jobs are not tasks). A requirement naming an
// unknown task is left out (ValidateJob reports it); when two tasks share a name the first one is
// meant. A task that requires itself keeps that edge, so FindCycles sees it.
TaskGraph BuildTaskGraph(const JobSpec& job);

// Every task after all the tasks it requires; among tasks that are ready together the one earlier
// in the spec comes first, so the order is the same on every run. Tasks on a cycle, and tasks
// behind one, are missing: a result shorter than graph.size() means the graph has a cycle.
std::vector<int> TopologicalOrder(const TaskGraph& graph);

// One cycle per group of tasks that require each other in a ring (strongly connected component),
// as a closed path {a, b, c, a}: a requires b, b requires c, c requires a. Each path starts at the
// group's earliest task in spec order and is a shortest ring through it. A task requiring itself
// also gives {a, a} on its own, before its group's ring. Cycles are listed in the order of their
// first task. Iterative: deep chains of tasks cannot overflow the stack.
std::vector<std::vector<int>> FindCycles(const TaskGraph& graph);

// "a -> b -> c -> a" for a path from FindCycles.
std::string FormatCycle(const JobSpec& job, std::span<const int> cycle);

}  // namespace rota
