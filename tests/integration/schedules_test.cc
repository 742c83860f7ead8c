// Periodic schedules, watchdogs, webhooks and jobs that wait for jobs through a real server
// (issue 11): previewing an expression, every-second schedules and a watchdog across three
// kill -9s with a webhook receiver on 127.0.0.1, a job waiting for another across a restart, and
// the CLI verbs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "calendar/rfc3339.h"
#include "core/sha256.h"
#include "support/farm.h"
#include "support/hook_receiver.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SchedulesTest, PreviewGivesUtcLocalTimesAndDstNotes) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  const nlohmann::json j = farm.GetJson(
      "/v1/schedules/preview?cron=30%202%20*%20*%20*&timezone=Europe/Berlin&n=2&from=2026-03-28T12:00:00Z");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["timezone"], "Europe/Berlin");
  EXPECT_EQ(j["next"], nlohmann::json::array({"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  EXPECT_EQ(j["local"], nlohmann::json::array({"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}));
  EXPECT_THAT(j["notes"][0].get<std::string>(), HasSubstr("runs at 03:00, when the gap ends"));
  EXPECT_EQ(j["notes"][1], "");

  const Outcome table = farm.Client({"schedules", "next", "--calendar", "Sat 18:15 America/New_York", "-n", "1",
                                     "--from", "2026-11-01T00:00:00Z"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out,
            "LOCAL (America/New_York)   UTC\n"
            "2026-11-07T18:15:00-05:00  2026-11-07T23:15:00Z\n");
}

TEST(SchedulesTest, ABadExpressionIsA400NamingTheProblem) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  const HttpReply cron = farm.Http("GET", "/v1/schedules/preview?cron=0%2025%20*%20*%20*");
  EXPECT_EQ(cron.status, 400);
  EXPECT_THAT(cron.body, HasSubstr("\"code\":\"invalid_cron\""));
  EXPECT_THAT(cron.body, HasSubstr("hour 25 is out of range 0-23"));
  EXPECT_EQ(farm.Http("GET", "/v1/schedules/preview?cron=@daily&timezone=Europe/Berln").status, 400);
  EXPECT_EQ(farm.Http("GET", "/v1/schedules/preview").status, 400);
  EXPECT_EQ(farm.Http("GET", "/v1/schedules/preview?cron=@daily&n=0").status, 400);
  EXPECT_EQ(farm.Http("POST", "/v1/schedules/preview?cron=@daily").status, 405);

  const Outcome pbs = farm.Client({"schedules", "next", "--calendar", "mon..fri 8..17/2"});
  EXPECT_EQ(pbs.exit_code, 2);
  EXPECT_THAT(pbs.err, HasSubstr("Did you mean \"mon..fri 8..17/2:00\""));
}

constexpr const char* kTrueJob = "name: x\ntasks:\n  - {name: t, command: \"true\"}\n";

nlohmann::json ScheduleBody(const std::string& name, const std::string& calendar, nlohmann::json extra = {}) {
  nlohmann::json body = {{"name", name}, {"calendar", calendar}, {"job", kTrueJob}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  return body;
}

// The slots (unix seconds) a schedule's events name, of one type.
std::vector<int64_t> Slots(const std::vector<nlohmann::json>& events, const std::string& type, const std::string& schedule) {
  std::vector<int64_t> slots;
  for (const nlohmann::json& e : events) {
    if (e["type"] == type && e.value("schedule", "") == schedule) slots.push_back(*ParseRfc3339(e["slot"].get<std::string>()));
  }
  return slots;
}

std::vector<nlohmann::json> OfType(const std::vector<nlohmann::json>& events, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& e : events) {
    if (e["type"] == type) out.push_back(e);
  }
  return out;
}

TEST(SchedulesTest, EverySecondSchedulesAndAWatchdogAcrossThreeKillsFireEachSlotOnceAndAlertOnce) {
  HookReceiver receiver;
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_TRUE(farm.StartAgent("a1"));
  const std::string secret = "s3cret";
  ASSERT_EQ(farm.Http("POST", "/v1/hooks",
                      nlohmann::json{{"name", "rx"}, {"url", receiver.url()}, {"events", {"alert.*", "schedule.missed"}}, {"secret", secret}}.dump())
                .status,
            201);
  // tick: every slot runs, late ones too; tock: a slot more than a second late is missed.
  ASSERT_EQ(farm.Http("POST", "/v1/schedules", ScheduleBody("tick", "*:*:*", {{"catch_up", "all"}, {"catch_up_max", 1000}}).dump()).status, 201);
  ASSERT_EQ(farm.Http("POST", "/v1/schedules", ScheduleBody("tock", "*:*:*", {{"start_window", "1s"}}).dump()).status, 201);
  ASSERT_EQ(farm.Http("POST", "/v1/schedules", ScheduleBody("heartbeat", "*:*:*").dump()).status, 201);
  const HttpReply watchdog = farm.Http(
      "POST", "/v1/expectations",
      R"({"name":"hb","every":"3s","grace":"5s","match":"job.succeeded:job=heartbeat"})");
  ASSERT_EQ(watchdog.status, 201) << watchdog.body;

  auto alerts_received = [&](const std::string& type) {
    std::set<std::string> keys;
    for (const auto& r : receiver.requests()) {
      if (r.headers.at("rota-event") == type) keys.insert(r.headers.at("idempotency-key"));
    }
    return keys.size();
  };
  std::this_thread::sleep_for(std::chrono::seconds(3));
  farm.KillServer();                                   // kill -9 #1, down for 3 s: tock misses a slot
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(farm.StartServer()) << farm.Diagnostics();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_EQ(farm.Http("POST", "/v1/schedules/heartbeat/pause").status, 200);   // the watchdog's event stops
  ASSERT_TRUE(WaitFor([&] { return alerts_received("alert.raised") == 1; }, std::chrono::seconds(20))) << farm.Diagnostics();
  farm.KillServer();                                   // kill -9 #2, right after the alert went out
  ASSERT_TRUE(farm.StartServer()) << farm.Diagnostics();
  ASSERT_EQ(farm.Http("POST", "/v1/schedules/heartbeat/resume").status, 200);
  ASSERT_TRUE(WaitFor([&] { return alerts_received("alert.resolved") == 1; }, std::chrono::seconds(20))) << farm.Diagnostics();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  farm.KillServer();                                   // kill -9 #3
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(farm.StartServer()) << farm.Diagnostics();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_EQ(farm.Http("DELETE", "/v1/schedules/tick").status, 200);
  ASSERT_EQ(farm.Http("DELETE", "/v1/schedules/tock").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));   // the hook's last deliveries

  const std::vector<nlohmann::json> events = farm.Events();
  // tick: every second from its first slot to its last fired exactly once, the seconds the server was down too.
  std::vector<int64_t> tick = Slots(events, "schedule.fired", "tick");
  ASSERT_GE(tick.size(), 10u);
  for (size_t i = 1; i < tick.size(); ++i) ASSERT_EQ(tick[i], tick[i - 1] + 1) << "slot " << FormatUtc(tick[i]);
  // tock: each second fired once or was counted missed once, never both.
  std::map<int64_t, int> tock;
  for (int64_t slot : Slots(events, "schedule.fired", "tock")) ++tock[slot];
  int64_t missed = 0;
  for (const nlohmann::json& e : OfType(events, "schedule.missed")) {
    ASSERT_EQ(e["schedule"], "tock") << e.dump();
    const int64_t last = *ParseRfc3339(e["slot"].get<std::string>());
    for (int64_t s = last - e["count"].get<int64_t>() + 1; s <= last; ++s) ++tock[s];
    missed += e["count"].get<int64_t>();
  }
  ASSERT_FALSE(tock.empty());
  EXPECT_GT(missed, 0) << "three restarts without a slot more than a second late";
  for (int64_t s = tock.begin()->first; s <= tock.rbegin()->first; ++s) EXPECT_EQ(tock[s], 1) << FormatUtc(s);
  // One job per slot, ever.
  const nlohmann::json jobs = farm.GetJson("/v1/jobs");
  std::set<std::string> names;
  for (const nlohmann::json& j : jobs["jobs"]) EXPECT_TRUE(names.insert(j["name"].get<std::string>()).second) << j["name"];
  // The watchdog: one alert and one resolution in the log, whatever the kills did.
  const std::vector<nlohmann::json> raised = OfType(events, "alert.raised"), resolved = OfType(events, "alert.resolved");
  ASSERT_EQ(raised.size(), 1u);
  ASSERT_EQ(resolved.size(), 1u);
  // The receiver: every alert and missed slot exactly once by idempotency key, each signed.
  std::map<std::string, std::string> by_key;
  for (const auto& r : receiver.requests()) {
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.headers.at("rota-signature"), "sha256=" + HexLower(HmacSha256(secret, r.body))) << r.body;
    auto [it, fresh] = by_key.emplace(r.headers.at("idempotency-key"), r.body);
    if (!fresh) {
      EXPECT_EQ(it->second, r.body) << "a repeat carries the same event";
    }
  }
  std::set<std::string> expected;
  for (const nlohmann::json& e : events) {
    const std::string type = e["type"];
    if (type.starts_with("alert.") || type == "schedule.missed") {
      expected.insert("rx/" + std::to_string(e["seq"].get<uint64_t>()));
    }
  }
  std::set<std::string> got;
  for (const auto& [key, body] : by_key) got.insert(key);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(alerts_received("alert.raised"), 1u);
  EXPECT_EQ(alerts_received("alert.resolved"), 1u);
}

TEST(SchedulesTest, AReceiverThatFailsGetsTheEventAgainWithTheSameKeyAfterABackoff) {
  HookReceiver receiver;
  receiver.set_status(503);
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  ASSERT_EQ(farm.Http("POST", "/v1/hooks",
                      nlohmann::json{{"name", "rx"}, {"url", receiver.url()}, {"events", {"signal.*"}}, {"secret", "k"}}.dump())
                .status,
            201);
  ASSERT_EQ(farm.Http("POST", "/v1/signals/db%2Fready").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));   // refused at least once
  EXPECT_TRUE(receiver.requests().empty());
  receiver.set_status(200);
  ASSERT_TRUE(WaitFor([&] { return !receiver.requests().empty(); }, std::chrono::seconds(10))) << farm.Diagnostics();
  const auto got = receiver.requests().front();
  EXPECT_EQ(got.headers.at("rota-event"), "signal.posted");
  EXPECT_GE(std::stoi(got.headers.at("rota-delivery-attempt")), 2);
  const nlohmann::json event = nlohmann::json::parse(got.body);
  EXPECT_EQ(got.headers.at("idempotency-key"), "rx/" + std::to_string(event["seq"].get<uint64_t>()));
  EXPECT_EQ(event["signal"], "db/ready");
  // The cursor moved: a restart does not send it again.
  ASSERT_TRUE(WaitFor([&] { return farm.GetJson("/v1/hooks")["hooks"][0]["delivered_seq"] == event["seq"]; },
                      std::chrono::seconds(5)));
  farm.KillServer();
  ASSERT_TRUE(farm.StartServer());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(receiver.requests().size(), 1u);
  const std::string metrics = farm.Http("GET", "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("rota_hook_outbox_depth{hook=\"rx\"} 0"));
}

TEST(SchedulesTest, AJobWaitsForAnotherByNameAcrossARestart) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  const uint64_t assets = farm.Submit("assets.yaml", "name: assets\ntasks:\n  - {name: a, command: \"sleep 3\"}\n");
  const uint64_t shot = farm.Submit("shot.yaml",
                                    "name: shot\ntasks:\n  - name: render\n    command: \"true\"\n    requires: [{job: assets}]\n");
  const Outcome show = farm.Client({"show", std::to_string(shot)});
  EXPECT_THAT(show.out, HasSubstr("waiting for job assets (#" + std::to_string(assets) + "), pending"));
  farm.KillServer();
  ASSERT_TRUE(farm.StartServer());
  EXPECT_THAT(farm.Client({"show", std::to_string(shot)}).out, HasSubstr("waiting for job assets"));
  ASSERT_TRUE(farm.StartAgent("a1"));
  ASSERT_TRUE(farm.WaitForJob(shot, std::chrono::seconds(60))) << farm.Diagnostics(shot);
  EXPECT_EQ(farm.JobState(assets), "succeeded");
  EXPECT_EQ(farm.JobState(shot), "succeeded");
  uint64_t assets_done = 0, shot_started = 0;
  for (const nlohmann::json& e : farm.Events()) {
    if (e["type"] == "job.succeeded" && e["job"] == "assets") assets_done = e["seq"];
    if (e["type"] == "task.started" && e["job"] == "shot") shot_started = e["seq"];
  }
  EXPECT_LT(assets_done, shot_started);
}

TEST(SchedulesTest, TheCliAddsListsPausesTriggersAndRemoves) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  WriteFile(farm.client_dir() / "job.yaml", kTrueJob);
  const Outcome add = farm.Client({"schedules", "add", "nightly", "--cron", "30 2 * * *", "--timezone", "Europe/Berlin",
                                   "--job", "job.yaml", "--overlap", "forbid"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_THAT(add.out, HasSubstr("schedule nightly saved: next at "));
  EXPECT_THAT(add.out, HasSubstr("02:30:00+0"));
  const Outcome list = farm.Client({"schedules", "list"});
  EXPECT_THAT(list.out, HasSubstr("nightly  30 2 * * *"));
  EXPECT_THAT(list.out, HasSubstr("Europe/Berlin"));
  EXPECT_THAT(list.out, HasSubstr("active"));
  EXPECT_THAT(farm.Client({"schedules", "pause", "nightly"}).out, HasSubstr("schedule nightly paused"));
  EXPECT_THAT(farm.Client({"schedules", "list"}).out, HasSubstr("paused"));
  const Outcome trigger = farm.Client({"schedules", "trigger", "nightly"});
  ASSERT_EQ(trigger.exit_code, 0) << trigger.err;
  EXPECT_THAT(trigger.out, HasSubstr("job 1 submitted: nightly@"));
  const Outcome next = farm.Client({"schedules", "next", "nightly", "-n", "2", "--from", "2026-10-24T12:00:00Z"});
  EXPECT_EQ(next.out,
            "LOCAL (Europe/Berlin)      UTC                   NOTE\n"
            "2026-10-25T02:30:00+02:00  2026-10-25T00:30:00Z  the first of two 02:30s (the clocks go back)\n"
            "2026-10-26T02:30:00+01:00  2026-10-26T01:30:00Z\n");
  const Outcome bad = farm.Client({"schedules", "add", "x", "--cron", "0 25 * * *", "--job", "job.yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("hour 25 is out of range 0-23"));
  EXPECT_THAT(farm.Http("GET", "/metrics").body,
              Not(HasSubstr("rota_schedule_next_fire_timestamp_seconds{schedule=\"nightly\"}")))
      << "absent while paused";
  EXPECT_EQ(farm.Client({"schedules", "resume", "nightly"}).exit_code, 0);
  EXPECT_THAT(farm.Http("GET", "/metrics").body,
              HasSubstr("rota_schedule_next_fire_timestamp_seconds{schedule=\"nightly\"}"));
  EXPECT_EQ(farm.Client({"schedules", "rm", "nope"}).exit_code, 1);
  EXPECT_EQ(farm.Client({"schedules", "rm", "nightly"}).exit_code, 0);

  const Outcome expect = farm.Client({"expect", "add", "nightly", "--every", "1d", "--grace", "1h"});
  ASSERT_EQ(expect.exit_code, 0) << expect.err;
  EXPECT_THAT(expect.out, HasSubstr("watchdog nightly up"));
  EXPECT_THAT(farm.Client({"expect", "list"}).out, HasSubstr("nightly  up      job.succeeded:job=nightly"));
  const Outcome bad_match = farm.Client({"expect", "add", "y", "--every", "1h", "--match", "job.succeeded:jb=x"});
  EXPECT_EQ(bad_match.exit_code, 2);
  EXPECT_THAT(bad_match.err, HasSubstr("did you mean \"job\"?"));
  const Outcome hook = farm.Client({"hooks", "add", "http://127.0.0.1:9/h", "--events", "alert.*,job.failed"});
  ASSERT_EQ(hook.exit_code, 0) << hook.err;
  EXPECT_THAT(hook.out, HasSubstr("secret (shown once"));
  EXPECT_THAT(farm.Client({"hooks", "list"}).out, HasSubstr("127.0.0.1-9-h"));
  EXPECT_EQ(farm.Client({"hooks", "add", "https://x/h", "--events", "alert.*"}).exit_code, 2);
  EXPECT_EQ(farm.Client({"hooks", "rm", "127.0.0.1-9-h"}).exit_code, 0);
}

}  // namespace
}  // namespace rota::testing
