// AgentCore: lifecycle, registration, heartbeats and stopping. The work thread is in
// agent_work.cc, the reporter in agent_reporter.cc.
#include "agent/agent_core.h"

#include <signal.h>

#include <algorithm>

#include "agent/backoff.h"
#include "agent/process_probe.h"

namespace rota::agent {
namespace {

constexpr unsigned kWorkThread = 1, kHeartbeatThread = 2, kReporterThread = 4;
constexpr unsigned kAllThreads = kWorkThread | kHeartbeatThread | kReporterThread;
constexpr std::chrono::milliseconds kDefaultHeartbeat{2000};
constexpr std::chrono::milliseconds kMinHeartbeat{10};
// How long Stop waits for runs still being launched, and for SIGKILLed groups to be reaped.
constexpr std::chrono::seconds kReapWait{2};
// How long past the flush deadline Stop waits for a thread before it leaves it behind.
constexpr std::chrono::milliseconds kJoinSlack{500};
constexpr std::chrono::milliseconds kWorkSlack{200};

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
      watch_(config_.server, config_.note) {
  if (!config_.no_exec) {
    launcher_ = std::make_unique<ProcessLauncher>([this](RunExit exit) { OnExit(std::move(exit)); },
                                                  ProcessLauncher::Reaping::kOwnThread,
                                                  ProcessLauncher::OutputCapture::kThroughPipe);
  }
}

AgentCore::~AgentCore() = default;

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
    {
      std::lock_guard lock(mu_);
      // What it wrote until now is worth shipping.
      table_.AddReport(std::move(report), entry.log_path, /*listed=*/false, /*journaled=*/true);
    }
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
  {
    std::lock_guard lock(mu_);
    registration.running = table_.Running();
  }
  Result<RegisterAnswer> answer = transport_->Register(registration);
  if (!answer) return answer;
  {
    std::lock_guard lock(mu_);
    agent_id_ = answer->id.empty() ? config_.name : answer->id;
    heartbeat_ = answer->heartbeat.count() > 0 ? std::max(answer->heartbeat, kMinHeartbeat)
                                               : kDefaultHeartbeat;
    ++generation_;
  }
  cv_.notify_all();
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
  work_ = std::thread([self] {
    self->WorkLoop();
    self->ThreadDone(kWorkThread);
  });
  heartbeat_thread_ = std::thread([self] {
    self->HeartbeatLoop();
    self->ThreadDone(kHeartbeatThread);
  });
  reporter_ = std::thread([self] {
    self->ReportLoop();
    self->ThreadDone(kReporterThread);
  });
}

void AgentCore::ThreadDone(unsigned bit) {
  std::lock_guard lock(mu_);
  done_ |= bit;
  cv_.notify_all();
}

void AgentCore::HeartbeatLoop() {
  for (;;) {
    std::string agent;
    uint64_t generation = 0;
    std::vector<RunToken> running;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, heartbeat_, [&] { return stopping_; });
      if (stopping_) return;
      agent = agent_id_;
      generation = generation_;
      running = table_.Running();
    }
    Result<std::vector<RunToken>> kill = transport_->Heartbeat(agent, running);
    if (!kill) {
      Failed(kill.error(), generation);
      continue;
    }
    watch_.Succeeded();
    HandleKills(*kill);
  }
}

void AgentCore::Failed(const Error& error, uint64_t generation) {
  if (error.code == kNotFound) return Reregister(generation);
  if (error.code != kCancelled) watch_.Failed(error);
}

void AgentCore::Reregister(uint64_t generation) {
  std::lock_guard registering(register_mu_);
  {
    std::lock_guard lock(mu_);
    if (generation_ != generation || stopping_) return;  // another thread did it already
  }
  if (config_.note) config_.note("the server does not know this agent any more: registering again");
  Backoff backoff(config_.retry_first, config_.retry_max);
  for (;;) {
    Result<RegisterAnswer> answer = Register();
    if (answer) return;
    watch_.Failed(answer.error());
    if (!WaitUnlessStopping(backoff.Next())) return;
  }
}

bool AgentCore::WaitUnlessStopping(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, delay, [&] { return stopping_; });
}

void AgentCore::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  transport_->CancelPoll();
  TerminateRuns();
  std::unique_lock lock(mu_);
  flushing_ = true;
  flush_deadline_ = std::chrono::steady_clock::now() + config_.flush_time;
  cv_.notify_all();
  if (!started_) return;
  // The reporter ends by the flush deadline; a work thread in a long poll the transport cannot
  // cancel is not waited for long.
  cv_.wait_until(lock, flush_deadline_ + kJoinSlack,
                 [&] { return (done_ & ~kWorkThread) == (kAllThreads & ~kWorkThread); });
  cv_.wait_for(lock, kWorkSlack, [&] { return done_ == kAllThreads; });
  const unsigned done = done_;
  lock.unlock();
  const std::pair<std::thread*, unsigned> threads[] = {
      {&work_, kWorkThread}, {&heartbeat_thread_, kHeartbeatThread}, {&reporter_, kReporterThread}};
  for (auto [thread, bit] : threads) {
    if (done & bit) {
      thread->join();
    } else {
      thread->detach();  // stuck in the transport; it holds its own reference to the core
    }
  }
}

// SIGTERM to every run, SIGKILL to what is left after the grace, and wait for the exits: they
// are reported in the flush that follows.
void AgentCore::TerminateRuns() {
  if (!launcher_) return;
  std::unique_lock lock(mu_);
  // A launch in progress finishes first, so that SignalAll sees its process.
  cv_.wait_for(lock, kReapWait, [&] { return table_.Starting() == 0; });
  // Gone once their exits were heard (the launcher's own count drops just before that).
  auto all_gone = [&] { return table_.Live() == 0; };
  if (all_gone()) return;
  if (config_.note) {
    config_.note("stopping: SIGTERM to " + std::to_string(table_.Live()) + " running run(s)");
  }
  launcher_->SignalAll(SIGTERM);
  if (cv_.wait_for(lock, config_.stop_grace, all_gone)) return;
  launcher_->SignalAll(SIGKILL);
  cv_.wait_for(lock, kReapWait, all_gone);
}

}  // namespace rota::agent
