// What the client verbs print, from JSON fixtures shaped like docs/api.md: the jobs and hosts
// tables, `rota show` with its why-pending lines (and their grouping for big tasks), event lines;
// and the small pure pieces under the verbs: SSE parsing, error -> exit code, TASK[/N].
#include "cli/client_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "cli/client_api.h"
#include "cli/client_commands.h"
#include "cli/sse_parser.h"
#include "cli/wait_command.h"

namespace rota {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1764000000000000;  // 2025-11-24 16:00:00 UTC
constexpr int64_t kSecond = 1000000;

json Summary(int id, const std::string& name, const std::string& state, json counts,
             int64_t age_s) {
  return {{"id", id},         {"name", name},    {"queue", "default"},
          {"priority", 50},   {"state", state},  {"submitted_us", kNow - age_s * kSecond},
          {"finished_us", 0}, {"counts", counts}};
}

json Counts(int total, int succeeded, int running, int failed, int waiting = 0) {
  return {{"total", total},         {"waiting", waiting}, {"ready", 0},   {"running", running},
          {"succeeded", succeeded}, {"failed", failed},   {"skipped", 0}, {"cancelled", 0}};
}

TEST(ClientOutputTest, JobTableAlignsColumnsAndShowsAges) {
  json jobs = json::array({Summary(7, "comp", "failed", Counts(3, 1, 0, 1), 2 * 3600 + 5),
                           Summary(42, "shot-010", "running", Counts(26, 17, 4, 0, 5), 300)});
  jobs[0]["queue"] = "film";
  jobs[0]["priority"] = 90;
  EXPECT_EQ(FormatJobTable(jobs, kNow),
            "ID  NAME      QUEUE    PRI  STATE    DONE/TOTAL  RUNNING  FAILED  AGE\n"
            "7   comp      film     90   failed   1/3         0        1       2h\n"
            "42  shot-010  default  50   running  17/26       4        0       5m\n");
  EXPECT_EQ(FormatJobTable(json::array(), kNow),
            "ID  NAME  QUEUE  PRI  STATE  DONE/TOTAL  RUNNING  FAILED  AGE\n");
}

TEST(ClientOutputTest, AgesAreShortAndTruncated) {
  EXPECT_EQ(FormatAge(-5 * kSecond), "0s");
  EXPECT_EQ(FormatAge(59 * kSecond), "59s");
  EXPECT_EQ(FormatAge(119 * kSecond), "1m");
  EXPECT_EQ(FormatAge(3 * 3600 * kSecond), "3h");
  EXPECT_EQ(FormatAge(50 * 3600 * kSecond), "2d");
}

TEST(ClientOutputTest, JobLineNamesTheStateAndNonZeroCounts) {
  json job = Summary(42, "shot-010", "failed", Counts(26, 20, 0, 3, 0), 10);
  job["counts"]["skipped"] = 3;
  EXPECT_EQ(FormatJobLine(job), "job 42 shot-010 failed: 20/26 succeeded, 3 failed, 3 skipped");
}

// The example of docs/api.md (one task, four unfinished instances), plus one that succeeded and a
// failure without a reason.
json ShowFixture() {
  json job = Summary(42, "shot-010", "running", Counts(5, 1, 1, 1, 1), 300);
  job["counts"]["ready"] = 1;
  job["tasks"] = json::array({json{
      {"name", "render"},
      {"pool", "dr1"},
      {"frames", "1-100x5"},
      {"instances",
       json::array(
           {json{{"index", 0},
                 {"frames", "1-16"},
                 {"status", "running"},
                 {"attempt", 1},
                 {"host", "node1"},
                 {"run", 77}},
            json{{"index", 4},
                 {"frames", "65-80"},
                 {"status", "succeeded"},
                 {"attempt", 1},
                 {"exit_code", 0},
                 {"host", "node1"}},
            json{{"index", 5},
                 {"frames", "81-96"},
                 {"status", "ready"},
                 {"why", "no live host has 8 cores free in pool dr1 (largest free: 4 on node2)"}},
            json{{"index", 6},
                 {"frames", "97-100"},
                 {"status", "waiting"},
                 {"why", "waiting for task sim"}},
            json{{"index", 7},
                 {"status", "failed"},
                 {"attempt", 3},
                 {"exit_code", 1},
                 {"host", "node2"},
                 {"run", 80},
                 {"reason", "exit code 1"}},
            json{{"index", 8},
                 {"frames", "1"},
                 {"status", "failed"},
                 {"attempt", 1},
                 {"exit_code", 2},
                 {"host", "node3"}}})}}});
  return job;
}

TEST(ClientOutputTest, ShowSaysWhyEachUnfinishedInstanceWaits) {
  EXPECT_EQ(FormatJobView(ShowFixture(), kNow),
            "job 42 shot-010  queue default  priority 50  running  submitted 5m ago\n"
            "1/5 succeeded, 1 running, 1 ready, 1 waiting, 1 failed\n"
            "\n"
            "task render  pool dr1  frames 1-100x5  6 instances: 1 succeeded, 1 running, 1 ready, "
            "1 waiting, 2 failed\n"
            "  #0  1-16    running  on node1, attempt 1\n"
            "  #5  81-96   ready    no live host has 8 cores free in pool dr1 (largest free: 4 on "
            "node2)\n"
            "  #6  97-100  waiting  waiting for task sim\n"
            "  #7          failed   on node2, attempt 3: exit code 1\n"
            "  #8  1       failed   on node3, attempt 1, exit 2\n");
}

TEST(ClientOutputTest, ShowGroupsABigTaskByStatusAndWhyWithInstanceRanges) {
  json instances = json::array();
  for (int i = 0; i < 3000; ++i) {
    json inst = {{"index", i}, {"status", "succeeded"}};
    if (i >= 100 && i < 104) {
      inst = {{"index", i},
              {"status", "running"},
              {"host", "node" + std::to_string(i)},
              {"attempt", 1}};
    } else if (i >= 104 && i < 2000) {
      inst = {{"index", i},
              {"status", "ready"},
              {"why", "no live host has 8 cores free in pool dr1 (largest free: 4 on node2)"}};
    } else if (i >= 2000) {
      inst = {{"index", i},
              {"status", "waiting"},
              {"why", i % 2 ? "waiting for task sim" : "waiting for signal hub/ready"}};
    }
    instances.push_back(inst);
  }
  json job = Summary(9, "big", "running", Counts(3000, 100, 4, 0, 1000), 60);
  job["tasks"] = json::array({json{{"name", "render"}, {"pool", "dr1"}, {"instances", instances}}});
  const std::string view = FormatJobView(job, kNow);
  EXPECT_THAT(view, HasSubstr("task render  pool dr1  3000 instances: 100 succeeded, 4 running, "
                              "1896 ready, 1000 waiting\n"));
  EXPECT_THAT(view,
              HasSubstr("  running  4 instances     #100-103\n"
                        "  ready    1896 instances  #104-1999     no live host has 8 cores free in "
                        "pool dr1 (largest "
                        "free: 4 on node2)\n"
                        "  waiting  500 instances   #2000-2998x2  waiting for signal hub/ready\n"
                        "  waiting  500 instances   #2001-2999x2  waiting for task sim\n"));
  EXPECT_THAT(view, Not(HasSubstr("node100")));
}

TEST(ClientOutputTest, ShowCutsLongRangeListsAtAComma) {
  json instances = json::array();
  for (int i = 0; i < 200; ++i) {
    // Every third instance is left out, so the ranges are many short pieces.
    if (i % 3 != 2) instances.push_back({{"index", i}, {"status", "waiting"}, {"why", "w"}});
  }
  json job = {{"id", 1}, {"tasks", json::array({{{"name", "t"}, {"instances", instances}}})}};
  const std::string view = FormatJobView(job, kNow);
  EXPECT_THAT(view, HasSubstr("  waiting  134 instances  #0-1,3-4,6-7,"));
  EXPECT_THAT(view, HasSubstr(",...  w\n"));
}

TEST(ClientOutputTest, MissingOrMistypedFieldsPrintEmptyAndNeverThrow) {
  json job = {{"id", "not a number"}, {"tasks", json::array({{{"instances", 5}}, 7})}};
  EXPECT_NO_THROW(FormatJobView(job, kNow));
  EXPECT_NO_THROW(FormatJobView(json(), kNow));
  EXPECT_NO_THROW(FormatJobTable(json::array({1, "x", nullptr}), kNow));
  EXPECT_NO_THROW(FormatHostTable(json::object(), kNow));
  EXPECT_NO_THROW(FormatEventLine(json::array()));
}

TEST(ClientOutputTest, HostTableShowsUseAgainstCapacity) {
  json hosts = json::parse(R"([
    {"name": "node1", "state": "alive", "cores": 8, "memory": 17179869184, "gpus": 0,
     "tags": ["linux"], "pools": [], "used": {"cores": 2, "memory": 1073741824, "gpus": 0},
     "running": 2, "last_heartbeat_us": 1763999999000000},
    {"name": "gpu-box", "state": "lost", "cores": 1.5, "memory": 0, "gpus": 2,
     "tags": [], "pools": ["dr1", "sim"], "used": {"cores": 0, "memory": 0, "gpus": 1},
     "running": 1, "last_heartbeat_us": 1763999880000000}])");
  EXPECT_EQ(FormatHostTable(hosts, kNow),
            "NAME     STATE  CORES  USED  MEMORY  GPUS  RUNNING  POOLS    TAGS   LAST-SEEN\n"
            "node1    alive  8      2     1G/16G  0/0   2        *        linux  1s\n"
            "gpu-box  lost   1.5    0     0/0     1/2   1        dr1,sim  -      2m\n");
}

class ClientOutputEventTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    old_tz_ = tz ? std::optional<std::string>(tz) : std::nullopt;
    setenv("TZ", "UTC", 1);
    tzset();
  }
  void TearDown() override {
    if (old_tz_) {
      setenv("TZ", old_tz_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  std::optional<std::string> old_tz_;
};

TEST_F(ClientOutputEventTest, TaskEventNamesTheInstanceFramesAttemptAndHost) {
  json e = json::parse(R"({"seq": 17, "ts_us": 1764000001123456, "type": "task.started",
    "job": "shot-010", "task": "render", "pool": "dr1", "instance": 3, "frames": "13-16",
    "attempt": 1, "host": "node1"})");
  EXPECT_EQ(FormatEventLine(e),
            "17 16:00:01.123 task.started shot-010 dr1/render #3 frames 13-16 attempt 1 on node1");
}

TEST_F(ClientOutputEventTest, ConfigChangesShowKeyAndValue) {
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 20, "ts_us": 1764000003000000,
    "type": "config.changed", "key": "policy", "value": "fairshare"})")),
            "20 16:00:03.000 config.changed policy=fairshare");
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 21, "ts_us": 1764000003000000,
    "type": "config.changed", "key": "exclude.pools", "value": ""})")),
            "21 16:00:03.000 config.changed exclude.pools=");
}

TEST_F(ClientOutputEventTest, ScheduleAndAlertEventsNameTheirSlotAndWatchdog) {
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 30, "ts_us": 1764000003000000, "type": "schedule.fired",
    "job": "nightly@2025-11-24T16:00:03Z", "job_id": 4, "schedule": "nightly", "slot": "2025-11-24T16:00:03Z"})")),
            "30 16:00:03.000 schedule.fired nightly@2025-11-24T16:00:03Z");
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 31, "ts_us": 1764000003000000, "type": "schedule.missed",
    "schedule": "nightly", "slot": "2025-11-24T15:00:00Z", "count": 3, "reason": "server down"})")),
            "31 16:00:03.000 schedule.missed nightly@2025-11-24T15:00:00Z (3 slots): server down");
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 32, "ts_us": 1764000003000000, "type": "alert.raised",
    "watchdog": "backup", "reason": "no job.succeeded since X"})")),
            "32 16:00:03.000 alert.raised backup: no job.succeeded since X");
}

TEST_F(ClientOutputEventTest, FailuresSkipsJobsAndSignalsReadNaturally) {
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 18, "ts_us": 1764000002000000,
    "type": "task.failed", "job": "j", "task": "t", "pool": "p", "instance": 0, "attempt": 2,
    "host": "h", "exit_code": 3, "reason": "exit code 3"})")),
            "18 16:00:02.000 task.failed j p/t #0 attempt 2 on h exit 3: exit code 3");
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 19, "ts_us": 1764000002000000,
    "type": "task.skipped", "job": "j", "task": "u", "pool": "p", "instance": 0,
    "reason": "t failed"})")),
            "19 16:00:02.000 task.skipped j p/u #0: t failed");
  EXPECT_EQ(FormatEventLine(json::parse(
                R"({"seq": 20, "ts_us": 1764000002000000, "type": "job.failed", "job": "j"})")),
            "20 16:00:02.000 job.failed j");
  EXPECT_EQ(FormatEventLine(json::parse(R"({"seq": 21, "ts_us": 1764000003000000,
    "type": "signal.posted", "signal": "hub/ready"})")),
            "21 16:00:03.000 signal.posted hub/ready");
}

TEST(ClientOutputTest, ConfigPrintsSortedKeyValueLines) {
  json config = {{"policy", "fairshare"}, {"queues.film.weight", "3"}, {"mode", "async"}, {"n", 4}};
  EXPECT_EQ(FormatConfig(config), "mode=async\nn=4\npolicy=fairshare\nqueues.film.weight=3\n");
}

TEST(ClientOutputSseTest, SplitsMessagesAcrossPiecesSkippingComments) {
  SseParser parser;
  std::vector<SseMessage> got;
  const std::string stream =
      ": keep-alive\n\nid: 1\ndata: {\"seq\": 1}\n\nid: 2\r\ndata: {\"seq\":\r\ndata: 2}\r\n\r\n"
      "id: 3\ndata: x\n";
  for (char c : stream) {  // one byte at a time: every boundary is a piece boundary
    for (SseMessage& m : parser.Feed(std::string_view(&c, 1))) got.push_back(std::move(m));
  }
  ASSERT_EQ(got.size(), 2u);  // the third message has no blank line yet
  EXPECT_EQ(got[0].id, "1");
  EXPECT_EQ(got[0].data, "{\"seq\": 1}");
  EXPECT_EQ(got[1].id, "2");
  EXPECT_EQ(got[1].data, "{\"seq\":\n2}");
  got = parser.Feed("\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, "x");
}

TEST(ClientOutputApiTest, RepliesMapToTheExitCodesOfTheContract) {
  auto reply = [](int status, std::string body) { return HttpReply{status, "", body}; };
  const std::string invalid =
      R"({"error": {"code": "invalid_spec", "message": "a.yaml:3: bad\na.yaml:4: worse"}})";
  Error e = ErrorFromReply(reply(400, invalid));
  EXPECT_EQ(e.message, "a.yaml:3: bad\na.yaml:4: worse");
  EXPECT_EQ(ExitCodeFor(e), 2);
  EXPECT_EQ(ExitCodeFor(ErrorFromReply(reply(413, "{}"))), 2);
  e = ErrorFromReply(reply(404, R"({"error": {"code": "not_found", "message": "x"}})"),
                     "no job 42");
  EXPECT_EQ(e.message, "no job 42");
  EXPECT_EQ(ExitCodeFor(e), 1);
  EXPECT_EQ(ExitCodeFor(ErrorFromReply(reply(409, "{}"))), 1);
  e = ErrorFromReply(reply(503, "<html>busy</html>\nmore"));
  EXPECT_EQ(e.message, "the server answered HTTP 503: <html>busy</html>");
  EXPECT_EQ(ExitCodeFor(e), 3);
  EXPECT_EQ(ExitCodeFor(ErrorFromReply(reply(405, ""))), 3);
  EXPECT_EQ(ExitCodeFor(TransportError(MakeError("unreachable", "cannot reach x"))), 3);
  EXPECT_THAT(TransportError(MakeError("unreachable", "cannot reach x")).message,
              HasSubstr("is `rota server` running? set --server or ROTA_SERVER"));
}

TEST(ClientOutputApiTest, PercentEncodesEverythingButUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("hub/ready"), "hub%2Fready");
  EXPECT_EQ(PercentEncode("shot 010&x=é"), "shot%20010%26x%3D%C3%A9");
  EXPECT_EQ(PercentEncode("a-b_c.d~9"), "a-b_c.d~9");
}

TEST(ClientOutputApiTest, TaskRefsTakeAnInstanceAndAPoolKey) {
  auto ref = [](const std::string& s) {
    std::optional<TaskRef> r = ParseTaskRef(s);
    return r ? r->task + "#" + std::to_string(r->instance) : std::string("none");
  };
  EXPECT_EQ(ref("render"), "render#0");
  EXPECT_EQ(ref("render/3"), "render#3");
  EXPECT_EQ(ref("dr1/render/3"), "render#3");
  EXPECT_EQ(ref("dr1/render"), "render#0");
  EXPECT_EQ(ref("42"), "42#0");
  EXPECT_EQ(ref(""), "none");
  EXPECT_EQ(ref("render/"), "none");
  EXPECT_EQ(ref("a/b/c/1"), "none");
}

TEST(ClientOutputApiTest, WaitEndsZeroOnlyWhenTheJobGotWhereItWasAwaited) {
  json job = Summary(42, "shot-010", "succeeded", Counts(2, 2, 0, 0), 5);
  EXPECT_EQ(JudgeWaitEnd(job, "done").exit_code, 0);
  EXPECT_EQ(JudgeWaitEnd(job, "done").line, "job 42 shot-010 succeeded: 2/2 succeeded");
  job["state"] = "failed";
  EXPECT_EQ(JudgeWaitEnd(job, "done").exit_code, 1);
  EXPECT_EQ(JudgeWaitEnd(job, "started").exit_code, 1);
  job["state"] = "running";
  EXPECT_EQ(JudgeWaitEnd(job, "started").exit_code, 0);
  job["state"] = "cancelled";
  EXPECT_EQ(JudgeWaitEnd(job, "done").exit_code, 1);
}

}  // namespace
}  // namespace rota
