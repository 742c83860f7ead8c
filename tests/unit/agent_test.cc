// The agent (src/agent) against a fake transport and real /bin/sh children: no server needed.
// Waits are on the fake's condition variable with a deadline; the only polling (a few
// milliseconds at a time) waits for files a child writes and for process groups to disappear.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_core.h"
#include "agent/http_transport.h"
#include "agent/log_shipping.h"
#include "agent/process_probe.h"
#include "agent/resources.h"
#include "agent/run_journal.h"
#include "agent/run_table.h"
#include "agent/transport.h"
#include "api/http_server.h"
#include "support/launcher_helpers.h"
#include "support/scratch_dir.h"

extern char** environ;

namespace rota::agent {
namespace {

using namespace std::chrono_literals;
using launcher_test::GroupGone;
using launcher_test::kTimeout;
using launcher_test::ReadFile;
using launcher_test::WaitForLine;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

// A server in memory: the test queues work and kill lists, the agent's calls are recorded.
class FakeTransport final : public AgentTransport {
 public:
  // What the test does.
  void Assign(Assignment assignment) {
    std::lock_guard lock(mu_);
    work_.assign.push_back(std::move(assignment));
    cv_.notify_all();
  }
  void SendSignal(RunId run, Epoch epoch, int signo) {
    std::lock_guard lock(mu_);
    work_.signal.push_back({run, epoch, signo});
    cv_.notify_all();
  }
  void KillOnNextHeartbeat(RunToken token) {
    std::lock_guard lock(mu_);
    heartbeat_kill_.push_back(token);
  }
  void ForgetAgentOnNextHeartbeat() {
    std::lock_guard lock(mu_);
    forget_ = true;
  }
  void FailStatus(int times) {
    std::lock_guard lock(mu_);
    fail_status_ = times;
  }
  void FailLogs(int times) {
    std::lock_guard lock(mu_);
    fail_logs_ = times;
  }
  void AnswerStale(RunId run) {
    std::lock_guard lock(mu_);
    stale_.insert(run);
  }

  // Waits (up to kTimeout) until `done` holds over this fake's records (it runs under the fake's
  // lock); false on timeout.
  bool WaitUntil(const std::function<bool()>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kTimeout, done);
  }
  std::optional<RunReport> WaitForReport(RunId run) {
    std::optional<RunReport> found;
    WaitUntil([&] {
      for (const RunReport& r : reports_) {
        if (r.run == run) found = r;
      }
      return found.has_value();
    });
    return found;
  }
  bool WaitForEvent(const std::string& event) {
    return WaitUntil(
        [&] { return std::find(events_.begin(), events_.end(), event) != events_.end(); });
  }
  bool WaitForRegistrations(size_t n) {
    return WaitUntil([&] { return registrations_.size() >= n; });
  }
  bool WaitForReportCount(size_t n) {
    return WaitUntil([&] { return reports_.size() >= n; });
  }
  bool WaitForHeartbeatListing(RunId run) {
    return WaitUntil([&] { return !heartbeats_.empty() && Lists(heartbeats_.back(), run); });
  }

  // The records; read them after a Wait, under no lock (the agent may still call in).
  std::vector<RunReport> Reports() {
    std::lock_guard lock(mu_);
    return reports_;
  }
  std::vector<std::string> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::map<RunId, std::pair<Epoch, std::string>> Logs() {
    std::lock_guard lock(mu_);
    return logs_;
  }
  std::vector<Registration> Registrations() {
    std::lock_guard lock(mu_);
    return registrations_;
  }
  int StatusCalls() {
    std::lock_guard lock(mu_);
    return status_calls_;
  }
  int LogCalls() {
    std::lock_guard lock(mu_);
    return log_calls_;
  }
  static bool Lists(const std::vector<RunToken>& running, RunId run) {
    for (const RunToken& token : running) {
      if (token.run == run) return true;
    }
    return false;
  }

  // What the agent calls.
  Result<RegisterAnswer> Register(const Registration& registration) override {
    std::lock_guard lock(mu_);
    registrations_.push_back(registration);
    cv_.notify_all();
    return RegisterAnswer{registration.name, 20ms, {}};
  }
  Result<std::vector<RunToken>> Heartbeat(const std::string& agent,
                                          std::span<const RunToken> running) override {
    std::lock_guard lock(mu_);
    EXPECT_EQ(agent, "node1");
    heartbeats_.emplace_back(running.begin(), running.end());
    cv_.notify_all();
    if (std::exchange(forget_, false)) return MakeError(kNotFound, "HTTP 404: no agent node1");
    return std::exchange(heartbeat_kill_, {});
  }
  Result<WorkAnswer> PollWork(const std::string&, std::chrono::milliseconds wait,
                              int max) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait,
                 [&] { return cancelled_ || !work_.assign.empty() || !work_.signal.empty(); });
    if (cancelled_) return MakeError(kCancelled, "stopping");
    return TakeWork(max);
  }
  // The agent's reports with a request for work: their results, then what is queued.
  Result<WorkAnswer> Exchange(const std::string& agent, std::span<const RunReport> reports,
                              int max) override {
    std::lock_guard lock(mu_);
    Result<std::vector<ReportResult>> results = Record(agent, reports);
    if (!results) return results.error();
    WorkAnswer answer = TakeWork(max);
    answer.results = std::move(results).value();
    return answer;
  }
  Result<std::vector<ReportResult>> PostStatus(const std::string& agent,
                                               std::span<const RunReport> reports) override {
    std::lock_guard lock(mu_);
    return Record(agent, reports);
  }
  Result<Unit> PostLog(RunId run, Epoch epoch, std::string_view log) override {
    std::lock_guard lock(mu_);
    ++log_calls_;
    if (fail_logs_ > 0) {
      --fail_logs_;
      return MakeError(kUnreachable, "cannot reach http://fake: Connection refused");
    }
    logs_[run] = {epoch, std::string(log)};
    events_.push_back("log " + std::to_string(run));
    cv_.notify_all();
    return Unit{};
  }
  void CancelPoll() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

 private:
  // REQUIRES: mu_ held.
  WorkAnswer TakeWork(int max) {
    WorkAnswer answer;
    const size_t n = std::min(work_.assign.size(), static_cast<size_t>(max));
    answer.assign.assign(work_.assign.begin(), work_.assign.begin() + n);
    work_.assign.erase(work_.assign.begin(), work_.assign.begin() + n);
    answer.signal = std::exchange(work_.signal, {});
    return answer;
  }
  // REQUIRES: mu_ held.
  Result<std::vector<ReportResult>> Record(const std::string& agent, std::span<const RunReport> reports) {
    EXPECT_EQ(agent, "node1");
    ++status_calls_;
    if (fail_status_ > 0) {
      --fail_status_;
      return MakeError(kUnreachable, "cannot reach http://fake: Connection refused");
    }
    std::vector<ReportResult> results;
    for (const RunReport& report : reports) {
      if (stale_.contains(report.run)) {
        events_.push_back("stale " + std::to_string(report.run));
        results.push_back({report.run, false, kStaleRun, "stale"});
        continue;
      }
      reports_.push_back(report);
      events_.push_back("status " + std::to_string(report.run));
      results.push_back({report.run, true, "", ""});
    }
    cv_.notify_all();
    return results;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  WorkAnswer work_;
  std::vector<RunToken> heartbeat_kill_;
  bool forget_ = false;
  bool cancelled_ = false;
  int fail_status_ = 0, fail_logs_ = 0;
  std::set<RunId> stale_;
  std::vector<Registration> registrations_;
  std::vector<std::vector<RunToken>> heartbeats_;
  std::vector<RunReport> reports_;
  std::vector<std::string> events_;
  std::map<RunId, std::pair<Epoch, std::string>> logs_;
  int status_calls_ = 0, log_calls_ = 0;
};

Assignment Sh(RunId run, std::string command, Epoch epoch = 3) {
  Assignment a;
  a.run = run;
  a.epoch = epoch;
  a.job = "shot-010";
  a.job_id = 42;
  a.task = "render";
  a.instance = static_cast<int>(run);
  a.command = std::move(command);
  return a;
}

// Whether the journal in `dir` holds `run` as live.
bool Journaled(const std::string& dir, RunId run) {
  Result<std::vector<JournalEntry>> entries = RunJournal::Read(dir);
  if (!entries) return false;
  for (const JournalEntry& e : *entries) {
    if (e.run == run) return true;
  }
  return false;
}

// True once the journal in `dir` no longer holds `run` (false if it still does at kTimeout).
bool JournalDropped(const std::string& dir, RunId run) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (Journaled(dir, run)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// `sleep 30` as the leader of a new process group, as a previous agent would have left it.
pid_t SpawnSleepGroup() {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  char* argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
  pid_t pid = 0;
  EXPECT_EQ(posix_spawnp(&pid, "sleep", nullptr, &attr, argv, environ), 0);
  posix_spawnattr_destroy(&attr);
  return pid;
}

class AgentTest : public ::testing::Test {
 protected:
  ~AgentTest() override {
    if (agent_) agent_->Stop();
  }

  void StartAgent(bool no_exec = false) {
    AgentConfig config;
    config.name = "node1";
    config.server = "http://fake";
    config.resources = {4, 1 << 30, 0};
    config.work_dir = work_dir_;
    config.no_exec = no_exec;
    config.retry_first = 1ms;
    config.retry_max = 20ms;
    agent_ = AgentCore::Create(config, transport_);
    ASSERT_TRUE(agent_->RecoverLeftovers().ok());
    ASSERT_TRUE(agent_->Register().ok());
    agent_->Start();
  }

  bool Journaled(RunId run) const { return agent::Journaled(work_dir_ + "/runs", run); }
  bool JournalDropped(RunId run) const { return agent::JournalDropped(work_dir_ + "/runs", run); }

  const testing::ScratchDir scratch_;
  const std::string dir_ = scratch_.path().string();
  const std::string work_dir_ = dir_ + "/agent";
  const std::shared_ptr<FakeTransport> transport_ = std::make_shared<FakeTransport>();
  std::shared_ptr<AgentCore> agent_;  // last: stopped before the rest goes
};

TEST_F(AgentTest, RunsAnAssignmentAndReportsItsExitAfterShippingItsLog) {
  StartAgent();
  Assignment a = Sh(7, "echo frames {frames} $ROTA_FRAMES $RENDERER; exit 3");
  a.frames = "1-3";
  a.env = {{"RENDERER", "fast"}};
  transport_->Assign(a);

  std::optional<RunReport> report = transport_->WaitForReport(7);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->epoch, 3);
  EXPECT_FALSE(report->lost);
  EXPECT_EQ(report->exit_code, 3);
  EXPECT_EQ(report->term_signal, 0);
  EXPECT_FALSE(report->launch_failed);
  EXPECT_EQ(report->error, "");
  auto logs = transport_->Logs();
  ASSERT_TRUE(logs.contains(7));
  EXPECT_EQ(logs[7].first, 3);
  EXPECT_EQ(logs[7].second, "frames 1-3 1-3 fast\n");
  EXPECT_THAT(transport_->Events(), ElementsAre("log 7", "status 7"));
  EXPECT_TRUE(JournalDropped(7));
  EXPECT_EQ(ReadFile(work_dir_ + "/logs/42/shot-010/render/7.1.log"), "frames 1-3 1-3 fast\n");
}

TEST_F(AgentTest, ARunThatPrintsNothingShipsNoLog) {
  StartAgent();
  transport_->Assign(Sh(9, "true"));
  ASSERT_TRUE(transport_->WaitForReport(9).has_value());
  EXPECT_FALSE(transport_->Logs().contains(9));
  EXPECT_THAT(transport_->Events(), ElementsAre("status 9"));
}

TEST_F(AgentTest, StartsARunAssignedTwiceOnlyOnce) {
  StartAgent();
  const std::string counter = dir_ + "/count";
  transport_->Assign(Sh(8, "echo x >> " + counter));
  transport_->Assign(Sh(8, "echo x >> " + counter));
  ASSERT_TRUE(transport_->WaitForReport(8).has_value());
  transport_->Assign(Sh(8, "echo x >> " + counter));  // after its report was answered
  transport_->Assign(Sh(9, "true"));  // handled after the repeat: once 9 is reported, 8 was seen
  ASSERT_TRUE(transport_->WaitForReport(9).has_value());

  EXPECT_EQ(ReadFile(counter), "x\n");
  int reports_of_8 = 0;
  for (const RunReport& r : transport_->Reports()) reports_of_8 += r.run == 8;
  EXPECT_EQ(reports_of_8, 1);
}

TEST_F(AgentTest, RefusesAnAssignmentFromAServerBehindTheLeaseLog) {
  StartAgent();
  const std::string counter = dir_ + "/count";
  Assignment newer = Sh(10, "echo new >> " + counter);
  newer.pool = "render";
  newer.lease_epoch = 5;
  transport_->Assign(newer);
  ASSERT_TRUE(transport_->WaitForReport(10).has_value());

  Assignment behind = Sh(11, "echo behind >> " + counter);  // from a server that has read epoch 4 only
  behind.pool = "render";
  behind.lease_epoch = 4;
  transport_->Assign(behind);
  Assignment other_pool = Sh(12, "echo comp >> " + counter);  // epochs are per pool
  other_pool.pool = "comp";
  other_pool.lease_epoch = 1;
  transport_->Assign(other_pool);
  ASSERT_TRUE(transport_->WaitForReport(12).has_value());

  EXPECT_EQ(ReadFile(counter), "new\ncomp\n");
  for (const RunReport& r : transport_->Reports()) EXPECT_NE(r.run, 11u) << "a refused run is not reported";
}

TEST_F(AgentTest, ASignalEntryStopsTheRunsWholeProcessGroup) {
  StartAgent();
  const std::string pids = dir_ + "/pids";
  transport_->Assign(Sh(10, "sleep 30 & echo $$ > " + pids + "; wait"));
  const std::string leader = WaitForLine(pids);
  ASSERT_FALSE(leader.empty());
  transport_->SendSignal(10, 3, SIGTERM);

  std::optional<RunReport> report = transport_->WaitForReport(10);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->term_signal, SIGTERM);
  EXPECT_EQ(report->exit_code, 128 + SIGTERM);
  EXPECT_TRUE(GroupGone(std::stoi(leader)));  // the backgrounded sleep went too
}

TEST_F(AgentTest, ASignalForAnotherEpochIsIgnored) {
  StartAgent();
  const std::string pids = dir_ + "/pids";
  transport_->Assign(Sh(11, "echo $$ > " + pids + "; sleep 30"));
  ASSERT_FALSE(WaitForLine(pids).empty());
  transport_->SendSignal(11, 2, SIGKILL);  // an older epoch: not this run any more
  transport_->SendSignal(11, 3, SIGTERM);
  std::optional<RunReport> report = transport_->WaitForReport(11);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->term_signal, SIGTERM);
}

TEST_F(AgentTest, AKillListKillsTheRunWithoutReportingIt) {
  StartAgent();
  const std::string pids = dir_ + "/pids";
  transport_->Assign(Sh(12, "echo $$ > " + pids + "; sleep 30"));
  const std::string leader = WaitForLine(pids);
  ASSERT_FALSE(leader.empty());
  ASSERT_TRUE(transport_->WaitForHeartbeatListing(12));
  EXPECT_TRUE(Journaled(12));  // journaled before it was reported as started
  transport_->KillOnNextHeartbeat({12, 3});

  EXPECT_TRUE(GroupGone(std::stoi(leader)));
  EXPECT_TRUE(JournalDropped(12));  // its exit was heard, and dropped
  transport_->Assign(Sh(13, "true"));
  ASSERT_TRUE(transport_->WaitForReport(13).has_value());
  for (const RunReport& r : transport_->Reports()) EXPECT_NE(r.run, 12u);
  EXPECT_FALSE(transport_->Logs().contains(12));
}

TEST_F(AgentTest, KeepsReportsUntilTheServerAnswersThem) {
  transport_->FailLogs(2);
  transport_->FailStatus(3);
  StartAgent();
  transport_->Assign(Sh(14, "echo kept"));

  std::optional<RunReport> report = transport_->WaitForReport(14);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->exit_code, 0);
  EXPECT_EQ(transport_->LogCalls(), 3);     // two failures, then shipped
  EXPECT_EQ(transport_->StatusCalls(), 4);  // three failures, then answered
  EXPECT_EQ(transport_->Logs()[14].second, "kept\n");
  EXPECT_THAT(transport_->Events(), ElementsAre("log 14", "status 14"));
  EXPECT_TRUE(JournalDropped(14));
}

TEST_F(AgentTest, DropsAReportTheServerCallsStale) {
  transport_->AnswerStale(15);
  StartAgent();
  transport_->Assign(Sh(15, "true"));
  ASSERT_TRUE(transport_->WaitForEvent("stale 15"));
  EXPECT_TRUE(JournalDropped(15));
  transport_->Assign(Sh(16, "true"));
  ASSERT_TRUE(transport_->WaitForReport(16).has_value());
  EXPECT_EQ(transport_->StatusCalls(), 2);  // 15 once, answered stale; then 16
}

TEST_F(AgentTest, ReportsARunThatCannotStart) {
  StartAgent();
  Assignment a = Sh(17, "true");
  a.cwd = dir_ + "/missing";
  transport_->Assign(a);
  Assignment b = Sh(18, "true");
  b.frames = "1-10x0";
  transport_->Assign(b);

  std::optional<RunReport> bad_cwd = transport_->WaitForReport(17);
  ASSERT_TRUE(bad_cwd.has_value());
  EXPECT_TRUE(bad_cwd->launch_failed);
  EXPECT_EQ(bad_cwd->exit_code, 127);
  EXPECT_EQ(bad_cwd->error, "cwd " + dir_ + "/missing does not exist");
  std::optional<RunReport> bad_frames = transport_->WaitForReport(18);
  ASSERT_TRUE(bad_frames.has_value());
  EXPECT_TRUE(bad_frames->launch_failed);
  EXPECT_THAT(bad_frames->error, HasSubstr("1-10x0"));
}

TEST_F(AgentTest, KillsAndReportsAsLostTheRunsAPreviousAgentLeft) {
  const pid_t pid = SpawnSleepGroup();
  RunJournal journal(work_dir_ + "/runs");
  ASSERT_TRUE(journal.Open().ok());
  ASSERT_TRUE(journal.Record({41, 2, pid, ProcessStartTicks(pid), 0, ""}).ok());

  StartAgent();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);  // killed, or this would take 30 s
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  std::optional<RunReport> report = transport_->WaitForReport(41);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->lost);
  EXPECT_EQ(report->epoch, 2);
  EXPECT_EQ(report->error, "agent restarted");
  EXPECT_TRUE(transport_->Registrations().front().running.empty());
  EXPECT_TRUE(JournalDropped(41));
}

TEST_F(AgentTest, LeavesAloneAProcessThatReusedALeftoverPid) {
  const pid_t pid = SpawnSleepGroup();
  // The journal says the leader started at another time: this pid is someone else's now.
  EXPECT_FALSE(KillLeftoverGroup(pid, ProcessStartTicks(pid) + kStartTolerance + 1));
  EXPECT_NEAR(static_cast<double>(BootTicksNow()), static_cast<double>(ProcessStartTicks(pid)), kStartTolerance)
      << "the start recorded after a spawn matches the one /proc has";
  EXPECT_TRUE(KillLeftoverGroup(pid, BootTicksNow()));
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(AgentTest, RegistersAgainWithItsRunsWhenTheServerForgetsIt) {
  StartAgent();
  const std::string pids = dir_ + "/pids";
  transport_->Assign(Sh(19, "echo $$ > " + pids + "; sleep 30"));
  ASSERT_FALSE(WaitForLine(pids).empty());
  ASSERT_TRUE(transport_->WaitForHeartbeatListing(19));
  transport_->ForgetAgentOnNextHeartbeat();

  ASSERT_TRUE(transport_->WaitForRegistrations(2));
  const Registration again = transport_->Registrations()[1];
  EXPECT_EQ(again.name, "node1");
  EXPECT_THAT(again.running, ElementsAre(RunToken{19, 3}));
}

TEST_F(AgentTest, StopTerminatesRunningRunsAndReportsThem) {
  StartAgent();
  const std::string pids = dir_ + "/pids";
  transport_->Assign(Sh(20, "echo $$ > " + pids + "; sleep 30"));
  const std::string leader = WaitForLine(pids);
  ASSERT_FALSE(leader.empty());
  ASSERT_TRUE(transport_->WaitForHeartbeatListing(20));

  const auto start = std::chrono::steady_clock::now();
  agent_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(GroupGone(std::stoi(leader)));
  std::vector<RunReport> reports = transport_->Reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].run, 20u);
  EXPECT_EQ(reports[0].term_signal, SIGTERM);
}

TEST_F(AgentTest, NoExecReportsEveryAssignmentAsSucceededWithoutAProcess) {
  StartAgent(/*no_exec=*/true);
  constexpr RunId kRuns = 3000;
  for (RunId run = 1; run <= kRuns; ++run) transport_->Assign(Sh(run, "exit 1"));
  ASSERT_TRUE(transport_->WaitForReportCount(kRuns));

  std::set<RunId> seen;
  for (const RunReport& r : transport_->Reports()) {
    EXPECT_FALSE(r.lost);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_FALSE(r.launch_failed);
    seen.insert(r.run);
  }
  EXPECT_EQ(seen.size(), kRuns);
  EXPECT_EQ(transport_->LogCalls(), 0);
  EXPECT_LT(transport_->StatusCalls(), static_cast<int>(kRuns) / 10);  // batched
  EXPECT_FALSE(fs::exists(work_dir_ + "/logs"));
  EXPECT_TRUE(RunJournal::Read(work_dir_ + "/runs")->empty());
}

// RunTable: the bookkeeping alone.

RunExit ExitOf(RunId run, int exit_code, int term_signal = 0) {
  RunExit exit;
  exit.run = run;
  exit.exit_code = exit_code;
  exit.term_signal = term_signal;
  return exit;
}

RunReport LostReport(RunId run, Epoch epoch) {
  RunReport report;
  report.run = run;
  report.epoch = epoch;
  report.lost = true;
  return report;
}

TEST(AgentRunTableTest, AnExitDuringTheLaunchIsReportedOnceTheRunIsStarted) {
  RunTable table;
  ASSERT_TRUE(table.Claim({1, 5}));
  EXPECT_FALSE(table.Claim({1, 5}));
  EXPECT_EQ(table.Exited(ExitOf(1, 2)), RunTable::Action::kNothing);
  EXPECT_TRUE(table.Running().empty());  // not before its journal entry is written
  EXPECT_EQ(table.Started(1, true), RunTable::Action::kReport);
  ASSERT_EQ(table.PendingReports(10).size(), 1u);
  EXPECT_EQ(table.PendingReports(10)[0].report.epoch, 5);
  EXPECT_EQ(table.PendingReports(10)[0].report.exit_code, 2);
  EXPECT_THAT(table.Running(), ElementsAre(RunToken{1, 5}));  // until the server answers
  EXPECT_EQ(table.Accepted(1), RunTable::Action::kForget);
  EXPECT_FALSE(table.HasPending());
  EXPECT_FALSE(table.Claim({1, 5}));
}

TEST(AgentRunTableTest, AKillDuringTheLaunchKillsTheRunOnceStarted) {
  RunTable table;
  ASSERT_TRUE(table.Claim({2, 1}));
  EXPECT_EQ(table.Kill(2), RunTable::Action::kNothing);
  EXPECT_EQ(table.Started(2, true), RunTable::Action::kKill);
  EXPECT_FALSE(table.IsRunning({2, 1}));
  EXPECT_EQ(table.Exited(ExitOf(2, 137, 9)), RunTable::Action::kForget);
  EXPECT_FALSE(table.HasPending());
  EXPECT_EQ(table.Size(), 0u);
}

TEST(AgentRunTableTest, AKillDropsAPendingReport) {
  RunTable table;
  ASSERT_TRUE(table.AddReport(LostReport(3, 1), "", false, true));
  EXPECT_TRUE(table.Running().empty());  // a lost run is not listed as running
  EXPECT_EQ(table.Kill(3), RunTable::Action::kForget);
  EXPECT_FALSE(table.HasPending());
  EXPECT_FALSE(table.AddReport(LostReport(3, 1), "", false, true));
}

// The journal, resources and protocol codecs.

TEST(AgentRunJournalTest, RecordsReadsBackAndRemovesEntries) {
  testing::ScratchDir scratch;
  RunJournal journal(scratch.File("runs"));
  ASSERT_TRUE(journal.Open().ok());
  ASSERT_TRUE(journal.Record({9, 2, 1234, 555, 1764000000123456, "/logs/a b.log"}).ok());
  ASSERT_TRUE(journal.Record({7, 1, 99, 0, 1, ""}).ok());
  Result<std::vector<JournalEntry>> entries = RunJournal::Read(scratch.File("runs"));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].run, 7u);
  const JournalEntry& e = (*entries)[1];
  EXPECT_EQ(e.run, 9u);
  EXPECT_EQ(e.epoch, 2);
  EXPECT_EQ(e.pgid, 1234);
  EXPECT_EQ(e.leader_start, 555u);
  EXPECT_EQ(e.started_us, 1764000000123456);
  EXPECT_EQ(e.log_path, "/logs/a b.log");
  journal.Remove(9);
  EXPECT_EQ(RunJournal::Read(scratch.File("runs"))->size(), 1u);
  EXPECT_FALSE(ParseJournalLine("start x\n").ok());
}

TEST(AgentRunJournalTest, GrowsPastItsFirstSlotsAndReadsBackOnlyMarkedOnes) {
  testing::ScratchDir scratch;
  const std::string dir = scratch.File("runs");
  {
    RunJournal journal(dir);
    ASSERT_TRUE(journal.Open().ok());
    for (RunId run = 1; run <= 300; ++run) ASSERT_TRUE(journal.Record({run, 1, 100, 0, 0, "/logs/x.log"}).ok());
    for (RunId run = 1; run <= 300; ++run) {
      if (run % 100 != 5) journal.Remove(run);
    }
    ASSERT_TRUE(journal.Record({99999, 1, 100, 0, 0, ""}).ok());
    ASSERT_TRUE(journal.Record({88888, 1, 100, 0, 0, "/" + std::string(2000, 'p')}).ok());
  }   // as a kill -9 leaves it: nothing flushed or closed on purpose
  const auto size = fs::file_size(dir + "/journal");
  EXPECT_EQ(size % RunJournal::kSlot, 0u);
  // A slot being filled when the agent died: its text is there, its mark not yet.
  {
    std::fstream file(dir + "/journal", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size - RunJournal::kSlot));
    file << "-tart 77 1 1 0 0 /logs/y.log";
  }
  RunJournal again(dir);
  Result<std::vector<JournalEntry>> entries = again.Open();
  ASSERT_TRUE(entries.ok());
  std::vector<RunId> runs;
  for (const JournalEntry& e : *entries) runs.push_back(e.run);
  EXPECT_THAT(runs, ElementsAre(5, 105, 205, 88888, 99999));
  EXPECT_EQ((*entries)[0].log_path, "/logs/x.log");
  EXPECT_EQ((*entries)[3].log_path, "") << "a path too long for a slot is left out, not the run";
  EXPECT_LT(fs::file_size(dir + "/journal"), size) << "started afresh with the live runs only";
}

TEST(AgentRunJournalTest, ReadsTheLinesAnOlderAgentLeft) {
  testing::ScratchDir scratch;
  const std::string dir = scratch.File("runs");
  fs::create_directories(dir);
  std::ofstream(dir + "/journal") << "start 5 1 100 0 0 /logs/x.log\nstart 6 1 101 0 0 \ndone 6\n"
                                  << "start 7 2 102 0 0 /logs/z.log\nstart 77 1 1";   // a crash mid-line
  RunJournal journal(dir);
  Result<std::vector<JournalEntry>> entries = journal.Open();
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].run, 5u);
  EXPECT_EQ((*entries)[0].log_path, "/logs/x.log");
  EXPECT_EQ((*entries)[1].epoch, 2u);
  journal.Remove(5);
  ASSERT_EQ(RunJournal::Read(dir)->size(), 1u) << "rewritten in slots, and kept up to date";
  EXPECT_EQ((*RunJournal::Read(dir))[0].run, 7u);
}

TEST(AgentResourcesTest, DetectsPositiveCoresAndMemory) {
  EXPECT_GT(DetectCores(), 0);
  EXPECT_GT(DetectMemory(), 0);
  EXPECT_EQ(ParseMemTotal("MemTotal:       24684096 kB\nMemFree: 1 kB\n"), 24684096LL * 1024);
  EXPECT_EQ(ParseMemTotal("MemFree: 1 kB\n"), 0);
}

TEST(AgentResourcesTest, CountsNvidiaDevicesButNotTheirControlNodes) {
  testing::ScratchDir dev;
  for (const char* name : {"nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "null"}) {
    std::ofstream(dev.File(name)) << "";
  }
  EXPECT_EQ(DetectGpus(dev.path().string()), 2);
}

TEST(AgentResourcesTest, OptionsOverrideDetection) {
  AgentOptions options;
  options.cores = 2.5;
  options.memory = 1 << 20;
  options.gpus = 3;
  options.name = "render7";
  HostResources r = ResolveResources(options);
  EXPECT_EQ(r.cores, 2.5);
  EXPECT_EQ(r.memory, 1 << 20);
  EXPECT_EQ(r.gpus, 3);
  EXPECT_EQ(ResolveName(options), "render7");
  EXPECT_FALSE(ResolveName(AgentOptions{}).empty());
}

TEST(AgentLogShippingTest, ShipsTheTailOfALogAboveTheCap) {
  testing::ScratchDir scratch;
  std::ofstream(scratch.File("big.log")) << std::string(100, 'a') << std::string(50, 'b');
  std::optional<std::string> log = ReadLogForShipping(scratch.File("big.log"), 50);
  ASSERT_TRUE(log.has_value());
  EXPECT_THAT(*log, HasSubstr("100 bytes) of this log were left out]\n"));
  EXPECT_TRUE(log->ends_with("\n" + std::string(50, 'b')));
  EXPECT_EQ(ReadLogForShipping(scratch.File("big.log")),
            std::string(100, 'a') + std::string(50, 'b'));
  EXPECT_FALSE(ReadLogForShipping(scratch.File("missing.log")).has_value());
}

// HttpTransport against a real HttpServer on 127.0.0.1 that plays the rota server.

class AgentHttpTransportTest : public ::testing::Test {
 protected:
  struct Seen {
    std::string method, target, content_type, body;
  };
  using Route = std::function<HttpResponse(const HttpRequest&)>;

  // Answers each request with the first route whose key ("POST /v1/agents/register") starts
  // the request's "METHOD decoded-path"; records everything.
  void Start(std::map<std::string, Route> routes) {
    routes_ = std::move(routes);
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<HttpServer>(options, [this](HttpRequest request,
                                                           std::shared_ptr<HttpExchange> exchange) {
      {
        std::lock_guard lock(mu_);
        seen_.push_back(
            {request.method, request.target, request.Header("content-type"), request.body});
        cv_.notify_all();
      }
      const std::string key = request.method + " " + request.path;
      for (const auto& [prefix, route] : routes_) {
        if (key.starts_with(prefix)) return exchange->Reply(route(request));
      }
      exchange->Reply(Answer(404, R"({"error": {"code": "not_found", "message": "no route"}})"));
    });
    ASSERT_TRUE(server_->Listen().ok());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~AgentHttpTransportTest() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  static HttpResponse Answer(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    return response;
  }
  ServerUrl Url() const {
    return ServerUrl{"127.0.0.1", server_->port(),
                     "http://127.0.0.1:" + std::to_string(server_->port())};
  }
  std::vector<Seen> WaitForRequests(const std::function<bool(const std::vector<Seen>&)>& done) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kTimeout, [&] { return done(seen_); });
    return seen_;
  }

  std::map<std::string, Route> routes_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Seen> seen_;
};

TEST_F(AgentHttpTransportTest, SpeaksTheAgentRoutesOfTheApiDocument) {
  Start({
      {"POST /v1/agents/register",
       [](const HttpRequest&) {
         return Answer(
             200, R"({"id": "node 1", "heartbeat_ms": 2000, "kill": [{"run": 75, "epoch": 3}]})");
       }},
      {"POST /v1/agents/node 1/heartbeat",
       [](const HttpRequest&) {
         return Answer(404, R"({"error": {"code": "not_found", "message": "no agent node 1"}})");
       }},
      {"GET /v1/agents/node 1/work",
       [](const HttpRequest&) {
         return Answer(200,
                       R"({"assign": [{"run": 78, "epoch": 3, "command": "true"}], "signal": []})");
       }},
      {"POST /v1/agents/node 1/status",
       [](const HttpRequest&) { return Answer(200, R"({"results": [{"run": 78, "ok": true}]})"); }},
      {"POST /v1/agents/node 1/work",
       [](const HttpRequest&) {
         return Answer(200, R"({"results": [{"run": 78, "ok": true}],
                               "assign": [{"run": 79, "epoch": 3, "command": "true"}], "signal": []})");
       }},
      {"POST /v1/runs/78/log",
       [](const HttpRequest&) {
         return Answer(409,
                       R"({"error": {"code": "stale_run", "message": "run 78 is at epoch 4"}})");
       }},
  });
  HttpTransport transport(Url());

  Registration registration;
  registration.name = "node 1";
  registration.cores = 8;
  registration.running = {{77, 3}};
  Result<RegisterAnswer> registered = transport.Register(registration);
  ASSERT_TRUE(registered.ok()) << registered.error().message;
  EXPECT_EQ(registered->id, "node 1");
  EXPECT_THAT(registered->kill, ElementsAre(RunToken{75, 3}));

  Result<std::vector<RunToken>> beat = transport.Heartbeat("node 1", {});
  ASSERT_FALSE(beat.ok());
  EXPECT_EQ(beat.error().code, kNotFound);
  EXPECT_EQ(beat.error().message, "HTTP 404: no agent node 1");

  Result<WorkAnswer> work = transport.PollWork("node 1", 1500ms, 7);
  ASSERT_TRUE(work.ok()) << work.error().message;
  ASSERT_EQ(work->assign.size(), 1u);
  EXPECT_EQ(work->assign[0].run, 78u);

  RunReport report;
  report.run = 78;
  report.epoch = 3;
  Result<std::vector<ReportResult>> results = transport.PostStatus("node 1", {&report, 1});
  ASSERT_TRUE(results.ok()) << results.error().message;
  EXPECT_TRUE((*results)[0].ok);

  Result<WorkAnswer> exchanged = transport.Exchange("node 1", {&report, 1}, 9);
  ASSERT_TRUE(exchanged.ok()) << exchanged.error().message;
  ASSERT_EQ(exchanged->results.size(), 1u);
  EXPECT_TRUE(exchanged->results[0].ok);
  ASSERT_EQ(exchanged->assign.size(), 1u);
  EXPECT_EQ(exchanged->assign[0].run, 79u);

  Result<Unit> log = transport.PostLog(78, 3, "line 1\n");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, kStaleRun);
  EXPECT_FALSE(IsTransient(log.error()));

  std::vector<Seen> seen = WaitForRequests([](const auto& s) { return s.size() >= 6; });
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(nlohmann::json::parse(seen[0].body),
            nlohmann::json::parse(R"({"name": "node 1", "cores": 8.0, "memory": 0, "gpus": 0,
                "tags": [], "pools": [], "running": [{"run": 77, "epoch": 3}]})"));
  EXPECT_EQ(nlohmann::json::parse(seen[1].body), nlohmann::json::parse(R"({"running": []})"));
  EXPECT_EQ(seen[2].method, "GET");
  EXPECT_EQ(seen[2].target, "/v1/agents/node%201/work?wait=1s500ms&max=7");
  EXPECT_EQ(nlohmann::json::parse(seen[3].body)["reports"][0]["run"], 78);
  EXPECT_EQ(seen[4].method, "POST");
  EXPECT_EQ(seen[4].target, "/v1/agents/node%201/work?wait=0&max=9");
  EXPECT_EQ(nlohmann::json::parse(seen[4].body)["reports"][0]["run"], 78);
  EXPECT_EQ(seen[5].target, "/v1/runs/78/log?epoch=3&offset=0");
  EXPECT_EQ(seen[5].body, "line 1\n");
}

TEST_F(AgentHttpTransportTest, AnAbsentServerIsATransientError) {
  Start({});
  const ServerUrl url = Url();
  server_->Stop();
  thread_.join();
  server_.reset();
  HttpTransport transport(url);
  Result<RegisterAnswer> registered = transport.Register(Registration{});
  ASSERT_FALSE(registered.ok());
  EXPECT_TRUE(IsTransient(registered.error())) << registered.error().code;
}

TEST_F(AgentHttpTransportTest, AnAgentRunsWorkFromAnHttpServer) {
  testing::ScratchDir scratch;
  std::atomic<bool> assigned{false};
  Start({
      {"POST /v1/agents/register",
       [](const HttpRequest&) { return Answer(200, R"({"id": "node1", "heartbeat_ms": 50})"); }},
      {"POST /v1/agents/node1/heartbeat",
       [](const HttpRequest&) { return Answer(200, R"({"kill": []})"); }},
      {"GET /v1/agents/node1/work",
       [&](const HttpRequest&) {
         if (assigned.exchange(true)) {  // nothing more: a short "long" poll
           std::this_thread::sleep_for(20ms);
           return Answer(200, R"({"assign": [], "signal": []})");
         }
         return Answer(200, R"({"assign": [{"run": 5, "epoch": 1, "job": "j", "job_id": 1,
             "task": "t", "instance": 0, "attempt": 1, "frames": "4-6",
             "command": "echo {frames}; exit 2", "shell": true, "argv": [], "env": {},
             "cwd": ""}], "signal": []})");
       }},
      {"POST /v1/agents/node1/work",
       [](const HttpRequest&) {
         return Answer(200, R"({"results": [{"run": 5, "ok": true}], "assign": [], "signal": []})");
       }},
      {"POST /v1/runs/5/log", [](const HttpRequest&) { return Answer(200, "{}"); }},
  });
  AgentConfig config;
  config.name = "node1";
  config.server = Url().text;
  config.resources = {1, 1 << 20, 0};
  config.work_dir = scratch.File("agent");
  config.poll_wait = 1s;
  std::shared_ptr<AgentCore> agent =
      AgentCore::Create(config, std::make_shared<HttpTransport>(Url()));
  ASSERT_TRUE(agent->RecoverLeftovers().ok());
  ASSERT_TRUE(agent->Register().ok());
  agent->Start();
  // The exit is reported in a request for work (POST), after the log was shipped.
  auto has_status = [](const std::vector<Seen>& seen) {
    for (const Seen& s : seen) {
      if (s.method == "POST" && s.target.starts_with("/v1/agents/node1/work")) return true;
    }
    return false;
  };
  std::vector<Seen> seen = WaitForRequests(has_status);
  agent->Stop();

  ASSERT_TRUE(has_status(seen));
  std::string log_body, status_body;
  for (const Seen& s : seen) {
    if (s.target.starts_with("/v1/runs/5/log")) log_body = s.body;
    if (s.method == "POST" && s.target.starts_with("/v1/agents/node1/work")) status_body = s.body;
  }
  EXPECT_EQ(log_body, "4-6\n");
  EXPECT_EQ(nlohmann::json::parse(status_body),
            nlohmann::json::parse(R"({"reports": [{"run": 5, "epoch": 1, "state": "exited",
                "exit_code": 2, "term_signal": 0, "launch_failed": false, "error": ""}]})"));
}

}  // namespace
}  // namespace rota::agent
