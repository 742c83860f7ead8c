// AgentCore: lifecycle, registration, the long-poll thread and stopping. The loop is in
// agent_loop.cc.
#include "agent/agent_core.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "agent/backoff.h"
#include "agent/process_probe.h"

namespace rota::agent {
namespace {

constexpr unsigned kLoopThread = 1, kPollThread = 2;
constexpr std::chrono::milliseconds kDefaultHeartbeat{2000};
constexpr std::chrono::milliseconds kMinHeartbeat{10};
// How long Stop waits for the loop past its own deadlines (grace, reaping, flush) before it
// leaves it behind, and for a poll thread in a long poll the transport cannot cancel.
constexpr std::chrono::seconds kReapWait{2};
constexpr std::chrono::milliseconds kJoinSlack{500};
constexpr std::chrono::milliseconds kPollSlack{200};

}  // namespace

std::shared_ptr<AgentCore> AgentCore::Create(AgentConfig config,
                                             std::shared_ptr<AgentTransport> transport) {
  return std::shared_ptr<AgentCore>(new AgentCore(std::move(config), std::move(transport)));
}

AgentCore::AgentCore(AgentConfig config, std::shared_ptr<AgentTransport> transport)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      logs_root_(config_.work_dir + "/logs"),
      journal_(config_.work_dir + "/runs"),
      watch_(config_.server, config_.note),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!config_.no_exec) {
    launcher_ = std::make_unique<ProcessLauncher>([this](RunExit exit) { OnExit(std::move(exit)); },
                                                  ProcessLauncher::Reaping::kByCaller,
                                                  ProcessLauncher::OutputCapture::kThroughPipe);
  }
}

AgentCore::~AgentCore() {
  launcher_.reset();   // before the table its sink writes to
  if (wake_fd_ >= 0) close(wake_fd_);
}

Result<size_t> AgentCore::RecoverLeftovers() {
  Result<std::vector<JournalEntry>> entries = journal_.Open();
  if (!entries) return entries.error();
  for (const JournalEntry& entry : *entries) {
    const bool killed = KillLeftoverGroup(entry.pgid, entry.leader_start);
    RunReport report;
    report.run = entry.run;
    report.epoch = entry.epoch;
    report.lost = true;
    report.error = "agent restarted";
    // What it wrote until now is worth shipping.
    table_.AddReport(std::move(report), entry.log_path, /*listed=*/false, /*journaled=*/true);
    if (config_.note) {
      config_.note("run " + std::to_string(entry.run) + " was left by a previous agent: " +
                   (killed ? "killed its processes, " : "") + "reporting it lost");
    }
  }
  return entries->size();
}

Result<RegisterAnswer> AgentCore::Register() {
  Registration registration;
  registration.name = config_.name;
  registration.cores = config_.resources.cores;
  registration.memory = config_.resources.memory;
  registration.gpus = config_.resources.gpus;
  registration.tags = config_.tags;
  registration.pools = config_.pools;
  registration.running = table_.Running();
  Result<RegisterAnswer> answer = transport_->Register(registration);
  if (!answer) return answer;
  {
    std::lock_guard lock(mu_);
    agent_id_ = answer->id.empty() ? config_.name : answer->id;
    heartbeat_ = answer->heartbeat.count() > 0 ? std::max(answer->heartbeat, kMinHeartbeat)
                                               : kDefaultHeartbeat;
  }
  watch_.Succeeded();
  HandleKills(answer->kill);
  return answer;
}

void AgentCore::Start() {
  {
    std::lock_guard lock(mu_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  std::shared_ptr<AgentCore> self = shared_from_this();
  auto run = [self](void (AgentCore::*body)(), unsigned bit) {
    return std::thread([self, body, bit] {
      (self.get()->*body)();
      std::lock_guard lock(self->mu_);
      self->done_ |= bit;
      self->cv_.notify_all();
    });
  };
  loop_ = run(&AgentCore::Loop, kLoopThread);
  poller_ = run(&AgentCore::PollLoop, kPollThread);
}

void AgentCore::PollLoop() {
  Backoff backoff(config_.retry_first, config_.retry_max);
  for (;;) {
    std::string agent;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      agent = agent_id_;
    }
    Result<WorkAnswer> answer = transport_->PollWork(agent, config_.poll_wait, config_.poll_max);
    if (!answer) {
      if (answer.error().code == kNotFound) {
        std::lock_guard lock(mu_);
        inbox_.register_again = true;
      } else if (answer.error().code != kCancelled) {
        watch_.Failed(answer.error());
      }
      Wake();
      if (!WaitUnlessStopping(backoff.Next())) return;
      continue;
    }
    backoff.Reset();
    watch_.Succeeded();
    if (answer->assign.empty() && answer->signal.empty() && answer->kill.empty()) continue;
    {
      std::lock_guard lock(mu_);
      inbox_.work.push_back(std::move(answer).value());
    }
    Wake();
  }
}

void AgentCore::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

bool AgentCore::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool AgentCore::WaitUnlessStopping(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, delay, [&] { return stopping_; });
}

void AgentCore::Failed(const Error& error) {
  if (error.code == kNotFound) {
    register_again_ = true;
  } else if (error.code != kCancelled) {
    watch_.Failed(error);
  }
}

void AgentCore::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  transport_->CancelPoll();
  Wake();
  std::unique_lock lock(mu_);
  if (!started_) return;
  // The loop ends once its runs are stopped and reported, by its own deadlines; a poll thread in a
  // long poll the transport cannot cancel is not waited for long.
  const auto loop_deadline = std::chrono::steady_clock::now() + config_.stop_grace + 2 * kReapWait +
                             config_.flush_time + kJoinSlack;
  cv_.wait_until(lock, loop_deadline, [&] { return (done_ & kLoopThread) != 0; });
  cv_.wait_for(lock, kPollSlack, [&] { return (done_ & kPollThread) != 0; });
  const unsigned done = done_;
  lock.unlock();
  for (auto [thread, bit] : {std::pair{&loop_, kLoopThread}, std::pair{&poller_, kPollThread}}) {
    if (done & bit) {
      thread->join();
    } else {
      thread->detach();  // stuck in the transport; it holds its own reference to the core
    }
  }
}

}  // namespace rota::agent
