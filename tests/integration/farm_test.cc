// A real server and real agents on 127.0.0.1 running real commands (issue 3's acceptance): a DAG
// across pools, frames in chunks, cancel, wait --until started, SSE resume, why pending.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "support/farm.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;

// The events of job `id`, as "type task#instance@host".
std::vector<std::string> JobEvents(const std::vector<nlohmann::json>& events, uint64_t id) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.value("job_id", uint64_t{0}) != id) continue;
    std::string s = e["type"].get<std::string>();
    if (e.contains("task")) s += " " + e["task"].get<std::string>() + "#" + std::to_string(e["instance"].get<int>());
    if (e.contains("host")) s += "@" + e["host"].get<std::string>();
    out.push_back(s);
  }
  return out;
}

size_t IndexOf(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) - v.begin();
}

TEST(FarmTest, RunsADagAcrossPoolsOnTheAgentsThatServeThem) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("hub1", {"--pools", "hub"}));
  ASSERT_TRUE(farm.StartAgent("dr1", {"--pools", "dr"}));
  const uint64_t id = farm.Submit("dag.yaml", R"(
name: dag
pools: {hub: {max_workers: 2}, dr: {max_workers: 1}}
tasks:
  - {name: fetch, pool: hub, command: "echo fetched"}
  - {name: ready, pool: hub, command: "true", requires: [fetch], posts: [hub/ready]}
  - {name: render, pool: dr, command: "echo rendering", requires: [{signal: hub/ready}]}
  - {name: publish, pool: hub, command: "echo done", requires: [render]}
)");
  ASSERT_GT(id, 0u);
  Outcome waited = farm.Client({"wait", std::to_string(id), "--timeout", "30s"});
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  const auto events = JobEvents(farm.Events(), id);
  for (const char* e : {"task.succeeded fetch#0@hub1", "task.succeeded ready#0@hub1",
                        "task.succeeded render#0@dr1", "task.succeeded publish#0@hub1"}) {
    EXPECT_LT(IndexOf(events, e), events.size()) << e << " missing";
  }
  EXPECT_LT(IndexOf(events, "task.succeeded fetch#0@hub1"), IndexOf(events, "task.started ready#0@hub1"));
  EXPECT_LT(IndexOf(events, "task.succeeded ready#0@hub1"), IndexOf(events, "task.started render#0@dr1"));
  EXPECT_LT(IndexOf(events, "task.succeeded render#0@dr1"), IndexOf(events, "task.started publish#0@hub1"));
  EXPECT_EQ(farm.Client({"logs", std::to_string(id), "render"}).out, "rendering\n");
}

TEST(FarmTest, FramesAreCutIntoChunksAndEachChunkSeesItsFrames) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1"));
  ASSERT_TRUE(farm.StartAgent("n2"));
  const uint64_t id = farm.Submit("frames.yaml", R"(
name: frames
tasks:
  - name: render
    frames: 1-10
    chunk: 4
    command: "echo {frames} $ROTA_FRAME_START $ROTA_FRAME_END $ROTA_CHUNK_INDEX"
)");
  ASSERT_GT(id, 0u);
  ASSERT_EQ(farm.Client({"wait", std::to_string(id), "--timeout", "30s"}).exit_code, 0);
  EXPECT_EQ(farm.Client({"logs", std::to_string(id), "render/0"}).out, "1-4 1 4 0\n");
  EXPECT_EQ(farm.Client({"logs", std::to_string(id), "render/1"}).out, "5-8 5 8 1\n");
  EXPECT_EQ(farm.Client({"logs", std::to_string(id), "render/2"}).out, "9-10 9 10 2\n");
  nlohmann::json job = farm.GetJson("/v1/jobs/" + std::to_string(id));
  ASSERT_EQ(job["tasks"][0]["instances"].size(), 3u);
  EXPECT_EQ(job["tasks"][0]["instances"][2]["frames"], "9-10");
  EXPECT_EQ(job["counts"]["succeeded"], 3);
}

TEST(FarmTest, CancelKillsTheRunningProcessGroupsWithinASecond) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1", {"--cores", "4"}));
  const auto pids = farm.dir() / "pids";
  std::filesystem::create_directories(pids);
  const uint64_t id = farm.Submit("sleepy.yaml", R"(
name: sleepy
tasks:
  - name: nap
    frames: 1-3
    command: "sleep 60 & echo $! > )" + pids.string() + R"(/{frames}; echo $$ >> )" + pids.string() + R"(/shells; wait"
)");
  ASSERT_GT(id, 0u);
  // The shell creates each file before it writes the pid: wait for whole lines.
  ASSERT_TRUE(WaitFor([&] {
    for (const char* f : {"1", "2", "3"}) {
      const std::string text = ReadFile(pids / f);
      if (text.empty() || text.back() != '\n') return false;
    }
    return true;
  }, std::chrono::seconds(20)));
  std::vector<pid_t> sleepers;
  for (const char* f : {"1", "2", "3"}) sleepers.push_back(std::stoi(ReadFile(pids / f)));
  for (pid_t p : sleepers) ASSERT_TRUE(ProcessAlive(p));

  const auto before = std::chrono::steady_clock::now();
  Outcome cancelled = farm.Client({"cancel", std::to_string(id)});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_TRUE(WaitFor([&] {
    for (pid_t p : sleepers) {
      if (ProcessAlive(p)) return false;
    }
    return true;
  }, std::chrono::seconds(1))) << "processes still alive 1 s after cancel";
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(1500));
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(10)));
  EXPECT_EQ(farm.JobState(id), "cancelled");
  EXPECT_EQ(farm.Client({"wait", std::to_string(id)}).exit_code, 1);
}

TEST(FarmTest, WaitUntilStartedReturnsWhileTheJobStillRuns) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1"));
  const auto gate = farm.dir() / "gate";
  const uint64_t id = farm.Submit("gated.yaml", R"(
name: gated
tasks:
  - name: hold
    command: "while [ ! -e )" + gate.string() + R"( ]; do sleep 0.05; done"
)");
  ASSERT_GT(id, 0u);
  Outcome started = farm.Client({"wait", std::to_string(id), "--until", "started", "--timeout", "20s"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(farm.JobState(id), "running");
  WriteFile(gate, "");
  Outcome done = farm.Client({"wait", std::to_string(id), "--timeout", "20s"});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(farm.JobState(id), "succeeded");
}

TEST(FarmTest, TheEventStreamResumesAfterTheSeqAClientSaw) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1"));
  const uint64_t id = farm.Submit("a.yaml", "name: a\ntasks: [{name: t, frames: 1-5, command: 'true'}]\n");
  ASSERT_TRUE(farm.WaitForJob(id));
  const std::vector<nlohmann::json> all = farm.Events();
  ASSERT_GT(all.size(), 6u);
  const uint64_t seen = all[3]["seq"];
  const std::vector<nlohmann::json> rest = farm.Events(seen);
  ASSERT_EQ(rest.size(), all.size() - 4);
  EXPECT_EQ(rest.front()["seq"], seen + 1);
  for (size_t i = 1; i < rest.size(); ++i) EXPECT_GT(rest[i]["seq"], rest[i - 1]["seq"]);

  // The same through Last-Event-ID on a live stream, which then carries the next job's events.
  HttpClient client(*ParseServerUrl(farm.url()));
  std::string got;
  std::thread second([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    farm.Submit("b.yaml", "name: b\ntasks: [{name: t, command: 'true'}]\n");
  });
  Result<int> status = client.Stream("/v1/events", {{"Last-Event-ID", std::to_string(all.back()["seq"].get<uint64_t>())}},
                                     [&](std::string_view data) {
                                       got.append(data);
                                       return got.find("job.succeeded") == std::string::npos;
                                     });
  second.join();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, 200);
  EXPECT_THAT(got, HasSubstr("id: " + std::to_string(all.back()["seq"].get<uint64_t>() + 1) + "\n"));
  EXPECT_THAT(got, HasSubstr("\"job\":\"b\""));
  EXPECT_THAT(got, ::testing::Not(HasSubstr("\"job\":\"a\"")));
}

TEST(FarmTest, MetricsCountJobsInstancesAgentsAndLatencies) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("n1"));
  const uint64_t id = farm.Submit("m.yaml", "name: m\ntasks: [{name: t, frames: 1-3, command: 'true'}]\n");
  ASSERT_TRUE(farm.WaitForJob(id));
  HttpReply metrics = farm.Http("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.content_type, HasSubstr("text/plain"));
  EXPECT_THAT(metrics.body, HasSubstr("rota_jobs{state=\"succeeded\"} 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("rota_instances{state=\"succeeded\"} 3\n"));
  EXPECT_THAT(metrics.body, HasSubstr("rota_agents_alive 1\n"));
  EXPECT_THAT(metrics.body, HasSubstr("rota_cycle_seconds_count"));
  EXPECT_THAT(metrics.body, HasSubstr("rota_http_request_seconds_bucket{method=\"POST\",route=\"/v1/jobs\",code=\"201\",le=\"+Inf\"} 1\n"));
}

TEST(FarmTest, ShowSaysExactlyWhyEachInstanceWaits) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("small", {"--cores", "2", "--memory", "1G", "--pools", "cpu", "--tags", "linux"}));
  const uint64_t id = farm.Submit("why.yaml", R"(
name: why
pools: {cpu: {max_workers: 1}}
tasks:
  - {name: hold, pool: cpu, command: "sleep 30"}
  - {name: queued, pool: cpu, command: "true"}
  - {name: after, pool: cpu, command: "true", requires: [hold]}
  - {name: signalled, pool: cpu, command: "true", requires: [{signal: go}]}
  - {name: huge, pool: cpu, command: "true", resources: {cores: 16}}
  - {name: fat, pool: cpu, command: "true", resources: {memory: 4G}}
  - {name: gpu, pool: gpu, command: "true"}
  - {name: mac, pool: cpu, command: "true", resources: {tags: [macos]}}
)");
  ASSERT_GT(id, 0u);
  nlohmann::json job;
  ASSERT_TRUE(WaitFor([&] {
    job = farm.GetJson("/v1/jobs/" + std::to_string(id));
    return job.is_object() && job["counts"]["running"] == 1;
  }, std::chrono::seconds(10)));
  std::map<std::string, std::string> why;
  for (const auto& t : job["tasks"]) {
    const auto& inst = t["instances"][0];
    why[t["name"]] = inst.value("why", "");
  }
  EXPECT_EQ(why["hold"], "");
  EXPECT_EQ(why["queued"], "pool cpu is full: 1 of max_workers 1 running for this job");
  EXPECT_EQ(why["after"], "waiting for task hold (0 of 1 instances finished)");
  EXPECT_EQ(why["signalled"], "waiting for signal go");
  EXPECT_EQ(why["gpu"], "no live host serves pool gpu");
  Outcome shown = farm.Client({"show", std::to_string(id)});
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_THAT(shown.out, HasSubstr("waiting for signal go"));
  farm.Client({"cancel", std::to_string(id)});
}

TEST(FarmTest, WhyNamesTheResourceNoHostHas) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("small", {"--cores", "2", "--memory", "1G", "--tags", "linux"}));
  const uint64_t id = farm.Submit("why.yaml", R"(
name: why2
tasks:
  - {name: huge, command: "true", resources: {cores: 16}}
  - {name: fat, command: "true", resources: {memory: 4G}}
  - {name: mac, command: "true", resources: {tags: [macos]}}
)");
  ASSERT_GT(id, 0u);
  nlohmann::json job = farm.GetJson("/v1/jobs/" + std::to_string(id));
  std::map<std::string, std::string> why;
  for (const auto& t : job["tasks"]) why[t["name"]] = t["instances"][0].value("why", "");
  EXPECT_EQ(why["huge"], "no live host in pool default is big enough: needs 16 cores, the largest has 2");
  EXPECT_EQ(why["fat"], "no live host in pool default is big enough: needs 4G memory, the largest has 1G");
  EXPECT_EQ(why["mac"], "no live host in pool default has tags [macos]");
  farm.Client({"cancel", std::to_string(id)});
}

}  // namespace
}  // namespace rota::testing
