// What ServerCore answers, as typed values (no HTTP, no JSON: src/api/routes.cc renders them),
// and how an answer is delivered: an Answer<T> callback, called once on the loop thread after the
// batch that produced it is durable (or with an Error). Error codes and the HTTP status the routes
// give them: not_found 404; stale_run, not_finished, nothing_to_retry, retired 409; bad_config
// 400; store_unavailable 503.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/launcher.h"
#include "core/result.h"

namespace rota {

template <class T>
using Answer = std::function<void(Result<T>)>;

// True once whoever waits for a parked answer (a long poll, a wait) has gone away.
using Abandoned = std::function<bool()>;

inline constexpr const char* kNotFound = "not_found";
inline constexpr const char* kStaleRun = "stale_run";
inline constexpr const char* kNotFinished = "not_finished";
inline constexpr const char* kNothingToRetry = "nothing_to_retry";
inline constexpr const char* kRetired = "retired";
inline constexpr const char* kBadConfig = "bad_config";
inline constexpr const char* kStoreUnavailable = "store_unavailable";
inline constexpr const char* kConflict = "conflict";

// docs/api.md "job summary".
struct JobSummary {
  uint64_t id = 0;
  std::string name;
  std::string queue;
  int priority = 0;
  std::string state;   // "pending" "running" "succeeded" "failed" "cancelled"
  int64_t submitted_us = 0;
  int64_t finished_us = 0;
  // "total", then one count per instance status, in InstanceStatus order.
  std::vector<std::pair<std::string, uint64_t>> counts;
  bool retired = false;   // answered from the archive (DESIGN section 8, retention)
};

struct InstanceView {
  int index = 0;
  std::string frames;          // "" without frames
  std::string status;
  int attempt = 0;             // 0: never ran
  std::string host;            // "" when not placed
  RunId run = 0;
  std::optional<int> exit_code;
  std::string reason;
  std::string why;             // why an unfinished instance is not running
};

struct TaskView {
  std::string name;
  std::string pool;
  std::string frames;
  std::vector<InstanceView> instances;
};

// docs/api.md "job detail": the summary and every instance.
struct JobDetail {
  JobSummary summary;
  std::vector<TaskView> tasks;
};

struct SubmitAnswer {
  uint64_t id = 0;
  std::string name;
};

struct WaitAnswer {
  bool reached = false;
  JobSummary job;
};

struct SignalAnswer {
  std::string key;
  bool is_new = false;   // false: it was posted before
};

struct HostView {
  std::string name;
  bool alive = true;
  double cores = 0;
  int64_t memory = 0;
  int gpus = 0;
  std::vector<std::string> tags;
  std::vector<std::string> pools;
  double used_cores = 0;
  int64_t used_memory = 0;
  int used_gpus = 0;
  uint32_t running = 0;
  int64_t last_heartbeat_us = 0;   // 0: never heard from
};

// Answers held back until the loop batch that produced them is durable: the loop adds them while
// it handles requests and sends them all after the commit. Loop thread only.
class Deferred {
 public:
  template <class T>
  void Add(Answer<T> done, Result<T> result) {
    pending_.push_back([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }
  void RunAll() {
    std::vector<std::function<void()>> now = std::move(pending_);
    pending_.clear();
    for (auto& fn : now) fn();
  }

 private:
  std::vector<std::function<void()>> pending_;
};

}  // namespace rota
