#include "engine/engine_loop.h"

namespace rota {

void EngineLoop::Run(Engine& engine, const std::function<bool(const Engine&)>& done,
                     const std::function<void()>& on_idle, Duration tick) {
  std::vector<Message> batch;
  while (!done(engine)) {
    std::optional<TimePoint> deadline = std::chrono::steady_clock::now() + tick;
    if (auto next = engine.NextDeadline(); next && *next < *deadline) deadline = next;
    inbox_.TakeAll(batch, deadline);
    for (Message& m : batch) {
      if (auto* exit = std::get_if<RunExit>(&m)) {
        engine.OnRunExit(*exit);
      } else {
        std::get<Request>(m)(engine);
      }
    }
    engine.FireTimers();
    if (on_idle) on_idle();
  }
}

}  // namespace rota
