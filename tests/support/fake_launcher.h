// FakeLauncher records what the engine asked to run and signal; tests end runs by hand.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/frame_set.h"
#include "engine/event.h"
#include "engine/event_json.h"
#include "core/launcher.h"

namespace rota {

class FakeLauncher final : public Launcher {
 public:
  struct Start {
    RunId run;
    std::string key;   // "task#instance"
    std::string frames;
    int attempt;
    std::string command;
  };
  rota::Launched Launch(const LaunchRequest& r) override {
    launched.push_back({r.run, std::string(r.task) + "#" + std::to_string(r.instance),
                        FormatFrames(r.frames), r.attempt, std::string(r.command)});
    live[r.run] = launched.back().key;
    return {};
  }
  void Signal(RunId run, int signo) override { signals.push_back({run, signo}); }

  // The run id of the live run of `key` ("task#instance"); 0 if none.
  RunId RunOf(const std::string& key) const {
    for (const auto& [run, k] : live)
      if (k == key) return run;
    return 0;
  }
  std::vector<std::string> LiveKeys() const {
    std::vector<std::string> out;
    for (const auto& [run, k] : live) out.push_back(k);
    return out;
  }
  RunExit Exit(const std::string& key, int code) {
    RunExit e;
    e.run = RunOf(key);
    e.exit_code = code;
    live.erase(e.run);
    return e;
  }

  std::vector<Start> launched;
  std::map<RunId, std::string> live;
  std::vector<std::pair<RunId, int>> signals;
};

// Keeps every event, and its "type task#instance" summary for compact assertions.
class RecordingSink final : public EventSink {
 public:
  void Publish(const Event& e) override {
    std::string s = EventTypeName(e.type);
    if (!e.task.empty()) s += " " + std::string(e.task) + "#" + std::to_string(e.instance);
    if (!e.signal.empty()) s += " " + std::string(e.signal);
    summaries.push_back(s);
    std::string json;
    AppendEventJson(e, json);
    lines.push_back(json);
    if (!e.reason.empty()) reasons[s] = std::string(e.reason);
    if (e.seq <= last_seq) out_of_order = true;
    last_seq = e.seq;
  }
  std::vector<std::string> summaries;
  std::vector<std::string> lines;
  std::map<std::string, std::string> reasons;
  uint64_t last_seq = 0;
  bool out_of_order = false;
};

}  // namespace rota
