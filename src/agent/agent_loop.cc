// AgentCore's loop thread: exits in, reports out with the next work back, runs started, signals
// delivered, heartbeats; and, once stopping, the runs terminated and what is left reported.
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "agent/agent_core.h"
#include "agent/backoff.h"
#include "agent/process_probe.h"
#include "agent/run_request.h"

namespace rota::agent {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kReapWait{2};   // for runs still starting, and SIGKILLed groups
constexpr int64_t kSmallestLogTry = 64 << 10;

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int MillisUntil(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 60000));
}

bool Answered(const ReportResult& result) {
  return result.ok || result.error == kStaleRun || result.error == kNotFound;
}

// An epoll set over the wake eventfd and (when there is one) the launcher's exit descriptor.
class Waiter {
 public:
  Waiter(int wake_fd, int exit_fd) : wake_fd_(wake_fd), epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
    for (int fd : {wake_fd, exit_fd}) {
      if (fd < 0) continue;
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    }
  }
  ~Waiter() { close(epoll_fd_); }
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // Sleeps until an exit or a wake-up, at most until `deadline`.
  void Wait(Clock::time_point deadline) {
    epoll_event events[2];
    const int n = epoll_wait(epoll_fd_, events, 2, MillisUntil(deadline));
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd != wake_fd_) continue;
      uint64_t count;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
    }
  }

 private:
  const int wake_fd_;
  const int epoll_fd_;
};

}  // namespace

void AgentCore::Loop() {
  Waiter waiter(wake_fd_, launcher_ ? launcher_->exit_fd() : -1);
  Backoff backoff(config_.retry_first, config_.retry_max);
  Clock::time_point next_report = Clock::now();   // later while the server is away
  Clock::time_point next_heartbeat = Clock::now();
  while (!Stopping()) {
    TakeInbox();
    if (launcher_) launcher_->ReapReady();
    if (register_again_) {
      Reregister();
      continue;
    }
    const Clock::time_point now = Clock::now();
    if (table_.HasPending() && now >= next_report) {
      if (Report(/*take_work=*/true)) {
        backoff.Reset();
        continue;   // more may have exited meanwhile: report them before sleeping
      }
      next_report = Clock::now() + backoff.Next();
    }
    if (now >= next_heartbeat) {
      SendHeartbeat();
      std::lock_guard lock(mu_);
      next_heartbeat = Clock::now() + heartbeat_;
    }
    Clock::time_point until = next_heartbeat;
    if (table_.HasPending()) until = std::min(until, next_report);
    waiter.Wait(until);
  }
  TerminateRuns();
  // What is left is reported, without taking new work, until the flush deadline.
  const Clock::time_point flush_deadline = Clock::now() + config_.flush_time;
  while (table_.HasPending() && Clock::now() < flush_deadline) {
    if (Report(/*take_work=*/false)) continue;
    waiter.Wait(std::min(flush_deadline, Clock::now() + backoff.Next()));
  }
}

void AgentCore::TakeInbox() {
  Inbox inbox;
  {
    std::lock_guard lock(mu_);
    std::swap(inbox, inbox_);
  }
  if (inbox.register_again) register_again_ = true;
  for (WorkAnswer& answer : inbox.work) HandleWork(std::move(answer));
}

void AgentCore::Reregister() {
  if (config_.note) config_.note("the server does not know this agent any more: registering again");
  Backoff backoff(config_.retry_first, config_.retry_max);
  while (!Stopping()) {
    Result<RegisterAnswer> answer = Register();
    if (answer) break;
    watch_.Failed(answer.error());
    if (!WaitUnlessStopping(backoff.Next())) break;
  }
  register_again_ = false;
}

bool AgentCore::Report(bool take_work) {
  const std::vector<PendingReport> batch = table_.PendingReports(config_.max_batch);
  std::vector<RunReport> reports;
  reports.reserve(batch.size());
  for (const PendingReport& pending : batch) {
    reports.push_back(pending.report);
    if (pending.log_path.empty()) continue;
    Result<Unit> shipped = ShipLog(pending);
    if (!shipped && IsTransient(shipped.error())) {
      watch_.Failed(shipped.error());
      return false;
    }
    // Shipped, or refused for good (a stale run, a log too large for any try): not again.
    table_.LogShipped(pending.report.run);
  }
  std::string agent;
  {
    std::lock_guard lock(mu_);
    agent = agent_id_;
  }
  std::vector<ReportResult> results;
  WorkAnswer work;
  if (take_work) {
    Result<WorkAnswer> answer = transport_->Exchange(agent, reports, config_.poll_max);
    if (!answer) {
      Failed(answer.error());
      return false;
    }
    work = std::move(answer).value();
    results = std::move(work.results);
  } else {
    Result<std::vector<ReportResult>> answer = transport_->PostStatus(agent, reports);
    if (!answer) {
      Failed(answer.error());
      return false;
    }
    results = std::move(answer).value();
  }
  watch_.Succeeded();
  size_t answered = 0;
  for (const ReportResult& result : results) {
    if (!Answered(result)) continue;
    ++answered;
    Act(result.run, table_.Accepted(result.run));
  }
  if (take_work) HandleWork(std::move(work));
  return answered >= batch.size();
}

bool AgentCore::BehindTheLog(const Assignment& a) {
  if (a.lease_epoch == 0) return false;   // one server: no leases
  uint64_t& newest = lease_epochs_[a.pool];
  if (a.lease_epoch < newest) {
    if (config_.note) {
      config_.note("refused run " + std::to_string(a.run) + ": its server is behind the log (pool " + a.pool +
                   " at lease epoch " + std::to_string(a.lease_epoch) + ", seen " + std::to_string(newest) + ")");
    }
    return true;
  }
  newest = a.lease_epoch;
  return false;
}

void AgentCore::HandleWork(WorkAnswer answer) {
  HandleKills(answer.kill);
  std::erase_if(answer.assign, [this](const Assignment& a) { return BehindTheLog(a); });
  if (config_.no_exec) return SkipRuns(answer.assign);
  for (Assignment& assignment : answer.assign) StartRun(std::move(assignment));
  for (const SignalOrder& order : answer.signal) DeliverSignal(order);
}

void AgentCore::StartRun(Assignment assignment) {
  const RunId run = assignment.run;
  const Epoch epoch = assignment.epoch;
  if (Stopping() || !table_.Claim({run, epoch})) return;  // at most once per run
  Result<PreparedRun> prepared = PrepareRun(std::move(assignment), logs_root_);
  pid_t pgid = 0;
  if (!prepared) {
    RunExit exit;
    exit.run = run;
    exit.exit_code = 127;
    exit.launch_failed = true;
    exit.error = prepared.error().message;
    OnExit(std::move(exit));
  } else {
    const Assignment& a = prepared->assignment;
    if (config_.note && config_.note_runs) {
      config_.note("started run " + std::to_string(run) + " (" + a.job + "/" + a.task + "/" +
                   std::to_string(a.instance) + ")");
    }
    pgid = launcher_->Launch(prepared->Request()).pgid;  // a failure comes back through OnExit at once
  }
  bool journaled = false;
  if (pgid != 0) {
    Result<Unit> recorded =
        journal_.Record({run, epoch, pgid, BootTicksNow(), NowMicros(), prepared->log_path});
    journaled = recorded.ok();
    if (!recorded && config_.note) config_.note("warning: " + recorded.error().message);
  }
  Act(run, table_.Started(run, journaled));
}

void AgentCore::SkipRuns(const std::vector<Assignment>& assignments) {
  if (Stopping()) return;
  for (const Assignment& a : assignments) {
    RunReport report;
    report.run = a.run;
    report.epoch = a.epoch;
    table_.AddReport(std::move(report), "", /*listed=*/true, /*journaled=*/false);
  }
}

void AgentCore::DeliverSignal(const SignalOrder& order) {
  if (!table_.IsRunning({order.run, order.epoch})) return;  // ended, or not ours
  launcher_->Signal(order.run, order.signo);
}

void AgentCore::HandleKills(const std::vector<RunToken>& kill) {
  for (const RunToken& token : kill) {
    const RunTable::Action action = table_.Kill(token.run);
    if (action == RunTable::Action::kKill && config_.note) {
      config_.note("killing run " + std::to_string(token.run) + ": the server no longer wants it");
    }
    Act(token.run, action);
  }
}

void AgentCore::OnExit(RunExit exit) {
  const RunId run = exit.run;
  Act(run, table_.Exited(exit));
}

void AgentCore::Act(RunId run, RunTable::Action action) {
  switch (action) {
    case RunTable::Action::kNothing:
    case RunTable::Action::kReport:  // the loop reports it before it sleeps again
      break;
    case RunTable::Action::kKill:
      if (launcher_) launcher_->Signal(run, SIGKILL);
      break;
    case RunTable::Action::kForget: journal_.Remove(run); break;
  }
}

Result<Unit> AgentCore::ShipLog(const PendingReport& pending) {
  int64_t cap = config_.max_log_bytes;
  for (;;) {
    std::optional<std::string> log = ReadLogForShipping(pending.log_path, cap);
    if (!log || log->empty()) return Unit{};  // printed nothing: nothing to ship (a round trip saved)
    Result<Unit> posted = transport_->PostLog(pending.report.run, pending.report.epoch, *log);
    // Above the server's body limit: try a shorter tail.
    if (posted || posted.error().code != kTooLarge || cap <= kSmallestLogTry) return posted;
    cap = std::max(kSmallestLogTry, cap / 4);
  }
}

void AgentCore::SendHeartbeat() {
  std::string agent;
  {
    std::lock_guard lock(mu_);
    agent = agent_id_;
  }
  Result<std::vector<RunToken>> kill = transport_->Heartbeat(agent, table_.Running());
  if (!kill) return Failed(kill.error());
  watch_.Succeeded();
  HandleKills(*kill);
}

bool AgentCore::ReapUntil(Clock::time_point deadline) {
  Waiter waiter(-1, launcher_->exit_fd());
  for (;;) {
    launcher_->ReapReady();
    if (table_.Live() == 0) return true;
    if (Clock::now() >= deadline) return false;
    waiter.Wait(deadline);
  }
}

// SIGTERM to every run, SIGKILL to what is left after the grace, and the exits heard: they are
// reported in the flush that follows.
void AgentCore::TerminateRuns() {
  if (!launcher_ || table_.Live() == 0) return;
  if (config_.note) {
    config_.note("stopping: SIGTERM to " + std::to_string(table_.Live()) + " running run(s)");
  }
  launcher_->SignalAll(SIGTERM);
  if (ReapUntil(Clock::now() + config_.stop_grace)) return;
  launcher_->SignalAll(SIGKILL);
  ReapUntil(Clock::now() + kReapWait);
}

}  // namespace rota::agent
