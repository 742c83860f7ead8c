// The scheduling core on a live server (issue 4): a queue policy switched at runtime changes who
// gets freed cores, as the event stream shows; and in async mode a cancel is handled while a
// scheduling cycle over 200,000 pending instances runs, where in sync mode it has to wait for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "support/farm.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;

struct Assignment {
  uint64_t run = 0;
  uint64_t epoch = 0;
  uint64_t job_id = 0;
};

// A hand-driven agent: long-polls until it holds `count` new assignments (or 10 s pass).
std::vector<Assignment> TakeWork(Farm& farm, const std::string& agent, size_t count) {
  std::vector<Assignment> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    HttpReply work = farm.Http("GET", "/v1/agents/" + agent + "/work?wait=2s");
    if (work.status != 200) continue;
    const nlohmann::json reply = nlohmann::json::parse(work.body);
    for (const auto& a : reply["assign"]) {
      out.push_back({a["run"].get<uint64_t>(), a["epoch"].get<uint64_t>(), a["job_id"].get<uint64_t>()});
    }
  }
  return out;
}

void ReportSuccess(Farm& farm, const std::string& agent, const std::vector<Assignment>& runs) {
  nlohmann::json reports = nlohmann::json::array();
  for (const Assignment& a : runs) {
    reports.push_back({{"run", a.run}, {"epoch", a.epoch}, {"state", "exited"}, {"exit_code", 0}});
  }
  HttpReply r = farm.Http("POST", "/v1/agents/" + agent + "/status",
                          nlohmann::json({{"reports", reports}}).dump());
  ASSERT_EQ(r.status, 200) << r.body;
}

std::vector<uint64_t> JobsOf(const std::vector<Assignment>& runs) {
  std::vector<uint64_t> jobs;
  for (const Assignment& a : runs) jobs.push_back(a.job_id);
  return jobs;
}

TEST(SchedulingTest, SwitchingFifoToFairShareOnALiveServerShowsInTheEvents) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_EQ(farm.Client({"config", "set", "policy", "fifo"}).exit_code, 0);
  ASSERT_EQ(farm.Http("POST", "/v1/agents/register", R"({"name": "hand", "cores": 4})").status, 200);
  const uint64_t a = farm.Submit("a.yaml", "name: a\nqueue: film\ntasks: [{name: t, command: 'true', frames: 1-12}]\n");
  const uint64_t b = farm.Submit("b.yaml", "name: b\nqueue: ads\ntasks: [{name: t, command: 'true', frames: 1-12}]\n");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);

  // fifo: the older job takes every core, and every core freed.
  std::vector<Assignment> first = TakeWork(farm, "hand", 4);
  ASSERT_EQ(first.size(), 4u) << farm.Diagnostics(a);
  EXPECT_EQ(JobsOf(first), std::vector<uint64_t>(4, a));
  ReportSuccess(farm, "hand", {first[0], first[1]});
  std::vector<Assignment> second = TakeWork(farm, "hand", 2);
  EXPECT_EQ(JobsOf(second), std::vector<uint64_t>(2, a));

  // fairshare: the queue that holds nothing gets the next freed cores until both hold 2.
  const auto switched = farm.Client({"config", "set", "policy", "fairshare"});
  ASSERT_EQ(switched.exit_code, 0) << switched.err;
  ReportSuccess(farm, "hand", {first[2], first[3]});
  std::vector<Assignment> third = TakeWork(farm, "hand", 2);
  EXPECT_EQ(JobsOf(third), std::vector<uint64_t>(2, b));

  // The event stream says the same: the change, and after it the starts of b.
  const auto events = farm.Events();
  uint64_t changed_seq = 0;
  std::vector<uint64_t> started_before, started_after;
  for (const auto& e : events) {
    if (e["type"] == "config.changed" && e["key"] == "policy" && e["value"] == "fairshare") {
      changed_seq = e["seq"];
    }
    if (e["type"] != "task.started") continue;
    (changed_seq == 0 ? started_before : started_after).push_back(e["job_id"]);
  }
  ASSERT_NE(changed_seq, 0u) << "no config.changed event";
  EXPECT_EQ(started_before, std::vector<uint64_t>(6, a));
  EXPECT_EQ(started_after, std::vector<uint64_t>(2, b));
  // And it persists: a restarted server still says fairshare.
  ASSERT_EQ(farm.StopServer().exit_code, 0);
  ASSERT_TRUE(farm.StartServer());
  EXPECT_EQ(farm.Client({"config", "get", "policy"}).out, "fairshare\n");
}

TEST(SchedulingTest, BadSettingsAreRefusedAndNothingChanges) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  HttpReply bad = farm.Http("PUT", "/v1/config", R"({"policy": "fairshare", "mode": "fast"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(nlohmann::json::parse(bad.body)["error"]["message"].get<std::string>(),
              HasSubstr("mode must be sync or async, not \"fast\""));
  HttpReply typo = farm.Http("PUT", "/v1/config", R"({"polcy": "fifo"})");
  EXPECT_EQ(typo.status, 400);
  EXPECT_THAT(nlohmann::json::parse(typo.body)["error"]["message"].get<std::string>(),
              HasSubstr("did you mean \"policy\""));
  const nlohmann::json config = farm.GetJson("/v1/config")["config"];
  EXPECT_FALSE(config.contains("policy")) << config.dump();
  Outcome cli = farm.Client({"config", "set", "queues.film.weight", "-2"});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_THAT(cli.err, HasSubstr("queues.film.weight must be a number > 0"));
}

TEST(SchedulingTest, APreemptedRunIsKilledOnItsAgentAndRunsAgainWithoutSpendingARetry) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_EQ(farm.Client({"config", "set", "preemption", "priority"}).exit_code, 0);
  ASSERT_TRUE(farm.StartAgent("n1", {"--cores", "1"}));
  const uint64_t low = farm.Submit(
      "low.yaml", "name: low\npriority: 10\ntasks: [{name: t, command: 'sleep 1.5', retries: 0}]\n");
  ASSERT_EQ(farm.Http("GET", "/v1/jobs/" + std::to_string(low) + "/wait?until=started&timeout=10s").status, 200);
  const uint64_t high = farm.Submit("high.yaml", "name: high\npriority: 900\ntasks: [{name: t, command: 'true'}]\n");
  ASSERT_TRUE(farm.WaitForJob(high, std::chrono::seconds(20))) << farm.Diagnostics(low);
  EXPECT_EQ(farm.JobState(high), "succeeded");
  ASSERT_TRUE(farm.WaitForJob(low, std::chrono::seconds(20))) << farm.Diagnostics(low);
  EXPECT_EQ(farm.JobState(low), "succeeded") << farm.Diagnostics(low);
  std::vector<std::string> story;
  for (const auto& e : farm.Events()) {
    const uint64_t job = e.value("job_id", uint64_t{0});
    if (job != low && job != high) continue;
    if (!e["type"].get<std::string>().starts_with("task.")) continue;
    story.push_back((job == low ? "low " : "high ") + e["type"].get<std::string>() + " " +
                    std::to_string(e.value("attempt", 0)));
  }
  EXPECT_EQ(story, (std::vector<std::string>{"low task.started 1", "low task.preempted 1",
                                             "high task.started 1", "high task.succeeded 1",
                                             "low task.started 2", "low task.succeeded 2"}));
}

// Submits a job of 200,000 pending instances onto a host that can take them all, then at once
// cancels an earlier job (which no host can run, so it is only pending). Returns the seq of the
// earlier job's job.cancelled event and of the big job's first task.started event.
std::pair<uint64_t, uint64_t> CancelDuringABigCycle(Farm& farm, const std::string& mode) {
  EXPECT_EQ(farm.Http("PUT", "/v1/config", R"({"mode": ")" + mode + R"("})").status, 200);
  EXPECT_EQ(farm.Http("POST", "/v1/agents/register", R"({"name": "huge", "cores": 1000000})").status, 200);
  const uint64_t victim = farm.Submit(
      "victim.yaml", "name: victim\ntasks: [{name: t, command: 'true', resources: {tags: [nowhere]}}]\n");
  HttpReply big = farm.Http("POST", "/v1/jobs",
                            "name: big\ntasks: [{name: t, command: 'true', frames: 1-200000}]\n");
  EXPECT_EQ(big.status, 201) << big.body;
  const uint64_t big_id = nlohmann::json::parse(big.body)["id"];
  const auto cancel_sent = std::chrono::steady_clock::now();
  HttpReply cancel = farm.Http("POST", "/v1/jobs/" + std::to_string(victim) + "/cancel");
  const auto cancel_took = std::chrono::steady_clock::now() - cancel_sent;
  EXPECT_EQ(cancel.status, 200) << cancel.body;
  std::printf("[ %s ] cancel answered in %.1f ms\n", mode.c_str(),
              std::chrono::duration<double, std::milli>(cancel_took).count());
  HttpReply wait = farm.Http("GET", "/v1/jobs/" + std::to_string(big_id) + "/wait?until=started&timeout=120s",
                             {}, std::chrono::seconds(130));
  EXPECT_THAT(wait.body, HasSubstr("\"reached\":true"));
  uint64_t cancelled = 0, started = 0;
  for (const auto& e : farm.Events()) {   // the cycle's starts are committed together
    const uint64_t job = e.value("job_id", uint64_t{0});
    if (job == victim && e["type"] == "job.cancelled") cancelled = e["seq"];
    if (job == big_id && e["type"] == "task.started" && started == 0) started = e["seq"];
  }
  EXPECT_NE(started, 0u);
  return {cancelled, started};
}

TEST(SchedulingTest, InAsyncModeACancelIsStreamedWhileACycleOf200kInstancesRuns) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  const auto [cancelled, started] = CancelDuringABigCycle(farm, "async");
  ASSERT_NE(cancelled, 0u) << farm.Diagnostics();
  EXPECT_LT(cancelled, started) << "the cancel waited for the cycle";
}

TEST(SchedulingTest, InSyncModeTheSameCancelWaitsForTheCycle) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  const auto [cancelled, started] = CancelDuringABigCycle(farm, "sync");
  ASSERT_NE(cancelled, 0u) << farm.Diagnostics();
  EXPECT_GT(cancelled, started) << "sync mode applies the cycle before it reads the cancel";
}

}  // namespace
}  // namespace rota::testing
