#include "api/agent_hub.h"

#include "core/frame_set.h"

namespace rota {

namespace {

// The assignment of docs/api.md, "Agents": the command as the spec wrote it.
wire::Assignment AssignmentOf(const LaunchRequest& r) {
  wire::Assignment a;
  a.run = r.run;
  a.epoch = r.epoch;
  a.job = r.job;
  a.job_id = r.job_id;
  a.task = r.task;
  a.instance = r.instance;
  a.attempt = r.attempt;
  if (!r.frames.empty()) {
    a.frames = FormatFrames(r.frames);
    a.frame_start = r.frames.front();
    a.frame_end = r.frames.back();
  }
  a.shell = r.shell;
  if (r.shell) {
    a.command = r.command;
  } else {
    a.argv.assign(r.argv.begin(), r.argv.end());
  }
  if (r.env != nullptr) a.env = *r.env;
  a.cwd = r.cwd;
  return a;
}

}  // namespace

Launched AgentHub::Launch(const LaunchRequest& request) {
  const std::string host(request.host);
  Outbox& box = boxes_[host];
  box.assign.push_back(AssignmentOf(request));
  box.queued.insert(request.run);
  woken_.push_back(host);
  return {};
}

void AgentHub::Signal(RunId run, int signo) {
  const RunView v = engine_->Run(run);
  if (!v.active || v.host.empty()) return;
  const std::string host(v.host);
  boxes_[host].signal.push_back({run, v.epoch, signo});
  woken_.push_back(host);
}

void AgentHub::Answer(Outbox& box, Poll poll) {
  wire::WorkAnswer answer;
  answer.results = std::move(poll.results);
  while (answer.assign.size() < poll.max && !box.assign.empty()) {
    wire::Assignment& next = box.assign.front();
    box.queued.erase(next.run);
    // A run cancelled or lost before delivery is not sent. The lease epoch is this server's
    // newest now, not the placement's: what the agent compares is how far each server has read.
    const RunView run = engine_->Run(next.run);
    if (run.active) {
      next.pool = run.pool;
      next.lease_epoch = run.lease_epoch;
      answer.assign.push_back(std::move(next));
    }
    box.assign.pop_front();
  }
  answer.signal.assign(box.signal.begin(), box.signal.end());
  box.signal.clear();
  deferred_.Add<wire::WorkAnswer>(std::move(poll.done), std::move(answer));
}

void AgentHub::Take(const std::string& host, Poll poll) {
  Outbox& box = boxes_[host];
  if (!poll.wait) {
    box.prompt.push_back(std::move(poll));
    woken_.push_back(host);
    return;
  }
  if (box.parked) {   // a newer poll replaces it
    Poll older = std::move(*box.parked);
    box.parked.reset();
    Answer(box, std::move(older));
  }
  if (!box.assign.empty() || !box.signal.empty()) return Answer(box, std::move(poll));
  box.parked = std::move(poll);
}

void AgentHub::Expire(const std::string& host, uint64_t poll_id) {
  auto it = boxes_.find(host);
  if (it == boxes_.end() || !it->second.parked || it->second.parked->poll_id != poll_id) return;
  Poll parked = std::move(*it->second.parked);
  it->second.parked.reset();
  Answer(it->second, std::move(parked));
}

void AgentHub::Deliver() {
  for (const std::string& host : woken_) {
    Outbox& box = boxes_[host];
    std::vector<Poll> prompt = std::move(box.prompt);
    box.prompt.clear();
    for (Poll& poll : prompt) Answer(box, std::move(poll));
    if (!box.parked || (box.assign.empty() && box.signal.empty())) continue;
    Poll parked = std::move(*box.parked);
    box.parked.reset();
    // The agent went away: keep its work for its next poll.
    if (parked.abandoned && parked.abandoned()) continue;
    Answer(box, std::move(parked));
  }
  woken_.clear();
}

bool AgentHub::Queued(const std::string& host, RunId run) const {
  auto it = boxes_.find(host);
  return it != boxes_.end() && it->second.queued.count(run) > 0;
}

}  // namespace rota
