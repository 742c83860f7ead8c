// AgentHub: the server-mode Launcher. The engine "launches" a run by placing it on a host; the hub
// queues the assignment for that host's agent and answers the agent's requests for work with it.
// Signals (cancel, timeout, kill escalation) go the same way. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/server_answers.h"
#include "core/launcher.h"
#include "engine/engine.h"
#include "wire/agent_messages.h"

namespace rota {

class AgentHub final : public Launcher {
 public:
  explicit AgentHub(Deferred& deferred) : deferred_(deferred) {}
  void set_engine(const Engine* engine) { engine_ = engine; }

  Launched Launch(const LaunchRequest& request) override;   // queues it: pgid 0
  void Signal(RunId run, int signo) override;

  // An agent's request for work.
  struct Poll {
    size_t max = 1000;
    // true: answered at once if the host's queue has something, else parked until it has
    // (Deliver) or the poll expires (Expire with the same id); a newer waiting poll answers the
    // parked one. false: answered at the next Deliver, after the batch, with whatever is queued
    // by then (the exit reports it carried may have freed room for more); it leaves a parked poll
    // parked.
    bool wait = true;
    uint64_t poll_id = 0;
    std::vector<wire::ReportResult> results;   // of the reports it carried, sent with the answer
    Answer<wire::WorkAnswer> done;
    Abandoned abandoned;
  };
  void Take(const std::string& host, Poll poll);
  void Expire(const std::string& host, uint64_t poll_id);
  // After each loop batch: answers the polls that do not wait, then parked polls whose queue
  // gained work.
  void Deliver();

  // True while `run` waits in `host`'s queue, not yet handed to its agent.
  bool Queued(const std::string& host, RunId run) const;

 private:
  struct Outbox {
    std::deque<wire::Assignment> assign;
    std::unordered_set<RunId> queued;   // the runs in `assign`
    std::deque<wire::SignalOrder> signal;
    std::optional<Poll> parked;
    std::vector<Poll> prompt;           // polls that do not wait, answered by Deliver
  };
  void Answer(Outbox& box, Poll poll);

  Deferred& deferred_;
  const Engine* engine_ = nullptr;
  std::unordered_map<std::string, Outbox> boxes_;
  std::vector<std::string> woken_;   // hosts whose queue gained something, or with prompt polls
};

}  // namespace rota
