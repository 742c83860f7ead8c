#include "core/dot_graph.h"

#include <map>
#include <set>

namespace rota {
namespace {

std::string Q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string JobToDot(const JobSpec& job) {
  std::string out = "digraph " + Q(job.name) + " {\n";
  out += "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  std::map<std::string, std::vector<const TaskSpec*>> by_pool;
  for (const TaskSpec& t : job.tasks) by_pool[t.pool].push_back(&t);
  std::map<std::string, int> max_workers;
  for (const PoolSpec& p : job.pools) max_workers[p.name] = p.max_workers;
  int cluster = 0;
  for (const auto& [pool, tasks] : by_pool) {
    std::string label = pool;
    if (auto it = max_workers.find(pool); it != max_workers.end())
      label += " (max_workers " + std::to_string(it->second) + ")";
    out += "  subgraph cluster_" + std::to_string(cluster++) + " {\n    label=" + Q(label) +
           ";\n    style=dashed;\n";
    for (const TaskSpec* t : tasks) {
      std::string text = t->name;
      if (!t->frames.empty()) {
        text += "\\nframes " + t->frames;
        if (t->chunk > 1) text += " / " + std::to_string(t->chunk);
      }
      out += "    " + Q("task:" + t->name) + " [label=\"" + text + "\"];\n";
    }
    out += "  }\n";
  }
  std::set<std::string> signals;
  for (const TaskSpec& t : job.tasks) {
    for (const Requirement& r : t.requirements) {
      std::string attrs;
      std::string from;
      switch (r.kind) {
        case Requirement::Kind::kTask:
          from = "task:" + r.target;
          if (r.on != DepOn::kSuccess) attrs += "label=" + Q(std::string("on ") + DepOnName(r.on));
          if (r.frame_by_frame) attrs += std::string(attrs.empty() ? "" : ", ") + "style=dashed";
          break;
        case Requirement::Kind::kSignal:
          from = "signal:" + r.target;
          signals.insert(r.target);
          break;
        case Requirement::Kind::kJob:
          from = "job:" + r.target;
          out += "  " + Q(from) + " [shape=folder, label=" + Q("job " + r.target) + "];\n";
          break;
      }
      out += "  " + Q(from) + " -> " + Q("task:" + t.name);
      out += attrs.empty() ? ";\n" : " [" + attrs + "];\n";
    }
    for (const std::string& key : t.posts) {
      signals.insert(key);
      out += "  " + Q("task:" + t.name) + " -> " + Q("signal:" + key) + " [style=dotted];\n";
    }
  }
  for (const std::string& key : signals)
    out += "  " + Q("signal:" + key) + " [shape=diamond, label=" + Q(key) + "];\n";
  out += "}\n";
  return out;
}

}  // namespace rota
