// What a server that is killed with -9 again and again keeps: everything it answered and every
// event it published, with the same seq and the same bytes, and nothing twice; and a restart
// reads the latest snapshot plus the log after it.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include <sqlite3.h>

#include "support/farm.h"

namespace rota::testing {
namespace {

TEST(RestartTest, TwentyKillNinesLoseNoAnsweredChangeAndNoPublishedEvent) {
  constexpr int kFrames = 10000;
  constexpr int kKills = 20;
  Farm farm({"--snapshot-every", "100", "--heartbeat-timeout", "60s"});
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("a1", {"--cores", "6"}));
  ASSERT_TRUE(farm.StartAgent("a2", {"--cores", "6"}));
  // Every seventh frame fails its first attempt and is retried.
  const uint64_t id = farm.Submit("frames.yaml", "name: frames\ntasks:\n  - name: f\n    frames: 1-" +
                                                     std::to_string(kFrames) +
                                                     "\n    retries: 2\n    retry_delay: 0s\n"
                                                     "    command: 'test $(({frame_start} % 7)) -ne 0 || test $ROTA_ATTEMPT -gt 1'\n");
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 random(seed);
  std::vector<std::vector<nlohmann::json>> seen;   // the events published before each kill
  int restarts_from_a_snapshot = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 900)(random)));
    seen.push_back(farm.Events());
    farm.KillServer();
    if (farm.StoreNumber("SELECT count(*) FROM snapshots") > 0) ++restarts_from_a_snapshot;
    ASSERT_TRUE(farm.StartServer()) << farm.Diagnostics();
  }
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(300))) << farm.Diagnostics(id);
  EXPECT_EQ(farm.JobState(id), "succeeded") << farm.Diagnostics(id);
  EXPECT_GT(restarts_from_a_snapshot, 0) << "no restart found a snapshot to start from";
  ASSERT_GE(seen.back().size(), 100u) << "the kills came before anything happened: the test shows nothing";
  ASSERT_LT(seen[kKills / 2].size(), 4u * kFrames) << "the job was done half way: the test shows little";

  const std::vector<nlohmann::json> events = farm.Events();
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i]["seq"].get<uint64_t>(), i + 1) << "seq has a gap or a repeat";
  }
  for (size_t k = 0; k < seen.size(); ++k) {
    ASSERT_LE(seen[k].size(), events.size());
    for (size_t i = 0; i < seen[k].size(); ++i) {
      ASSERT_EQ(seen[k][i].dump(), events[i].dump()) << "event " << i + 1 << " changed after kill " << k + 1;
    }
  }
  std::map<int, int> succeeded, retried;
  int started = 0;
  for (const auto& e : events) {
    if (e.value("job_id", uint64_t{0}) != id) continue;
    const std::string type = e["type"];
    if (type == "task.succeeded") ++succeeded[e["instance"].get<int>()];
    if (type == "task.retrying") ++retried[e["instance"].get<int>()];
    if (type == "task.started") ++started;
  }
  EXPECT_EQ(succeeded.size(), static_cast<size_t>(kFrames));
  for (const auto& [instance, n] : succeeded) ASSERT_EQ(n, 1) << "instance " << instance << " succeeded " << n << " times";
  // Instance i is frame i + 1; every seventh frame failed once (a lost run may add a retry).
  for (int frame = 7; frame <= kFrames; frame += 7) ASSERT_GE(retried[frame - 1], 1) << "frame " << frame;
  EXPECT_GE(started, kFrames + kFrames / 7);
  nlohmann::json job = farm.GetJson("/v1/jobs/" + std::to_string(id));
  EXPECT_EQ(job["counts"]["succeeded"], kFrames);
  farm.KillServer();   // an SQLite server holds its file exclusively
  EXPECT_GT(farm.StoreNumber("SELECT min(lsn) FROM log"), 1) << "the log below the snapshots was not compacted";
}

TEST(RestartTest, AFinishedJobPastRetentionLeavesMemoryAndStaysQueryable) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("a1", {"--cores", "2"}));
  const uint64_t old_job = farm.Submit("old.yaml", "name: old\ntasks: [{name: hello, command: 'echo hello from old'}]\n");
  ASSERT_TRUE(farm.WaitForJob(old_job)) << farm.Diagnostics(old_job);
  ASSERT_EQ(farm.Client({"config", "set", "retention", "1s"}).exit_code, 0);
  const uint64_t kept = farm.Submit("kept.yaml", "name: kept\ntasks: [{name: t, command: 'sleep 30'}]\n");
  ASSERT_TRUE(WaitFor([&] { return farm.GetJson("/v1/jobs/" + std::to_string(old_job)).value("retired", false); },
                      std::chrono::seconds(10)))
      << "the finished job was not retired";

  auto listed = [&](const std::string& query) {
    std::vector<uint64_t> ids;
    const nlohmann::json reply = farm.GetJson("/v1/jobs" + query);
    for (const auto& j : reply["jobs"]) ids.push_back(j["id"].get<uint64_t>());
    return ids;
  };
  EXPECT_EQ(listed(""), (std::vector<uint64_t>{kept})) << "a retired job is no longer among the live ones";
  EXPECT_EQ(listed("?all=1"), (std::vector<uint64_t>{old_job, kept}));
  const nlohmann::json shown = farm.GetJson("/v1/jobs/old");
  EXPECT_EQ(shown["state"], "succeeded");
  EXPECT_EQ(shown["counts"]["succeeded"], 1);
  EXPECT_EQ(shown["tasks"][0]["name"], "hello");
  EXPECT_EQ(farm.Client({"logs", "old", "hello"}).out, "hello from old\n");
  EXPECT_EQ(farm.Http("POST", "/v1/jobs/" + std::to_string(old_job) + "/retry").status, 409);
  const auto all = farm.Client({"jobs", "--all"});
  EXPECT_NE(all.out.find("old"), std::string::npos) << all.out;

  farm.KillServer();   // the archive is in the store; the retirement in the log
  ASSERT_TRUE(farm.StartServer());
  EXPECT_EQ(listed(""), (std::vector<uint64_t>{kept}));
  EXPECT_EQ(farm.GetJson("/v1/jobs/" + std::to_string(old_job))["state"], "succeeded");
  EXPECT_EQ(farm.GetJson("/v1/jobs/" + std::to_string(kept))["state"], "running");
}

}  // namespace
}  // namespace rota::testing
