// A Launcher for server-mode engine tests: records "job:task#instance@host" per launch, each
// run's id and epoch, and every signal sent.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/launcher.h"

namespace rota {

class HostLauncher final : public Launcher {
 public:
  Launched Launch(const LaunchRequest& r) override {
    const std::string key = std::string(r.job) + ":" + std::string(r.task) + "#" + std::to_string(r.instance);
    launched.push_back(key + "@" + std::string(r.host));
    runs[key] = r.run;
    epochs[r.run] = r.epoch;
    return {};
  }
  void Signal(RunId run, int signo) override { signals.emplace_back(run, signo); }
  std::vector<std::string> launched;
  std::map<std::string, RunId> runs;   // the latest run of each instance
  std::map<RunId, uint64_t> epochs;
  std::vector<std::pair<RunId, int>> signals;
};

}  // namespace rota
