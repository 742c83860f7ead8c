// Runs real processes through ProcessLauncher. Exits are awaited on a condition variable with a
// deadline; the only polling (a few milliseconds at a time) waits for files a child writes and for
// signalled process groups to disappear.
#include "exec/process_launcher.h"
#include "support/launcher_helpers.h"
#include "support/scratch_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace rota {
namespace {

using namespace launcher_test;
using ::testing::HasSubstr;

class ProcessLauncherTest : public ::testing::Test {
 protected:
  // Launches `spec` and waits for its exit.
  RunExit Run(const RunSpec& spec) {
    const RunId run = Start(spec);
    std::optional<RunExit> exit = exits_.Wait(run);
    EXPECT_TRUE(exit.has_value()) << "run " << run << " was not reported";
    return exit.value_or(RunExit{});
  }

  RunId Start(const RunSpec& spec) {
    const RunId run = next_run_++;
    launcher_.Launch(spec.Request(run, log_dir_));
    return run;
  }

  const testing::ScratchDir scratch_;
  const std::string dir_ = scratch_.path().string();
  const std::string log_dir_ = dir_ + "/logs";
  RunId next_run_ = 1;
  ExitCollector exits_;
  ProcessLauncher launcher_{exits_.Sink()};  // declared last: destroyed before what it reports to
};

TEST_F(ProcessLauncherTest, ReportsExitCodes) {
  RunExit ok = Run(RunSpec::Sh("true"));
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.term_signal, 0);
  EXPECT_FALSE(ok.launch_failed);
  EXPECT_EQ(ok.error, "");

  RunExit three = Run(RunSpec::Sh("exit 3"));
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_FALSE(three.launch_failed);
  EXPECT_EQ(launcher_.Running(), 0u);
}

TEST_F(ProcessLauncherTest, WritesStdoutAndStderrToTheRunLog) {
  RunExit exit = Run(RunSpec::Sh("echo out; echo err >&2; cat; read x || echo no-stdin")
                         .Task("comp")
                         .Instance(2)
                         .Attempt(3));
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.log_path, log_dir_ + "/shot-010/comp/2.3.log");
  EXPECT_EQ(ReadFile(exit.log_path), "out\nerr\nno-stdin\n");
}

TEST_F(ProcessLauncherTest, ARetryGetsItsOwnLogAndARerunTruncatesIt) {
  Run(RunSpec::Sh("echo first").Attempt(1));
  Run(RunSpec::Sh("echo second").Attempt(2));
  RunExit again = Run(RunSpec::Sh("echo third").Attempt(2));
  EXPECT_EQ(ReadFile(log_dir_ + "/shot-010/render/0.1.log"), "first\n");
  EXPECT_EQ(ReadFile(again.log_path), "third\n");
}

TEST_F(ProcessLauncherTest, RecreatesALogDirectoryRemovedWhileRunning) {
  Run(RunSpec::Sh("true"));
  fs::remove_all(log_dir_);
  RunExit exit = Run(RunSpec::Sh("echo back"));
  EXPECT_FALSE(exit.launch_failed) << exit.error;
  EXPECT_EQ(ReadFile(exit.log_path), "back\n");
}

TEST_F(ProcessLauncherTest, WithoutALogDirOutputIsDiscarded) {
  const RunId run = next_run_++;
  launcher_.Launch(RunSpec::Sh("echo lost").Request(run, ""));
  std::optional<RunExit> exit = exits_.Wait(run);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(exit->log_path, "");
}

TEST_F(ProcessLauncherTest, ExpandsPlaceholdersInShellCommands) {
  RunExit exit = Run(RunSpec::Sh("echo {job} {task} {frames} {frame_start} {frame_end} "
                                 "{chunk_index}; echo a b | awk '{print $2}'")
                         .Frames({13, 14, 15, 16})
                         .Instance(3));
  EXPECT_EQ(ReadFile(exit.log_path), "shot-010 render 13-16 13 16 3\nb\n");
}

TEST_F(ProcessLauncherTest, ArgvModeExpandsEachArgumentWithoutAShell) {
  RunExit exit =
      Run(RunSpec::Argv({"printf", "%s|", "{frames}", "a b", "$HOME", "{job}"}).Frames({1, 3, 5}));
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(ReadFile(exit.log_path), "1-5x2|a b|$HOME|shot-010|");
}

TEST_F(ProcessLauncherTest, SetsRotaVariablesAndTheTaskEnvironment) {
  RunExit exit = Run(RunSpec::Sh("env | grep -E '^(ROTA_|RENDERER=)' | sort")
                         .Frames({13, 14, 15, 16})
                         .Instance(3)
                         .Attempt(2)
                         .Env("RENDERER", "fast")
                         .Env("ROTA_JOB", "task env loses to rota"));
  EXPECT_EQ(ReadFile(exit.log_path),
            "RENDERER=fast\n"
            "ROTA_ATTEMPT=2\n"
            "ROTA_CHUNK_INDEX=3\n"
            "ROTA_FRAMES=13-16\n"
            "ROTA_FRAME_END=16\n"
            "ROTA_FRAME_START=13\n"
            "ROTA_JOB=shot-010\n"
            "ROTA_TASK=render\n");
}

TEST_F(ProcessLauncherTest, FrameVariablesAreEmptyForATaskWithoutFrames) {
  RunExit exit = Run(RunSpec::Sh("echo \"[$ROTA_FRAMES][$ROTA_FRAME_START][$ROTA_FRAME_END]\""));
  EXPECT_EQ(ReadFile(exit.log_path), "[][][]\n");
}

TEST(ProcessLauncherEnvTest, InheritsRotasEnvironmentAndTheTaskEnvOverridesIt) {
  setenv("ROTA_TEST_INHERITED", "from rota", 1);
  setenv("ROTA_TEST_OVERRIDDEN", "from rota", 1);
  ExitCollector exits;
  ProcessLauncher launcher(exits.Sink());  // takes its copy of the environment now
  unsetenv("ROTA_TEST_INHERITED");
  unsetenv("ROTA_TEST_OVERRIDDEN");

  RunSpec spec = RunSpec::Sh("env | grep ^ROTA_TEST_ | sort").Env("ROTA_TEST_OVERRIDDEN", "task");
  const std::string log_dir = ::testing::TempDir() + "rota-env-test";
  launcher.Launch(spec.Request(1, log_dir));
  std::optional<RunExit> exit = exits.Wait(1);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(ReadFile(exit->log_path),
            "ROTA_TEST_INHERITED=from rota\n"
            "ROTA_TEST_OVERRIDDEN=task\n");
  fs::remove_all(log_dir);
}

TEST_F(ProcessLauncherTest, RunsInTheTaskCwd) {
  RunExit exit = Run(RunSpec::Sh("pwd -P").Cwd(dir_));
  EXPECT_EQ(ReadFile(exit.log_path), fs::canonical(dir_).string() + "\n");
}

TEST_F(ProcessLauncherTest, AMissingCwdIsALaunchFailureReportedBeforeLaunchReturns) {
  Start(RunSpec::Sh("true").Cwd("/nope/rota-missing"));
  ASSERT_EQ(exits_.Count(), 1u);  // the sink was called synchronously, from inside Launch
  RunExit exit = *exits_.Wait(1);
  EXPECT_TRUE(exit.launch_failed);
  EXPECT_EQ(exit.exit_code, 127);
  EXPECT_EQ(exit.error, "cwd /nope/rota-missing does not exist");
  EXPECT_EQ(launcher_.Running(), 0u);
}

TEST_F(ProcessLauncherTest, ACwdThatIsAFileIsALaunchFailure) {
  const std::string file = dir_ + "/file";
  std::ofstream(file) << "x";
  RunExit exit = Run(RunSpec::Sh("true").Cwd(file));
  EXPECT_TRUE(exit.launch_failed);
  EXPECT_EQ(exit.error, "cwd " + file + " is not a directory");
}

TEST_F(ProcessLauncherTest, AMissingProgramIsALaunchFailure) {
  RunExit exit = Run(RunSpec::Argv({"rota-no-such-program", "x"}));
  EXPECT_TRUE(exit.launch_failed);
  EXPECT_EQ(exit.exit_code, 127);
  EXPECT_EQ(exit.error, "cannot start \"rota-no-such-program\": command not found");

  RunExit path = Run(RunSpec::Argv({"/nope/prog"}));
  EXPECT_TRUE(path.launch_failed);
  EXPECT_EQ(path.error, "cannot start \"/nope/prog\": No such file or directory");
}

TEST_F(ProcessLauncherTest, AnArgvTaskWithoutArgumentsIsALaunchFailure) {
  RunExit exit = Run(RunSpec::Argv({}));
  EXPECT_TRUE(exit.launch_failed);
  EXPECT_EQ(exit.error, "task render has no command");
}

TEST_F(ProcessLauncherTest, AShellCommandNotFoundIsAnOrdinaryExit127) {
  RunExit exit = Run(RunSpec::Sh("rota-no-such-program"));
  EXPECT_FALSE(exit.launch_failed);
  EXPECT_EQ(exit.exit_code, 127);
  EXPECT_THAT(ReadFile(exit.log_path), HasSubstr("rota-no-such-program"));
}

TEST_F(ProcessLauncherTest, ARunIdThatIsStillRunningIsRefused) {
  const RunId run = Start(RunSpec::Sh("exec sleep 30"));
  launcher_.Launch(RunSpec::Sh("true").Request(run, log_dir_));
  std::optional<RunExit> refused = exits_.Wait(run);
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(refused->launch_failed);
  EXPECT_EQ(refused->error, "run 1 is already running");
  EXPECT_EQ(launcher_.Running(), 1u);
  launcher_.Signal(run, SIGKILL);
  EXPECT_EQ(exits_.WaitForCount(2).back().term_signal, SIGKILL);
}

TEST_F(ProcessLauncherTest, SignalTerminatesTheRun) {
  const RunId run = Start(RunSpec::Sh("sleep 30"));
  EXPECT_EQ(launcher_.Running(), 1u);
  launcher_.Signal(run, SIGTERM);
  std::optional<RunExit> exit = exits_.Wait(run);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->term_signal, SIGTERM);
  EXPECT_EQ(exit->exit_code, 128 + SIGTERM);
  EXPECT_FALSE(exit->launch_failed);
  EXPECT_EQ(launcher_.Running(), 0u);
}

TEST_F(ProcessLauncherTest, SignalReachesGrandchildrenInTheProcessGroup) {
  const std::string ready = dir_ + "/ready";
  const std::string pgid_file = dir_ + "/pgid";
  const RunId run = Start(RunSpec::Sh("echo $$ > " + pgid_file +
                                      "; sh -c 'sleep 30 & sleep 30 & "
                                      "echo started > " +
                                      ready + "; wait'"));
  const pid_t pgid = std::stoi(WaitForLine(pgid_file));
  ASSERT_EQ(WaitForLine(ready), "started");
  EXPECT_GE(LiveMembersOf(pgid).size(), 3u);  // the two sleeps and at least one sh
  launcher_.Signal(run, SIGTERM);
  std::optional<RunExit> exit = exits_.Wait(run);
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->term_signal, SIGTERM);
  EXPECT_TRUE(GroupGone(pgid)) << "still running in group " << pgid;
}

TEST_F(ProcessLauncherTest, SignalAfterTheExitIsANoOp) {
  const RunId run = Start(RunSpec::Sh("true"));
  ASSERT_TRUE(exits_.Wait(run).has_value());
  launcher_.Signal(run, SIGKILL);
  launcher_.Signal(12345, SIGKILL);  // never launched
  EXPECT_EQ(exits_.Count(), 1u);
}

TEST_F(ProcessLauncherTest, SignalAllReachesEveryLiveRun) {
  for (int i = 0; i < 3; ++i) Start(RunSpec::Sh("sleep 30").Instance(i));
  EXPECT_EQ(launcher_.Running(), 3u);
  launcher_.SignalAll(SIGKILL);
  std::vector<RunExit> exits = exits_.WaitForCount(3);
  ASSERT_EQ(exits.size(), 3u);
  for (const RunExit& exit : exits) EXPECT_EQ(exit.term_signal, SIGKILL);
  EXPECT_EQ(launcher_.Running(), 0u);
}

TEST_F(ProcessLauncherTest, ManyConcurrentRunsAreEachReportedExactlyOnce) {
  constexpr int kRuns = 200;
  for (int i = 0; i < kRuns; ++i) Start(RunSpec::Sh("true").Instance(i));
  std::vector<RunExit> exits = exits_.WaitForCount(kRuns);
  ASSERT_EQ(exits.size(), size_t{kRuns});
  std::map<RunId, int> reported;
  for (const RunExit& exit : exits) {
    ++reported[exit.run];
    EXPECT_EQ(exit.exit_code, 0);
    EXPECT_FALSE(exit.launch_failed) << exit.error;
  }
  EXPECT_EQ(reported.size(), size_t{kRuns});
  EXPECT_EQ(reported.begin()->first, 1u);
  EXPECT_EQ(reported.rbegin()->first, RunId{kRuns});
  EXPECT_EQ(launcher_.Running(), 0u);
}

TEST(ProcessLauncherLifetimeTest, DestroyingAnIdleLauncherDoesNotHang) {
  ExitCollector exits;
  { ProcessLauncher launcher(exits.Sink()); }
  EXPECT_EQ(exits.Count(), 0u);
}

TEST(ProcessLauncherLifetimeTest, DestroyingTheLauncherKillsLiveRunsWithoutReportingThem) {
  const std::string dir = ::testing::TempDir() + "rota-lifetime-test";
  fs::create_directories(dir);
  const std::string pgid_file = dir + "/pgid";
  ExitCollector exits;
  pid_t pgid = 0;
  {
    ProcessLauncher launcher(exits.Sink());
    RunSpec spec = RunSpec::Sh("echo $$ > " + pgid_file + "; sleep 30 & sleep 30");
    launcher.Launch(spec.Request(1, ""));
    pgid = std::stoi(WaitForLine(pgid_file));
  }
  EXPECT_TRUE(GroupGone(pgid));
  EXPECT_EQ(exits.Count(), 0u);
  fs::remove_all(dir);
}

TEST(ProcessLauncherLifetimeTest, TheSinkMayCallBackIntoTheLauncher) {
  ExitCollector exits;
  ProcessLauncher* self = nullptr;
  size_t running_seen = 99;
  ExitSink forward = exits.Sink();
  ProcessLauncher launcher([&](RunExit exit) {
    running_seen = self->Running();  // would deadlock if the sink ran under the launcher's lock
    forward(std::move(exit));
  });
  self = &launcher;
  RunSpec spec = RunSpec::Sh("true");
  launcher.Launch(spec.Request(1, ""));
  ASSERT_TRUE(exits.Wait(1).has_value());
  EXPECT_EQ(running_seen, 0u);
}

}  // namespace
}  // namespace rota
