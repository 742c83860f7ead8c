// A Launcher that starts nothing and an EventSink that keeps nothing: for engines that only
// follow a log (the server's snapshot replica) and for benchmarks of the engine alone.
#pragma once

#include "engine/event.h"
#include "core/launcher.h"

namespace rota {

class NullLauncher final : public Launcher {
 public:
  Launched Launch(const LaunchRequest&) override { return {}; }
  void Signal(RunId, int) override {}
};

class NullEventSink final : public EventSink {
 public:
  void Publish(const Event&) override {}
};

}  // namespace rota
