// EngineLoop: the thread that owns an Engine. Other threads talk to it only through its inbox:
// exits from the launcher's reaper, signals and cancellations from the CLI or the API, and requests
// that want an answer (Call returns a future: a one-shot reply).
//
// Construct the loop first, hand exit_sink() to the launcher, then build the Engine and Run it.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <variant>

#include "engine/engine.h"
#include "engine/inbox.h"

namespace rota {

class EngineLoop {
 public:
  using Request = std::function<void(Engine&)>;

  // Thread-safe: the launcher calls it from its reaper thread.
  ExitSink exit_sink() {
    return [this](RunExit exit) { inbox_.Post(Message(std::move(exit))); };
  }

  // Thread-safe: runs `fn` on the loop thread, in order with everything else posted.
  void Post(Request fn) { inbox_.Post(Message(std::move(fn))); }

  // Thread-safe: runs `fn` on the loop thread and answers its result through the future.
  template <class T>
  std::future<T> Call(std::function<T(Engine&)> fn) {
    auto reply = std::make_shared<std::promise<T>>();
    std::future<T> answer = reply->get_future();
    Post([fn = std::move(fn), reply](Engine& e) {
      if constexpr (std::is_void_v<T>) {
        fn(e);
        reply->set_value();
      } else {
        reply->set_value(fn(e));
      }
    });
    return answer;
  }

  // A descriptor the loop watches besides its inbox: when `fd` is readable, `ready` runs on the
  // loop thread (e.g. the launcher reaping exits and reporting them straight to the engine, which
  // saves a thread hop per exit).
  struct Source {
    int fd;
    std::function<void(Engine&)> ready;
  };

  // Runs the loop on the calling thread until `done(engine)` holds after a batch. `on_idle` runs
  // after each batch and at least every `tick` (flush sinks, redraw progress). With
  // `fire_timers`, what the engine's deadlines made due is applied after each batch
  // (Engine::FireTimers); a server instead proposes it through its log in `on_idle`, and wakes for
  // the engine's deadlines all the same.
  // REQUIRES: the engine's clock is a real clock (the loop sleeps in real time).
  void Run(Engine& engine, const std::function<bool(const Engine&)>& done,
           const std::function<void()>& on_idle, Duration tick,
           const std::vector<Source>& sources = {}, bool fire_timers = true);

 private:
  using Message = std::variant<RunExit, Request>;
  Inbox<Message> inbox_;
};

}  // namespace rota
