// Failures, exactly once (issue 3): kill -9 of the server mid-job, kill -9 of an agent, and a
// partitioned agent whose late report carries a fencing token that is no longer current.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "support/event_counts.h"
#include "support/farm.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;

TEST(FarmFailureTest, KillNineOfTheServerMidJobLosesNothingAndNothingSucceedsTwice) {
  Farm farm({"--heartbeat-timeout", "10s"});
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1", {"--cores", "8"}));
  ASSERT_TRUE(farm.StartAgent("n2", {"--cores", "8"}));
  const uint64_t first = farm.Submit("small.yaml", "name: small\ntasks: [{name: t, command: 'true'}]\n");
  ASSERT_TRUE(farm.WaitForJob(first));
  const uint64_t id = farm.Submit("big.yaml", R"(
name: big
tasks:
  - {name: render, frames: 1-1000, command: "sleep 0.01"}
  - {name: comp, frames: 1-1000, chunk: 100, command: "true", requires: [render]}
)");
  ASSERT_GT(id, 0u);
  int done_before_kill = 0;
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json j = farm.GetJson("/v1/jobs/" + std::to_string(id));
    done_before_kill = j.is_object() ? j["counts"]["succeeded"].get<int>() : 0;
    return done_before_kill >= 200;
  }, std::chrono::seconds(60)));
  farm.KillServer();   // SIGKILL while both agents are busy
  ASSERT_LT(done_before_kill, 900) << "the job was nearly done before the kill: the test shows nothing";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));   // runs end while it is down
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(60))) << farm.Diagnostics(id);
  EXPECT_EQ(farm.JobState(id), "succeeded");
  EXPECT_EQ(farm.JobState(first), "succeeded") << "a job accepted before the crash is gone";

  const auto events = farm.Events();
  const auto succeeded = Count(events, id, "task.succeeded");
  EXPECT_EQ(succeeded.size(), 1010u);
  for (const auto& [instance, n] : succeeded) EXPECT_EQ(n, 1) << instance << " succeeded " << n << " times";
  EXPECT_EQ(CountType(events, id, "job.succeeded"), 1);
  for (size_t i = 1; i < events.size(); ++i) {
    ASSERT_GT(events[i]["seq"], events[i - 1]["seq"]);
  }
  nlohmann::json job = farm.GetJson("/v1/jobs/" + std::to_string(id));
  EXPECT_EQ(job["counts"]["succeeded"], 1010);
}

TEST(FarmFailureTest, KillNineOfAnAgentRetriesItsRunsOnAnother) {
  Farm farm({"--heartbeat-timeout", "1s"});
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1", {"--cores", "4"}));
  const uint64_t id = farm.Submit("naps.yaml", R"(
name: naps
tasks:
  - {name: nap, frames: 1-4, command: "sleep 1", retries: 1, retry_delay: 100ms}
)");
  ASSERT_GT(id, 0u);
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json j = farm.GetJson("/v1/jobs/" + std::to_string(id));
    return j.is_object() && j["counts"]["running"] == 4;
  }, std::chrono::seconds(10)));
  ASSERT_TRUE(farm.StartAgent("n2", {"--cores", "4"}));
  farm.KillAgent("n1");
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(30)));
  EXPECT_EQ(farm.JobState(id), "succeeded");
  EXPECT_EQ(farm.HostState("n1"), "lost");
  const auto events = farm.Events();
  int retried_as_lost = 0, succeeded_on_n2 = 0;
  for (const auto& e : events) {
    if (e.value("job_id", uint64_t{0}) != id) continue;
    if (e["type"] == "task.retrying" && e.value("reason", "").find("lost") != std::string::npos) ++retried_as_lost;
    if (e["type"] == "task.succeeded" && e["host"] == "n2") ++succeeded_on_n2;
  }
  EXPECT_EQ(retried_as_lost, 4);
  EXPECT_EQ(succeeded_on_n2, 4);
  for (const auto& [instance, n] : Count(events, id, "task.succeeded")) EXPECT_EQ(n, 1) << instance;
}

TEST(FarmFailureTest, AStaleReportFromAReassignedRunIsRefused) {
  Farm farm({"--heartbeat-timeout", "1s"});
  ASSERT_TRUE(farm.StartServer());
  // A hand-driven agent that takes a run and then goes silent, as a partitioned host would.
  HttpReply reg = farm.Http("POST", "/v1/agents/register", R"({"name": "ghost", "cores": 1})");
  ASSERT_EQ(reg.status, 200) << reg.body;
  const uint64_t id = farm.Submit("once.yaml", R"(
name: once
tasks: [{name: only, command: "echo real", retries: 2, retry_delay: 100ms}]
)");
  HttpReply work = farm.Http("GET", "/v1/agents/ghost/work?wait=5s");
  ASSERT_EQ(work.status, 200);
  nlohmann::json assignment = nlohmann::json::parse(work.body)["assign"][0];
  const uint64_t run = assignment["run"], epoch = assignment["epoch"];
  ASSERT_TRUE(WaitFor([&] { return farm.HostState("ghost") == "lost"; }, std::chrono::seconds(5)));
  ASSERT_TRUE(farm.StartAgent("n1"));
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(20)));
  ASSERT_EQ(farm.JobState(id), "succeeded");

  // The ghost comes back and reports success for its old run: refused, and nothing changes.
  const std::string report = R"({"epoch": )" + std::to_string(epoch) +
                             R"(, "agent": "ghost", "state": "exited", "exit_code": 0})";
  HttpReply stale = farm.Http("POST", "/v1/runs/" + std::to_string(run) + "/status", report);
  EXPECT_EQ(stale.status, 409);
  EXPECT_THAT(stale.body, HasSubstr("stale_run"));
  HttpReply batch = farm.Http("POST", "/v1/agents/ghost/status",
                              R"({"reports": [{"run": )" + std::to_string(run) + R"(, "epoch": )" +
                                  std::to_string(epoch) + R"(, "state": "exited", "exit_code": 0}]})");
  EXPECT_EQ(batch.status, 200);
  EXPECT_THAT(batch.body, HasSubstr(R"("ok":false)"));
  // A wrong epoch for the current run is refused too.
  HttpReply again = farm.Http("POST", "/v1/agents/register",
                              R"({"name": "ghost", "cores": 1, "running": [{"run": )" +
                                  std::to_string(run) + R"(, "epoch": )" + std::to_string(epoch) + "}]}");
  ASSERT_EQ(again.status, 200);
  EXPECT_THAT(again.body, HasSubstr(R"("kill":[{"run":)" + std::to_string(run)));

  const auto events = farm.Events();
  const auto succeeded = Count(events, id, "task.succeeded");
  ASSERT_EQ(succeeded.size(), 1u);
  EXPECT_EQ(succeeded.begin()->second, 1);
  for (const auto& e : events) {
    if (e.value("job_id", uint64_t{0}) == id && e["type"] == "task.succeeded") {
      EXPECT_EQ(e["host"], "n1");
    }
  }
  EXPECT_EQ(farm.Client({"logs", std::to_string(id), "only"}).out, "real\n");
}

TEST(FarmFailureTest, AnAssignmentLostOnTheWayIsSentAgain) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_EQ(farm.Http("POST", "/v1/agents/register", R"({"name": "hand", "cores": 1})").status, 200);
  const uint64_t id = farm.Submit("one.yaml", "name: one\ntasks: [{name: t, command: 'true'}]\n");
  HttpReply first = farm.Http("GET", "/v1/agents/hand/work?wait=5s");
  ASSERT_EQ(first.status, 200);
  const nlohmann::json assignment = nlohmann::json::parse(first.body)["assign"][0];
  // The reply never reached the agent: its heartbeats do not list the run.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(farm.Http("POST", "/v1/agents/hand/heartbeat", R"({"running": []})").status, 200);
  }
  HttpReply nothing = farm.Http("GET", "/v1/agents/hand/work?wait=200ms");
  EXPECT_EQ(nlohmann::json::parse(nothing.body)["assign"].size(), 0u) << "sent again too early";
  ASSERT_EQ(farm.Http("POST", "/v1/agents/hand/heartbeat", R"({"running": []})").status, 200);
  HttpReply again = farm.Http("GET", "/v1/agents/hand/work?wait=5s");
  ASSERT_EQ(again.status, 200);
  const nlohmann::json resent = nlohmann::json::parse(again.body)["assign"];
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0]["run"], assignment["run"]);
  EXPECT_EQ(resent[0]["epoch"], assignment["epoch"]);
  const std::string report = R"({"reports": [{"run": )" + assignment["run"].dump() + R"(, "epoch": )" +
                             assignment["epoch"].dump() + R"(, "state": "exited", "exit_code": 0}]})";
  EXPECT_THAT(farm.Http("POST", "/v1/agents/hand/status", report).body, HasSubstr(R"("ok":true)"));
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(5)));
  EXPECT_EQ(farm.JobState(id), "succeeded");
}

TEST(FarmFailureTest, RetryRunsAgainWhatDidNotSucceedAndSurvivesARestart) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1"));
  const auto fixed = farm.dir() / "fixed";
  const uint64_t id = farm.Submit("flaky.yaml", R"(
name: flaky
tasks:
  - {name: prep, command: "echo prep"}
  - {name: render, frames: 1-2, command: "test -e )" + fixed.string() + R"(", requires: [prep]}
  - {name: encode, command: "echo encoded", requires: [render]}
)");
  ASSERT_TRUE(farm.WaitForJob(id));
  ASSERT_EQ(farm.JobState(id), "failed");
  EXPECT_EQ(farm.Http("POST", "/v1/jobs/" + std::to_string(id) + "/retry").status, 200)
      << "retry of a failed job";
  ASSERT_TRUE(farm.WaitForJob(id));
  EXPECT_EQ(farm.JobState(id), "failed") << "render still fails: nothing was fixed";

  WriteFile(fixed, "");
  HttpReply retried = farm.Http("POST", "/v1/jobs/" + std::to_string(id) + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.body;
  ASSERT_TRUE(farm.WaitForJob(id));
  EXPECT_EQ(farm.JobState(id), "succeeded");
  HttpReply again = farm.Http("POST", "/v1/jobs/" + std::to_string(id) + "/retry");
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr("nothing_to_retry"));

  auto started = Count(farm.Events(), id, "task.started");
  EXPECT_EQ(started["prep#0"], 1) << "what succeeded is not run again";
  EXPECT_EQ(started["render#0"], 3);
  EXPECT_EQ(started["encode#0"], 1);

  farm.KillServer();
  ASSERT_TRUE(farm.StartServer());
  EXPECT_EQ(farm.JobState(id), "succeeded") << "the retries were replayed after the restart";
  nlohmann::json job = farm.GetJson("/v1/jobs/" + std::to_string(id));
  EXPECT_EQ(job["counts"]["succeeded"], 4);
}

}  // namespace
}  // namespace rota::testing
