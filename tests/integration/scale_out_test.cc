// Several servers on one PostgreSQL (issue 10, DESIGN section 8 "Several servers, one
// PostgreSQL"): the pools are shared out as leases, any server answers any call with the same
// events, a kill -9 or a SIGSTOP of a holder hands its pools to another without losing or
// repeating work, the log never holds a placement made under a stale epoch, and the clients
// and agents, given every server's URL, move to the next without anyone noticing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "support/event_counts.h"
#include "support/farm.h"
#include "support/lease_audit.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;

struct Held {
  std::string holder;
  uint64_t epoch = 0;
};

// lease -> its holder and epoch, as server `i` last saw them (leases nobody holds are left out).
std::map<std::string, Held> Leases(Farm& farm, size_t i) {
  std::map<std::string, Held> out;
  const nlohmann::json view = farm.GetJson("/v1/servers", i);
  if (!view.is_object()) return out;
  for (const auto& l : view["leases"]) {
    if (l["holder"] == "" || l["expired"] == true) continue;
    out[l["name"].get<std::string>()] = {l["holder"].get<std::string>(), l["epoch"].get<uint64_t>()};
  }
  return out;
}

// Server index of a name "sN".
size_t IndexOf(const std::string& name) { return std::stoul(name.substr(1)) - 1; }

// Waits until server `i` sees every one of `names` held.
bool WaitForHolders(Farm& farm, size_t i, const std::vector<std::string>& names,
                    std::chrono::seconds limit = std::chrono::seconds(15)) {
  return WaitFor([&] {
    const auto held = Leases(farm, i);
    for (const std::string& name : names) {
      if (!held.count(name)) return false;
    }
    return true;
  }, limit);
}

void ExpectEachSucceededOnce(const std::vector<nlohmann::json>& events, uint64_t id, size_t instances) {
  const auto succeeded = Count(events, id, "task.succeeded");
  EXPECT_EQ(succeeded.size(), instances);
  for (const auto& [instance, n] : succeeded) EXPECT_EQ(n, 1) << instance << " succeeded " << n << " times";
  EXPECT_EQ(CountType(events, id, "job.succeeded"), 1);
}

constexpr const char* kFourPools = R"(
name: four
tasks:
  - {name: plate, pool: render, frames: 1-12, command: "sleep 0.02"}
  - {name: grade, pool: comp, frames: 1-12, command: "true", requires: [{task: plate, frames: each}]}
  - {name: cloth, pool: sim, frames: 1-4, command: "true"}
  - {name: splash, pool: fx, command: "true", requires: [cloth, grade]}
)";

TEST(ScaleOutTest, ThreeServersShareThePoolsAndEachAnswersWithTheSameEvents) {
  Farm farm({"--heartbeat-timeout", "10s"}, 3);
  ASSERT_TRUE(farm.StartServers());
  ASSERT_TRUE(farm.StartAgent("r1", {"--pools", "render,comp"}));
  ASSERT_TRUE(farm.StartAgent("s1", {"--pools", "sim,fx"}));
  const uint64_t id = farm.Submit("four.yaml", kFourPools);
  ASSERT_GT(id, 0u) << farm.Diagnostics();
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(60), i)) << farm.Diagnostics(id);
    EXPECT_EQ(farm.JobState(id, i), "succeeded");
  }
  ASSERT_TRUE(WaitForHolders(farm, 0, {"*farm", "render", "comp", "sim", "fx"}));
  // Five leases over three servers: nobody holds more than two, and all are alive.
  ASSERT_TRUE(WaitFor([&] {
    std::map<std::string, int> per_server;
    for (const auto& [name, held] : Leases(farm, 1)) ++per_server[held.holder];
    if (per_server.size() != 3) return false;
    for (const auto& [server, n] : per_server) {
      if (n > 2) return false;
    }
    return true;
  }, std::chrono::seconds(15))) << farm.Client({"servers"}).out;
  const nlohmann::json servers = farm.GetJson("/v1/servers", 2);
  ASSERT_EQ(servers["servers"].size(), 3u);
  for (const auto& s : servers["servers"]) EXPECT_EQ(s["alive"], true) << s.dump();

  const auto events = farm.Events(0, 0);
  ExpectEachSucceededOnce(events, id, 12 + 12 + 4 + 1);
  for (size_t i = 1; i < 3; ++i) {
    const auto other = farm.Events(0, i);
    ASSERT_EQ(other.size(), events.size()) << "server " << i + 1;
    for (size_t k = 0; k < events.size(); ++k) ASSERT_EQ(other[k], events[k]) << "server " << i + 1 << ", event " << k;
  }
  const LeaseAudit audit = AuditLeases(farm.database_url());
  EXPECT_EQ(audit.problem, "");
  EXPECT_GT(audit.placement_entries, 0u);
}

TEST(ScaleOutTest, KillNineOfAPoolsHolderHandsThePoolOnAndLosesNothing) {
  Farm farm({"--heartbeat-timeout", "10s"}, 3);
  ASSERT_TRUE(farm.StartServers());
  ASSERT_TRUE(farm.StartAgent("n1", {"--cores", "4"}));
  ASSERT_TRUE(farm.StartAgent("n2", {"--cores", "4"}));
  const uint64_t id = farm.Submit("big.yaml", R"(
name: big
tasks:
  - {name: plate, pool: render, frames: 1-300, command: "sleep 0.05"}
  - {name: grade, pool: comp, frames: 1-300, command: "true", requires: [{task: plate, frames: each}]}
)");
  ASSERT_GT(id, 0u) << farm.Diagnostics();
  ASSERT_TRUE(WaitForHolders(farm, 0, {"render"}));
  const Held before = Leases(farm, 0).at("render");
  const size_t victim = IndexOf(before.holder);
  const size_t survivor = (victim + 1) % 3;
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json j = farm.GetJson("/v1/jobs/" + std::to_string(id), survivor);
    return j.is_object() && j["counts"]["succeeded"].get<int>() >= 50;
  }, std::chrono::seconds(60)));
  farm.KillServer(victim);
  ASSERT_TRUE(WaitFor([&] {
    const auto held = Leases(farm, survivor);
    return held.count("render") && held.at("render").holder != before.holder;
  }, std::chrono::seconds(10))) << "render was not taken over";
  const Held after = Leases(farm, survivor).at("render");
  EXPECT_GT(after.epoch, before.epoch);
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(90), survivor)) << farm.Diagnostics(id);
  EXPECT_EQ(farm.JobState(id, survivor), "succeeded");
  ExpectEachSucceededOnce(farm.Events(0, survivor), id, 600);
  const LeaseAudit audit = AuditLeases(farm.database_url());
  EXPECT_EQ(audit.problem, "");
}

// Periodic schedules across a failover (issue 11): only the holder of the *schedules lease fires;
// when it dies another takes the lease and catches up, and no second fires twice.
TEST(ScaleOutTest, KillNineOfTheSchedulesHolderFiresEachSlotOnce) {
  Farm farm({}, 2);
  ASSERT_TRUE(farm.StartServers());
  const HttpReply set = farm.Http("POST", "/v1/schedules",
                                  R"({"name":"tick","calendar":"*:*:*","catch_up":"all",)"
                                  R"("job":"name: x\ntasks:\n  - {name: t, command: \"true\"}\n"})");
  ASSERT_EQ(set.status, 201) << set.body;
  ASSERT_TRUE(WaitForHolders(farm, 0, {"*schedules"}));
  const Held before = Leases(farm, 0).at("*schedules");
  const size_t victim = IndexOf(before.holder), survivor = 1 - victim;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  farm.KillServer(victim);
  ASSERT_TRUE(WaitFor([&] {
    const auto held = Leases(farm, survivor);
    return held.count("*schedules") && held.at("*schedules").holder != before.holder;
  }, std::chrono::seconds(10))) << "*schedules was not taken over";
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::vector<std::string> slots;
  for (const nlohmann::json& e : farm.Events(0, survivor)) {
    if (e["type"] == "schedule.fired") slots.push_back(e["slot"].get<std::string>());
  }
  ASSERT_GE(slots.size(), 5u);
  std::set<std::string> unique(slots.begin(), slots.end());
  EXPECT_EQ(unique.size(), slots.size()) << "a slot fired twice";
  // Every second from the first slot to the last (RFC 3339 UTC strings sort as times).
  const auto seconds = [](const std::string& t) {
    return std::stoi(t.substr(11, 2)) * 3600 + std::stoi(t.substr(14, 2)) * 60 + std::stoi(t.substr(17, 2));
  };
  EXPECT_EQ(static_cast<size_t>((seconds(*unique.rbegin()) - seconds(*unique.begin()) + 86400) % 86400 + 1), unique.size())
      << "a second was skipped";
  EXPECT_EQ(AuditLeases(farm.database_url()).problem, "");
}

// SIGSTOP of a holder for twice the ttl: another takes its pools; once it runs again, nothing it
// had in hand is committed under its old epoch, and no work runs twice.
TEST(ScaleOutTest, ASuspendedHolderCommitsNothingUnderItsOldEpoch) {
  Farm farm({"--heartbeat-timeout", "10s", "--lease-ttl", "1s"}, 2);
  ASSERT_TRUE(farm.StartServers());
  ASSERT_TRUE(farm.StartAgent("n1", {"--cores", "4"}));
  ASSERT_TRUE(farm.StartAgent("n2", {"--cores", "4"}));
  const uint64_t id = farm.Submit("long.yaml", R"(
name: long
tasks:
  - {name: plate, pool: render, frames: 1-200, command: "sleep 0.05"}
)");
  ASSERT_GT(id, 0u) << farm.Diagnostics();
  ASSERT_TRUE(WaitForHolders(farm, 0, {"render"}));
  const Held before = Leases(farm, 0).at("render");
  const size_t held_by = IndexOf(before.holder);
  const size_t other = 1 - held_by;
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json j = farm.GetJson("/v1/jobs/" + std::to_string(id), other);
    return j.is_object() && j["counts"]["succeeded"].get<int>() >= 20;
  }, std::chrono::seconds(60)));
  farm.SignalServer(held_by, SIGSTOP);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(WaitFor([&] {
    const auto held = Leases(farm, other);
    return held.count("render") && held.at("render").holder != before.holder;
  }, std::chrono::seconds(10))) << "render was not taken from the stopped server";
  farm.SignalServer(held_by, SIGCONT);
  ASSERT_TRUE(farm.WaitForJob(id, std::chrono::seconds(90), other)) << farm.Diagnostics(id);
  EXPECT_EQ(farm.JobState(id, other), "succeeded");
  EXPECT_EQ(farm.JobState(id, held_by), "succeeded") << "the resumed server does not follow the log";
  ExpectEachSucceededOnce(farm.Events(0, other), id, 200);
  const LeaseAudit audit = AuditLeases(farm.database_url());
  EXPECT_EQ(audit.problem, "");
  EXPECT_GT(audit.newest.at("render"), before.epoch);
}

TEST(ScaleOutTest, SubmitWaitSurvivesTheServerItTalksToBeingKilled) {
  Farm farm({"--heartbeat-timeout", "10s"}, 2);
  ASSERT_TRUE(farm.StartServers());
  ASSERT_TRUE(farm.StartAgent("n1", {"--cores", "2"}));
  WriteFile(farm.client_dir() / "slow.yaml", "name: slow\ntasks: [{name: t, frames: 1-8, command: 'sleep 0.4'}]\n");
  // The first URL of the list is the server the client talks to.
  RotaProcess client(farm.client_dir(), {"submit", "--wait", "slow.yaml", "--server", farm.urls()});
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json j = farm.GetJson("/v1/jobs/1", 1);
    return j.is_object() && j["counts"]["running"].get<int>() > 0;
  }, std::chrono::seconds(20)));
  farm.KillServer(0);
  const Outcome o = client.Wait(std::chrono::seconds(60));
  EXPECT_EQ(o.exit_code, 0) << o.err << farm.Diagnostics(1);
  EXPECT_EQ(o.out, "1\n");
  EXPECT_THAT(o.err, HasSubstr("job 1 slow succeeded"));
  const Outcome jobs = farm.Client({"jobs"});   // the dead server first in the list: no matter
  EXPECT_EQ(jobs.exit_code, 0) << jobs.err;
  EXPECT_THAT(jobs.out, HasSubstr("succeeded"));
}

TEST(ScaleOutTest, RotaServersShowsLeasesEpochsAndExclusions) {
  Farm farm({"--heartbeat-timeout", "10s"}, 2);
  farm.SetServerArgs(1, {"--exclude-pools", "render"});
  ASSERT_TRUE(farm.StartServers());
  ASSERT_TRUE(farm.StartAgent("n1"));
  const uint64_t id = farm.Submit("four.yaml", kFourPools);
  ASSERT_TRUE(farm.WaitForJob(id)) << farm.Diagnostics(id);
  ASSERT_TRUE(WaitForHolders(farm, 1, {"*farm", "render", "comp", "sim", "fx"}));
  EXPECT_EQ(Leases(farm, 1).at("render").holder, "s1") << "s2 excludes render";
  const Outcome table = farm.Client({"servers"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("NAME  STATE  URL"));
  EXPECT_THAT(table.out, ::testing::ContainsRegex("s1 +alive +" + farm.url(0) + " +[^ ]*render@1"));
  EXPECT_THAT(table.out, ::testing::ContainsRegex("s2 +alive +" + farm.url(1) + " .* pools render"));
  const Outcome json = farm.Client({"servers", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  const nlohmann::json view = nlohmann::json::parse(json.out);
  EXPECT_EQ(view["servers"][1]["exclude_pools"], nlohmann::json::array({"render"}));

  // s1 dies: s2 takes what it may, never render; nothing runs in render until s1 is back.
  farm.KillServer(0);
  ASSERT_TRUE(WaitFor([&] {
    const auto held = Leases(farm, 1);
    return held.count("*farm") && held.at("*farm").holder == "s2";
  }, std::chrono::seconds(10))) << farm.Client({"servers"}).out;
  const Outcome after = farm.Client({"servers"});
  EXPECT_THAT(after.out, ::testing::ContainsRegex("s1 +dead +" + farm.url(0) + " +render@1 "));
  EXPECT_THAT(after.out, ::testing::ContainsRegex("s2 +alive +" + farm.url(1) + " +\\*farm@2,"));
  EXPECT_NE(Leases(farm, 1)["render"].holder, "s2");
}

}  // namespace
}  // namespace rota::testing
