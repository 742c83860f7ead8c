// The real `rota` binary on real specs: order, pool limits, exit codes, events, logs, retries,
// timeouts, error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "support/rota_process.h"

namespace rota::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RunTest : public ::testing::Test {
 protected:
  Outcome Run(const std::string& spec, std::vector<std::string> extra = {}) {
    WriteFile(dir_ / "spec.yaml", spec);
    std::vector<std::string> args = {"run", "spec.yaml", "--events", "events.jsonl"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunRota(dir_.path(), args);
  }
  std::vector<nlohmann::json> Events() { return ReadEvents(dir_ / "events.jsonl"); }
  ScratchDir dir_;
};

TEST_F(RunTest, RunsAChainInOrderAndWritesEventsAndLogs) {
  Outcome o = Run(R"(name: chain
tasks:
  - {name: a, command: "echo hello from a"}
  - {name: b, command: "echo b; echo b-err >&2", requires: [a]}
  - {name: c, command: "true", requires: [b]}
)");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_THAT(Summaries(Events(), "task."),
              ElementsAre("task.started a", "task.succeeded a", "task.started b",
                          "task.succeeded b", "task.started c", "task.succeeded c"));
  auto events = Events();
  EXPECT_EQ(events.front()["type"], "job.submitted");
  EXPECT_EQ(events.back()["type"], "job.succeeded");
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i]["seq"].get<int>(), events[i - 1]["seq"].get<int>());
  }
  EXPECT_EQ(ReadFile(dir_ / ".rota/logs/chain/a/0.1.log"), "hello from a\n");
  EXPECT_EQ(ReadFile(dir_ / ".rota/logs/chain/b/0.1.log"), "b\nb-err\n");
}

TEST_F(RunTest, AFailureExitsOneShowsTheLogTailAndSkipsDependents) {
  Outcome o = Run(R"(name: broken
on_failure: continue
tasks:
  - {name: a, command: "for i in $(seq 1 30); do echo line $i; done; exit 4"}
  - {name: b, requires: [a], command: "true"}
  - {name: other, command: "true"}
)");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.out, HasSubstr("FAILED default/a: exit code 4"));
  EXPECT_THAT(o.out, HasSubstr("  | line 30"));
  EXPECT_THAT(o.out, HasSubstr("  | line 11"));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("  | line 10\n")));  // the last 20 lines only
  auto events = Events();
  auto failed = std::find_if(events.begin(), events.end(),
                             [](auto& e) { return e["type"] == "task.failed"; });
  ASSERT_NE(failed, events.end());
  EXPECT_EQ((*failed)["exit_code"], 4);
  auto skipped = std::find_if(events.begin(), events.end(),
                              [](auto& e) { return e["type"] == "task.skipped"; });
  ASSERT_NE(skipped, events.end());
  EXPECT_EQ((*skipped)["task"], "b");
  EXPECT_EQ((*skipped)["reason"], "default/a failed");
  EXPECT_THAT(Summaries(events), ::testing::Contains("task.succeeded other"));
}

TEST_F(RunTest, NeverExceedsAPoolsMaxWorkers) {
  std::string spec = "name: limits\npools:\n  narrow: {max_workers: 2}\ntasks:\n";
  for (int i = 0; i < 8; ++i)
    spec += "  - {name: t" + std::to_string(i) + ", pool: narrow, command: \"sleep 0.05\"}\n";
  Outcome o = Run(spec, {"--jobs", "8"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  int running = 0, peak = 0;
  for (const auto& e : Events()) {
    if (e["type"] == "task.started") peak = std::max(peak, ++running);
    if (e["type"] == "task.succeeded") --running;
  }
  EXPECT_EQ(peak, 2);
}

TEST_F(RunTest, ChunksFramesAndSetsTheEnvironment) {
  Outcome o = Run(R"(name: render
tasks:
  - name: r
    frames: "1-10"
    chunk: 4
    command: "echo {frames} $ROTA_JOB $ROTA_TASK $ROTA_FRAMES $ROTA_FRAME_START $ROTA_FRAME_END $ROTA_CHUNK_INDEX $ROTA_ATTEMPT $MINE"
    env: {MINE: yes}
)");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(ReadFile(dir_ / ".rota/logs/render/r/0.1.log"), "1-4 render r 1-4 1 4 0 1 yes\n");
  EXPECT_EQ(ReadFile(dir_ / ".rota/logs/render/r/2.1.log"), "9-10 render r 9-10 9 10 2 1 yes\n");
}

TEST_F(RunTest, RetriesAFlakyTaskWithANewLogPerAttempt) {
  Outcome o = Run(R"(name: flaky
tasks:
  - name: f
    retries: 2
    retry_delay: 50ms
    command: "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; echo try $n; [ $n -ge 1 ]"
)");
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_THAT(Summaries(Events(), "task."),
              ElementsAre("task.started f", "task.retrying f", "task.started f",
                          "task.succeeded f"));
  EXPECT_EQ(ReadFile(dir_ / ".rota/logs/flaky/f/0.1.log"), "try 0\n");
  EXPECT_EQ(ReadFile(dir_ / ".rota/logs/flaky/f/0.2.log"), "try 1\n");
}

TEST_F(RunTest, TimeoutKillsTheWholeProcessGroupEvenIfItIgnoresTerm) {
  Outcome o = Run(R"(name: slow
tasks:
  - name: stubborn
    timeout: 300ms
    command: "trap '' TERM; sh -c 'trap \"\" TERM; echo $$ > grandchild; sleep 30' & sleep 30"
)",
                  {"--kill-grace", "300ms"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(Summaries(Events(), "task."),
              ElementsAre("task.started stubborn", "task.timed_out stubborn",
                          "task.failed stubborn"));
  auto events = Events();
  EXPECT_EQ(events[events.size() - 2]["reason"], "timed out after 300ms");
  const pid_t grandchild = std::stoi(ReadFile(dir_ / "grandchild"));
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(grandchild); }, std::chrono::seconds(2)));
}

TEST_F(RunTest, SignalsConnectTasksAndMayBeGivenOnTheCommandLine) {
  Outcome o = Run(R"(name: sig
tasks:
  - {name: hub, command: "true", posts: [hub/ready]}
  - {name: addon, command: "true", requires: [{signal: hub/ready}, {signal: ext/go}]}
)",
                  {"--signal", "ext/go"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(Summaries(Events(), "signal."), ElementsAre("signal.posted", "signal.posted"));
}

TEST_F(RunTest, ASignalWhosePosterFailedSkipsItsWaitersInsteadOfHanging) {
  Outcome o = Run(R"(name: sig
on_failure: continue
tasks:
  - {name: p, command: "exit 1", posts: [p/ok]}
  - {name: w, command: "true", requires: [{signal: p/ok}]}
)");
  EXPECT_EQ(o.exit_code, 1) << o.err;
  auto events = Events();
  auto skipped = std::find_if(events.begin(), events.end(),
                              [](auto& e) { return e["type"] == "task.skipped"; });
  ASSERT_NE(skipped, events.end());
  EXPECT_EQ((*skipped)["reason"], "signal p/ok will not be posted: default/p failed");
}

TEST_F(RunTest, AnUnpostedSignalIsAnErrorWithAHint) {
  Outcome o = Run(R"(name: sig
tasks:
  - {name: addon, command: "true", requires: [{signal: ext/go}]}
)");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("error: spec.yaml:3:"));
  EXPECT_THAT(o.err, HasSubstr("--signal ext/go"));
}

TEST_F(RunTest, MalformedSpecsExitTwoNamingTheProblemAndLine) {
  struct Case {
    std::string spec;
    std::string message;
  } cases[] = {
      {"name: x\ntasks:\n  - {name: a, command: [unclosed\n", "spec.yaml:"},
      {"name: x\ntasks:\n  - name: a\n    comand: true\n", "did you mean \"command\""},
      {"name: x\ntasks:\n  - {name: a, command: x, retries: two}\n", "\"retries\" must be"},
      {"name: x\ntasks:\n  - {name: a, command: x, requires: [b]}\n  - {name: b, command: x, "
       "requires: [a]}\n",
       "cycle: "},
      {"name: x\ntasks:\n  - {name: a, command: x, requires: [fech]}\n", "\"fech\""},
      {"name: x\ntasks:\n  - {name: a, command: x, frames: \"1-10x0\"}\n", "spec.yaml:3:"},
      {"name: x\ntasks: []\n", "error:"},
  };
  for (const Case& c : cases) {
    Outcome o = Run(c.spec);
    EXPECT_EQ(o.exit_code, 2) << c.spec;
    EXPECT_THAT(o.err, HasSubstr("error: ")) << c.spec;
    EXPECT_THAT(o.err, HasSubstr(c.message)) << c.spec;
    EXPECT_FALSE(std::filesystem::exists(dir_ / ".rota")) << "nothing may run: " << c.spec;
  }
}

TEST_F(RunTest, AHugeSpecIsRefusedWithoutReadingIt) {
  {
    std::ofstream big(dir_ / "spec.yaml");
    std::string line(1024, '#');
    for (int i = 0; i < 20 * 1024; ++i) big << line << "\n";
  }
  Outcome o = RunRota(dir_.path(), {"run", "spec.yaml"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_THAT(o.err, HasSubstr("the limit for a spec is"));
}

}  // namespace
}  // namespace rota::testing
