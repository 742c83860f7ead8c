// `rota stop` order, Ctrl-C leaving nothing behind, and the small verbs (frames, graph, validate,
// --help), through the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/rota_process.h"

namespace rota::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kClusters = R"(name: clusters
pools:
  hub: {max_workers: 1}
  dr1: {max_workers: 1}
tasks:
  - {name: hub-base, pool: hub, command: "echo up hub-base >> order", stop: "echo down hub-base >> order", posts: [hub/ready]}
  - {name: dr1-base, pool: dr1, command: "echo up dr1-base >> order", stop: "echo down dr1-base >> order"}
  - {name: dr1-addon, pool: dr1, command: "echo up dr1-addon >> order", stop: "echo down dr1-addon >> order", requires: [dr1-base, {signal: hub/ready}]}
  - {name: no-teardown, pool: hub, command: "true", requires: [dr1-addon]}
  - {name: last, pool: hub, command: "echo up last | tee -a order", stop: "echo down last | tee -a order", requires: [no-teardown]}
)";

TEST(StopTest, TearsDownInReverseDependencyOrder) {
  ScratchDir dir;
  WriteFile(dir / "spec.yaml", kClusters);
  ASSERT_EQ(RunRota(dir.path(), {"run", "spec.yaml"}).exit_code, 0);
  std::filesystem::remove(dir / "order");
  Outcome o = RunRota(dir.path(), {"stop", "spec.yaml", "--events", "stop.jsonl"});
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  const std::string order = ReadFile(dir / "order");
  auto pos = [&](const std::string& s) { return order.find("down " + s); };
  // last before dr1-addon (through no-teardown); dr1-addon before dr1-base and hub-base (signal).
  EXPECT_LT(pos("last"), pos("dr1-addon")) << order;
  EXPECT_LT(pos("dr1-addon"), pos("dr1-base")) << order;
  EXPECT_LT(pos("dr1-addon"), pos("hub-base")) << order;
  auto events = Summaries(ReadEvents(dir / "stop.jsonl"), "stop.");
  EXPECT_EQ(std::count(events.begin(), events.end(), "stop.succeeded last"), 1);
  EXPECT_EQ(std::count(events.begin(), events.end(), "stop.started no-teardown"), 0);
  // The run's logs survive the teardown; the stop commands log apart. A run that printed nothing
  // leaves no log file.
  EXPECT_EQ(ReadFile(dir / ".rota/logs/clusters/last/0.1.log"), "up last\n");
  EXPECT_EQ(ReadFile(dir / ".rota/logs/stop/clusters/last/0.1.log"), "down last\n");
  EXPECT_FALSE(std::filesystem::exists(dir / ".rota/logs/clusters/hub-base"));
}

TEST(StopTest, AFailingStopDoesNotStopTheOthersAndExitsOne) {
  ScratchDir dir;
  WriteFile(dir / "spec.yaml", R"(name: t
tasks:
  - {name: a, command: "true", stop: "echo down a >> order"}
  - {name: b, command: "true", stop: "exit 5", requires: [a]}
)");
  Outcome o = RunRota(dir.path(), {"stop", "spec.yaml"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.out, HasSubstr("FAILED stop default/b: exit code 5"));
  EXPECT_EQ(ReadFile(dir / "order"), "down a\n");
}

TEST(InterruptTest, CtrlCStopsEverythingAndLeavesNoProcessBehind) {
  ScratchDir dir;
  WriteFile(dir / "spec.yaml", R"(name: long
tasks:
  - {name: a, command: "sleep 60 & echo $! > a.grandchild; echo $$ > a.pid; wait"}
  - {name: b, command: "trap 'exit 0' TERM; echo $$ > b.pid; sleep 60 & wait"}
  - {name: c, command: "true", requires: [a]}
  - {name: d, command: "sh -c 'trap \"\" TERM; echo $$ > d.deaf; sleep 60' & wait"}
)");
  RotaProcess rota(dir.path(), {"run", "spec.yaml", "--jobs", "4", "--events", "ev.jsonl"});
  const std::vector<std::string> files = {"a.grandchild", "a.pid", "b.pid", "d.deaf"};
  ASSERT_TRUE(WaitFor([&] {
    return std::all_of(files.begin(), files.end(), [&](auto& f) {
      return !ReadFile(dir / f).empty();
    });
  }, std::chrono::seconds(10)));
  std::vector<pid_t> pids;
  for (const auto& f : files) pids.push_back(std::stoi(ReadFile(dir / f)));
  rota.Signal(SIGINT);
  Outcome o = rota.Wait(std::chrono::seconds(20));
  EXPECT_EQ(o.exit_code, 130) << o.out << o.err;
  for (pid_t pid : pids) {
    EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid); }, std::chrono::seconds(2))) << pid;
  }
  auto summaries = Summaries(ReadEvents(dir / "ev.jsonl"));
  EXPECT_THAT(summaries, ::testing::Contains("task.cancelled c"));
  EXPECT_EQ(summaries.back(), "job.cancelled");
}

TEST(InterruptTest, SigtermBehavesLikeCtrlC) {
  ScratchDir dir;
  WriteFile(dir / "spec.yaml", R"(name: long
tasks:
  - {name: a, command: "echo $$ > a.pid; exec sleep 60"}
)");
  RotaProcess rota(dir.path(), {"run", "spec.yaml"});
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(dir / "a.pid").empty(); }, std::chrono::seconds(10)));
  const pid_t pid = std::stoi(ReadFile(dir / "a.pid"));
  rota.Signal(SIGTERM);
  Outcome o = rota.Wait(std::chrono::seconds(20));
  EXPECT_EQ(o.exit_code, 130) << o.out << o.err;
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(pid); }, std::chrono::seconds(2)));
}

TEST(VerbsTest, FramesPrintsOneChunkPerLine) {
  ScratchDir dir;
  Outcome o = RunRota(dir.path(), {"frames", "1-10", "--chunk", "4"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.out, "1-4\n5-8\n9-10\n");
  o = RunRota(dir.path(), {"frames", "1-10:5"});
  EXPECT_EQ(o.out, "1\n6\n3\n5\n7\n9\n2\n4\n8\n10\n");
  o = RunRota(dir.path(), {"frames", "1-10x0"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("error: "));
}

TEST(VerbsTest, GraphPrintsDot) {
  ScratchDir dir;
  WriteFile(dir / "spec.yaml", kClusters);
  Outcome o = RunRota(dir.path(), {"graph", "spec.yaml"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("digraph \"clusters\""));
  EXPECT_THAT(o.out, HasSubstr("\"task:dr1-base\" -> \"task:dr1-addon\""));
  EXPECT_THAT(o.out, HasSubstr("\"signal:hub/ready\" -> \"task:dr1-addon\""));
}

TEST(VerbsTest, ValidateSaysOkOrExitsTwo) {
  ScratchDir dir;
  WriteFile(dir / "spec.yaml", kClusters);
  Outcome o = RunRota(dir.path(), {"validate", "spec.yaml"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("ok"));
  EXPECT_FALSE(std::filesystem::exists(dir / "order"));
  o = RunRota(dir.path(), {"validate", "missing.yaml"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("error: cannot read missing.yaml"));
}

TEST(VerbsTest, HelpTeachesWithExamplesAndBadFlagsExitTwo) {
  ScratchDir dir;
  for (const char* verb : {"run", "stop", "validate", "graph", "frames"}) {
    Outcome o = RunRota(dir.path(), {verb, "--help"});
    EXPECT_EQ(o.exit_code, 0) << verb;
    EXPECT_THAT(o.out, HasSubstr("Example")) << verb;
  }
  Outcome o = RunRota(dir.path(), {"run", "--no-such-flag", "x.yaml"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("error: "));
  o = RunRota(dir.path(), {});
  EXPECT_EQ(o.exit_code, 2);
}

}  // namespace
}  // namespace rota::testing
