// ProcessLauncher with OutputCapture::kThroughPipe (what `rota run` uses) and Reaping::kByCaller:
// the log appears with the first byte, a quiet run leaves no file, nothing written before the exit
// is lost, and the caller's poll loop hears exits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include "exec/process_launcher.h"
#include "support/launcher_helpers.h"
#include "support/scratch_dir.h"

namespace rota {
namespace {

using namespace launcher_test;

class PipedLauncherTest : public ::testing::Test {
 protected:
  RunExit Run(const RunSpec& spec) {
    const RunId run = next_run_++;
    launcher_.Launch(spec.Request(run, log_dir_));
    std::optional<RunExit> exit = exits_.Wait(run);
    EXPECT_TRUE(exit.has_value()) << "run " << run << " was not reported";
    return exit.value_or(RunExit{});
  }

  const testing::ScratchDir scratch_;
  const std::string dir_ = scratch_.path().string();
  const std::string log_dir_ = dir_ + "/logs";
  RunId next_run_ = 1;
  ExitCollector exits_;
  ProcessLauncher launcher_{exits_.Sink(), ProcessLauncher::Reaping::kOwnThread,
                            ProcessLauncher::OutputCapture::kThroughPipe};
};

TEST_F(PipedLauncherTest, WritesTheLogWhenTheRunPrints) {
  RunExit exit = Run(RunSpec::Sh("echo out; echo err >&2").Task("comp").Instance(2).Attempt(3));
  EXPECT_EQ(exit.exit_code, 0) << exit.error;
  EXPECT_EQ(exit.log_path, log_dir_ + "/shot-010/comp/2.3.log");
  EXPECT_EQ(ReadFile(exit.log_path), "out\nerr\n");
}

TEST_F(PipedLauncherTest, AQuietRunLeavesNoFileAndNoDirectory) {
  RunExit exit = Run(RunSpec::Sh("true").Task("quiet"));
  EXPECT_EQ(exit.exit_code, 0) << exit.error;
  EXPECT_FALSE(fs::exists(log_dir_ + "/shot-010/quiet"));
}

TEST_F(PipedLauncherTest, KeepsEveryByteOfALargeOutputWrittenJustBeforeTheExit) {
  // 2 MiB is far more than a pipe holds: the launcher must keep reading while the run writes.
  RunExit exit = Run(RunSpec::Sh("head -c 2097152 /dev/zero | tr '\\0' x; exit 7"));
  EXPECT_EQ(exit.exit_code, 7);
  EXPECT_EQ(fs::file_size(exit.log_path), 2097152u);
}

TEST(PipedLauncherByCallerTest, TheCallersPollHearsTheExit) {
  const std::string dir = (fs::temp_directory_path() / "rota-bycaller").string();
  std::vector<RunExit> exits;
  {
    ProcessLauncher launcher([&](RunExit e) { exits.push_back(std::move(e)); },
                             ProcessLauncher::Reaping::kByCaller,
                             ProcessLauncher::OutputCapture::kThroughPipe);
    RunSpec spec = RunSpec::Sh("echo hi; exit 4");
    launcher.Launch(spec.Request(1, dir));
    const auto deadline = steady_clock::now() + kTimeout;
    while (exits.empty() && steady_clock::now() < deadline) {
      pollfd fd{launcher.exit_fd(), POLLIN, 0};
      poll(&fd, 1, 1000);
      launcher.ReapReady();
    }
  }
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].exit_code, 4);
  EXPECT_EQ(ReadFile(exits[0].log_path), "hi\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rota
