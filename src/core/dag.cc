#include "core/dag.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <string_view>
#include <unordered_map>

namespace rota {
namespace {

// Tarjan's strongly connected components, written with an explicit stack. Returns the component
// number of every task.
std::vector<int> Components(const TaskGraph& graph) {
  const int n = graph.size();
  std::vector<int> index(n, -1), low(n, 0), component(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<int> stack;
  struct Frame {
    int task;
    size_t next_edge;
  };
  std::vector<Frame> calls;
  int next_index = 0;
  int next_component = 0;
  for (int root = 0; root < n; ++root) {
    if (index[root] >= 0) continue;
    calls.push_back({root, 0});
    index[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!calls.empty()) {
      Frame& frame = calls.back();
      const int t = frame.task;
      if (frame.next_edge < graph.required[t].size()) {
        const int u = graph.required[t][frame.next_edge++];
        if (index[u] < 0) {
          index[u] = low[u] = next_index++;
          stack.push_back(u);
          on_stack[u] = true;
          calls.push_back({u, 0});  // invalidates `frame`; it is not used again this turn
        } else if (on_stack[u]) {
          low[t] = std::min(low[t], index[u]);
        }
        continue;
      }
      if (low[t] == index[t]) {
        int u;
        do {
          u = stack.back();
          stack.pop_back();
          on_stack[u] = false;
          component[u] = next_component;
        } while (u != t);
        ++next_component;
      }
      calls.pop_back();
      if (!calls.empty()) {
        const int parent = calls.back().task;
        low[parent] = std::min(low[parent], low[t]);
      }
    }
  }
  return component;
}

// A shortest ring from `start` back to itself through tasks of its component (breadth first).
std::vector<int> RingThrough(const TaskGraph& graph, const std::vector<int>& component, int start) {
  std::unordered_map<int, int> came_from;  // task -> the task that reached it first
  std::queue<int> frontier;
  frontier.push(start);
  while (!frontier.empty()) {
    const int t = frontier.front();
    frontier.pop();
    for (int u : graph.required[t]) {
      if (u == t || component[u] != component[start]) continue;  // self-loops are reported alone
      if (u == start) {
        std::vector<int> path = {start};
        for (int back = t; back != start; back = came_from[back]) path.push_back(back);
        std::reverse(path.begin() + 1, path.end());
        path.push_back(start);
        return path;
      }
      if (came_from.emplace(u, t).second) frontier.push(u);
    }
  }
  return {};  // unreachable for a task of a ring; kept so a bug cannot loop
}

}  // namespace

TaskGraph BuildTaskGraph(const JobSpec& job) {
  const int n = static_cast<int>(job.tasks.size());
  std::unordered_map<std::string_view, int> by_name;
  by_name.reserve(n);
  for (int t = 0; t < n; ++t) by_name.emplace(job.tasks[t].name, t);  // the first one wins

  TaskGraph graph;
  graph.required.resize(n);
  graph.dependents.resize(n);
  for (int t = 0; t < n; ++t) {
    for (const Requirement& req : job.tasks[t].requirements) {
      if (req.kind != Requirement::Kind::kTask) continue;
      auto it = by_name.find(req.target);
      if (it == by_name.end()) continue;
      std::vector<int>& required = graph.required[t];
      if (std::find(required.begin(), required.end(), it->second) != required.end()) continue;
      required.push_back(it->second);
      graph.dependents[it->second].push_back(t);  // t grows, so each list stays in spec order
    }
  }
  return graph;
}

std::vector<int> TopologicalOrder(const TaskGraph& graph) {
  const int n = graph.size();
  std::vector<size_t> waiting(n);
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;  // smallest index first
  for (int t = 0; t < n; ++t) {
    waiting[t] = graph.required[t].size();
    if (waiting[t] == 0) ready.push(t);
  }
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    const int t = ready.top();
    ready.pop();
    order.push_back(t);
    for (int d : graph.dependents[t]) {
      if (--waiting[d] == 0) ready.push(d);
    }
  }
  return order;
}

std::vector<std::vector<int>> FindCycles(const TaskGraph& graph) {
  const int n = graph.size();
  const std::vector<int> component = Components(graph);
  std::vector<int> members(n, 0);
  for (int t = 0; t < n; ++t) ++members[component[t]];
  std::vector<bool> reported(n, false);
  std::vector<std::vector<int>> cycles;
  for (int t = 0; t < n; ++t) {
    const std::vector<int>& required = graph.required[t];
    if (std::find(required.begin(), required.end(), t) != required.end()) cycles.push_back({t, t});
    const int c = component[t];
    if (members[c] < 2 || reported[c]) continue;
    reported[c] = true;
    cycles.push_back(RingThrough(graph, component, t));
  }
  return cycles;
}

std::string FormatCycle(const JobSpec& job, std::span<const int> cycle) {
  std::string out;
  for (int t : cycle) {
    if (!out.empty()) out += " -> ";
    out += job.tasks[t].name;
  }
  return out;
}

}  // namespace rota
