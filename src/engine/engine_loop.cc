#include "engine/engine_loop.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace rota {

void EngineLoop::Run(Engine& engine, const std::function<bool(const Engine&)>& done,
                     const std::function<void()>& on_idle, Duration tick,
                     const std::vector<Source>& sources, bool fire_timers) {
  std::vector<pollfd> fds(sources.size() + 1);
  fds[0] = {inbox_.fd(), POLLIN, 0};
  for (size_t i = 0; i < sources.size(); ++i) fds[i + 1] = {sources[i].fd, POLLIN, 0};
  std::vector<Message> batch;
  while (!done(engine)) {
    const TimePoint now = std::chrono::steady_clock::now();
    TimePoint deadline = now + tick;
    if (auto next = engine.NextDeadline(); next && *next < deadline) deadline = *next;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(std::max(deadline - now, {}));
    const int n = poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (n > 0) {
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) sources[i - 1].ready(engine);
      }
      if (fds[0].revents != 0) {
        inbox_.TakeAll(batch);
        for (Message& m : batch) {
          if (auto* exit = std::get_if<RunExit>(&m)) {
            engine.OnRunExit(*exit);
          } else {
            std::get<Request>(m)(engine);
          }
        }
      }
    }
    if (fire_timers) engine.FireTimers();
    if (on_idle) on_idle();
  }
}

}  // namespace rota
