// AgentCore's work thread: long-polls for assignments, starts each run at most once, delivers
// signals; and what happens when a run exits or the server asks for it to be killed.
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "agent/agent_core.h"
#include "agent/backoff.h"
#include "agent/process_probe.h"
#include "agent/run_request.h"

namespace rota::agent {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void AgentCore::WorkLoop() {
  Backoff backoff(config_.retry_first, config_.retry_max);
  for (;;) {
    std::string agent;
    uint64_t generation = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      agent = agent_id_;
      generation = generation_;
    }
    Result<WorkAnswer> answer = transport_->PollWork(agent, config_.poll_wait, config_.poll_max);
    if (!answer) {
      Failed(answer.error(), generation);
      if (!WaitUnlessStopping(backoff.Next())) return;
      continue;
    }
    backoff.Reset();
    watch_.Succeeded();
    HandleKills(answer->kill);
    if (config_.no_exec) {
      SkipRuns(answer->assign);
    } else {
      for (Assignment& assignment : answer->assign) StartRun(std::move(assignment));
      for (const SignalOrder& order : answer->signal) DeliverSignal(order);
    }
  }
}

void AgentCore::StartRun(Assignment assignment) {
  const RunId run = assignment.run;
  const Epoch epoch = assignment.epoch;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !table_.Claim({run, epoch})) return;  // at most once per run
  }
  Result<PreparedRun> prepared = PrepareRun(std::move(assignment), logs_root_);
  pid_t pgid = 0;
  std::string log_path;
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
    log_path = prepared->log_path;
  }
  bool journaled = false;
  if (pgid != 0) {
    Result<Unit> recorded =
        journal_.Record({run, epoch, pgid, ProcessStartTicks(pgid), NowMicros(), log_path});
    journaled = recorded.ok();
    if (!recorded && config_.note) config_.note("warning: " + recorded.error().message);
  }
  RunTable::Action action;
  {
    std::lock_guard lock(mu_);
    action = table_.Started(run, journaled);
  }
  cv_.notify_all();  // the reporter (an early exit), or Stop waiting for launches to finish
  Act(run, action);
}

void AgentCore::SkipRuns(const std::vector<Assignment>& assignments) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (const Assignment& a : assignments) {
      RunReport report;
      report.run = a.run;
      report.epoch = a.epoch;
      table_.AddReport(std::move(report), "", /*listed=*/true, /*journaled=*/false);
    }
  }
  cv_.notify_all();
}

void AgentCore::DeliverSignal(const SignalOrder& order) {
  {
    std::lock_guard lock(mu_);
    if (!table_.IsRunning({order.run, order.epoch})) return;  // ended, or not ours
  }
  launcher_->Signal(order.run, order.signo);
}

void AgentCore::HandleKills(const std::vector<RunToken>& kill) {
  for (const RunToken& token : kill) {
    RunTable::Action action;
    {
      std::lock_guard lock(mu_);
      action = table_.Kill(token.run);
    }
    if (action == RunTable::Action::kKill && config_.note) {
      config_.note("killing run " + std::to_string(token.run) + ": the server no longer wants it");
    }
    Act(token.run, action);
  }
}

void AgentCore::OnExit(RunExit exit) {
  const RunId run = exit.run;
  RunTable::Action action;
  {
    std::lock_guard lock(mu_);
    action = table_.Exited(exit);
    cv_.notify_all();  // under the lock: Stop may be waiting to destroy the launcher
  }
  Act(run, action);
}

void AgentCore::Act(RunId run, RunTable::Action action) {
  switch (action) {
    case RunTable::Action::kNothing:
    case RunTable::Action::kReport:  // the reporter was woken with the change
      break;
    case RunTable::Action::kKill:
      if (launcher_) launcher_->Signal(run, SIGKILL);
      break;
    case RunTable::Action::kForget: journal_.Remove(run); break;
  }
}

}  // namespace rota::agent
