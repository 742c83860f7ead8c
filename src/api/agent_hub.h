// AgentHub: the server-mode Launcher. The engine "launches" a run by placing it on a host; the hub
// queues the assignment for that host's agent and answers the agent's long-poll for work with it.
// Signals (cancel, timeout, kill escalation) go the same way. Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "api/http_server.h"
#include "api/replies.h"
#include "engine/engine.h"
#include "core/launcher.h"

namespace rota {

class AgentHub final : public Launcher {
 public:
  explicit AgentHub(Replies& replies) : replies_(replies) {}
  void set_engine(const Engine* engine) { engine_ = engine; }

  Launched Launch(const LaunchRequest& request) override;   // queues it: pgid 0
  void Signal(RunId run, int signo) override;

  // An agent asks for work: answered at once if its queue has something, else parked until it
  // has (Deliver) or the poll expires (Expire with the same poll id).
  void Poll(const std::string& host, std::shared_ptr<HttpExchange> exchange, size_t max,
            uint64_t poll_id);
  void Expire(const std::string& host, uint64_t poll_id);
  // After each loop batch: answers parked polls whose queue gained work.
  void Deliver();

  // True while `run` waits in `host`'s queue, not yet handed to its agent.
  bool Queued(const std::string& host, RunId run) const;

 private:
  struct Outbox {
    std::deque<std::pair<RunId, std::string>> assign;   // run, JSON object
    std::unordered_set<RunId> queued;                    // the runs in `assign`
    std::deque<std::string> signal;   // JSON objects
    std::shared_ptr<HttpExchange> parked;
    uint64_t poll_id = 0;
    size_t max = 0;
  };
  void Answer(Outbox& box, std::shared_ptr<HttpExchange> exchange, size_t max);

  Replies& replies_;
  const Engine* engine_ = nullptr;
  std::unordered_map<std::string, Outbox> boxes_;
  std::vector<std::string> woken_;   // hosts whose queue gained something this batch
};

}  // namespace rota
