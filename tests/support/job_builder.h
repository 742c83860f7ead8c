// JobBuilder: short, readable JobSpecs for engine tests, without going through the spec parser.
#pragma once

#include <string>
#include <utility>

#include "core/job.h"

namespace rota {

class JobBuilder {
 public:
  explicit JobBuilder(std::string name = "job") { job_.name = std::move(name); }

  JobBuilder& Pool(std::string name, int max_workers) {
    job_.pools.push_back(PoolSpec{std::move(name), max_workers, 0});
    return *this;
  }
  JobBuilder& OnFailure(FailurePolicy p) {
    job_.on_failure = p;
    return *this;
  }
  // Adds a task running `command` (default: "true") in pool "default".
  JobBuilder& Task(std::string name, std::string command = "true") {
    TaskSpec t;
    t.name = std::move(name);
    t.argv = {std::move(command)};
    job_.tasks.push_back(std::move(t));
    return *this;
  }
  // The following apply to the task added last.
  JobBuilder& InPool(std::string pool) { return Set([&](TaskSpec& t) { t.pool = pool; }); }
  JobBuilder& Frames(std::string frames, int chunk = 1) {
    return Set([&](TaskSpec& t) { t.frames = frames; t.chunk = chunk; });
  }
  JobBuilder& Requires(std::string task, DepOn on = DepOn::kSuccess, bool each = false) {
    return Set([&](TaskSpec& t) {
      Requirement r;
      r.target = task;
      r.on = on;
      r.frame_by_frame = each;
      t.requirements.push_back(r);
    });
  }
  JobBuilder& RequiresSignal(std::string key) {
    return Set([&](TaskSpec& t) {
      Requirement r;
      r.kind = Requirement::Kind::kSignal;
      r.target = key;
      t.requirements.push_back(r);
    });
  }
  JobBuilder& Posts(std::string key) { return Set([&](TaskSpec& t) { t.posts.push_back(key); }); }
  JobBuilder& Retries(int n, Duration delay = std::chrono::seconds(1)) {
    return Set([&](TaskSpec& t) { t.retries = n; t.retry_delay = delay; });
  }
  JobBuilder& Timeout(Duration d) { return Set([&](TaskSpec& t) { t.timeout = d; }); }
  JobBuilder& Gang() { return Set([](TaskSpec& t) { t.gang = true; }); }
  JobBuilder& Cores(double cores) { return Set([&](TaskSpec& t) { t.resources.cores = cores; }); }
  // Job-wide.
  JobBuilder& Queue(std::string queue) {
    job_.queue = std::move(queue);
    return *this;
  }
  JobBuilder& Priority(int priority) {
    job_.priority = priority;
    return *this;
  }
  JobBuilder& Stop(std::string command) { return Set([&](TaskSpec& t) { t.stop = command; }); }

  JobSpec Build() const { return job_; }

 private:
  template <class F>
  JobBuilder& Set(F&& f) {
    f(job_.tasks.back());
    return *this;
  }
  JobSpec job_;
};

}  // namespace rota
