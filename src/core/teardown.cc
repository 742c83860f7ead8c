#include "core/teardown.h"

#include <unordered_map>

namespace rota {

JobSpec MakeTeardownJob(const JobSpec& job) {
  JobSpec out = job;
  out.on_failure = FailurePolicy::kContinue;
  std::unordered_map<std::string, std::vector<std::string>> posters;  // signal -> tasks posting it
  for (const TaskSpec& t : job.tasks)
    for (const std::string& key : t.posts) posters[key].push_back(t.name);

  for (TaskSpec& t : out.tasks) {
    t.requirements.clear();
    t.frames.clear();
    t.chunk = 1;
    t.posts.clear();
    t.retries = 0;
    t.gang = false;
  }
  std::unordered_map<std::string, size_t> index_of;
  for (size_t i = 0; i < out.tasks.size(); ++i) index_of[out.tasks[i].name] = i;

  auto add = [&](const std::string& undo_first, const std::string& then) {
    auto it = index_of.find(then);
    if (it == index_of.end()) return;
    auto& reqs = out.tasks[it->second].requirements;
    for (const Requirement& r : reqs)
      if (r.target == undo_first) return;
    Requirement r;
    r.kind = Requirement::Kind::kTask;
    r.target = undo_first;
    r.on = DepOn::kAny;
    reqs.push_back(r);
  };
  for (const TaskSpec& t : job.tasks) {
    for (const Requirement& r : t.requirements) {
      if (r.kind == Requirement::Kind::kTask) {
        add(t.name, r.target);
      } else if (r.kind == Requirement::Kind::kSignal) {
        auto it = posters.find(r.target);
        if (it == posters.end()) continue;
        for (const std::string& poster : it->second) add(t.name, poster);
      }
    }
  }
  return out;
}

}  // namespace rota
