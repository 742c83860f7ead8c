// The agent protocol's JSON (src/wire): the examples of docs/api.md decode, each message encoded by
// one side decodes on the other to the same values, bad bodies name the field at fault, and text
// that is not UTF-8 cannot make a message unreadable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json_text.h"
#include "wire/agent_codec.h"

namespace rota::wire {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(WireTest, DecodesTheWorkAnswerOfTheApiDocument) {
  Result<WorkAnswer> answer = DecodeWorkAnswer(R"({"assign": [{"run": 78, "epoch": 3,
      "job": "shot-010", "job_id": 42, "task": "render", "instance": 5, "attempt": 1,
      "frames": "81-96", "frame_start": 81, "frame_end": 96,
      "command": "render --frames {frames}", "shell": true, "argv": [],
      "env": {"RENDERER": "fast"}, "cwd": "/tmp"}],
      "signal": [{"run": 77, "epoch": 3, "signo": 15}]})");
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  ASSERT_EQ(answer->assign.size(), 1u);
  const Assignment& a = answer->assign[0];
  EXPECT_EQ(a.run, 78u);
  EXPECT_EQ(a.epoch, 3u);
  EXPECT_EQ(a.job_id, 42u);
  EXPECT_EQ(a.instance, 5);
  EXPECT_EQ(a.frames, "81-96");
  EXPECT_EQ(a.frame_end, 96);
  EXPECT_EQ(a.command, "render --frames {frames}");
  EXPECT_EQ(a.env.at("RENDERER"), "fast");
  EXPECT_EQ(a.cwd, "/tmp");
  ASSERT_EQ(answer->signal.size(), 1u);
  EXPECT_EQ(answer->signal[0].signo, 15);
  EXPECT_TRUE(answer->results.empty());
  EXPECT_EQ(DecodeWorkAnswer(R"({"assign": [{"epoch": 3}]})").error().code, "bad_reply");
  EXPECT_EQ(DecodeWorkAnswer("not json").error().code, "bad_reply");
}

TEST(WireTest, EncodesReportsWithExactlyTheDocumentedFields) {
  RunReport report;
  report.run = 78;
  report.epoch = 3;
  report.exit_code = 1;
  EXPECT_EQ(EncodeReports({&report, 1}),
            R"({"reports":[{"run":78,"epoch":3,"state":"exited","exit_code":1,"term_signal":0,)"
            R"("launch_failed":false,"error":""}]})");
  report.agent = "node1";
  report.lost = true;
  EXPECT_EQ(EncodeReport(report),
            R"({"epoch":3,"agent":"node1","state":"lost","exit_code":1,"term_signal":0,)"
            R"("launch_failed":false,"error":""})");
}

TEST(WireTest, WhatTheAgentSendsTheServerReadsBack) {
  Registration r;
  r.name = "node1";
  r.cores = 2.5;
  r.memory = int64_t{16} << 30;
  r.gpus = 1;
  r.tags = {"linux", "x"};
  r.pools = {"dr1"};
  r.running = {{77, 3}, {78, 4}};
  Result<Registration> back = DecodeRegistration(EncodeRegistration(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->name, "node1");
  EXPECT_EQ(back->cores, 2.5);
  EXPECT_EQ(back->memory, r.memory);
  EXPECT_EQ(back->gpus, 1);
  EXPECT_EQ(back->tags, r.tags);
  EXPECT_EQ(back->pools, r.pools);
  EXPECT_EQ(back->running, r.running);

  const std::vector<RunToken> running = {{5, 1}, {6, 1}};
  EXPECT_EQ(*DecodeHeartbeat(EncodeHeartbeat(running)), running);
  EXPECT_TRUE(DecodeHeartbeat("")->empty());

  RunReport lost;
  lost.run = 9;
  lost.epoch = 2;
  lost.lost = true;
  lost.exit_code = 137;
  lost.term_signal = 9;
  lost.error = "agent restarted";
  Result<std::vector<RunReport>> reports = DecodeReports(EncodeReports({&lost, 1}));
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].run, 9u);
  EXPECT_TRUE((*reports)[0].lost);
  EXPECT_EQ((*reports)[0].term_signal, 9);
  EXPECT_EQ((*reports)[0].error, "agent restarted");
  EXPECT_TRUE(DecodeReports("")->empty()) << "a request for work may carry no reports";
  lost.agent = "node1";
  Result<RunReport> one = DecodeReport(EncodeReport(lost), 9);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->agent, "node1");
  EXPECT_EQ(one->run, 9u);
}

TEST(WireTest, WhatTheServerAnswersTheAgentReadsBack) {
  EXPECT_EQ(DecodeRegisterAnswer(EncodeRegisterAnswer({"node1", 500ms, {{75, 3}}}))->kill,
            std::vector<RunToken>({{75, 3}}));
  EXPECT_EQ(DecodeRegisterAnswer(EncodeRegisterAnswer({"node1", 500ms, {}}))->heartbeat, 500ms);
  EXPECT_THAT(*DecodeKillList(EncodeKillList(std::vector<RunToken>{{1, 2}})), ElementsAre(RunToken{1, 2}));

  WorkAnswer work;
  work.results = {{78, true, "", ""}, {75, false, "stale_run", "run 75 has ended"}};
  Assignment a;
  a.run = 80;
  a.epoch = 3;
  a.job = "shot";
  a.job_id = 4;
  a.task = "render";
  a.frames = "1-4";
  a.frame_start = 1;
  a.frame_end = 4;
  a.command = "echo {frames}";
  a.env = {{"A", "b"}};
  Assignment leased = a;
  leased.run = 81;
  leased.pool = "render";
  leased.lease_epoch = 7;
  work.assign = {a, leased};
  work.signal = {{77, 3, 15}};
  Result<WorkAnswer> back = DecodeWorkAnswer(EncodeWorkAnswer(work));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->results.size(), 2u);
  EXPECT_TRUE(back->results[0].ok);
  EXPECT_EQ(back->results[1].error, "stale_run");
  EXPECT_EQ(back->results[1].message, "run 75 has ended");
  ASSERT_EQ(back->assign.size(), 2u);
  EXPECT_EQ(back->assign[0].command, "echo {frames}");
  EXPECT_EQ(back->assign[0].frame_start, 1);
  EXPECT_EQ(back->assign[0].env, a.env);
  EXPECT_EQ(back->assign[0].lease_epoch, 0u);  // one server: no lease fields at all
  EXPECT_EQ(EncodeWorkAnswer(WorkAnswer{{}, {a}, {}, {}}).find("lease_epoch"), std::string::npos);
  EXPECT_EQ(back->assign[1].pool, "render");
  EXPECT_EQ(back->assign[1].lease_epoch, 7u);
  ASSERT_EQ(back->signal.size(), 1u);
  EXPECT_EQ(back->signal[0].signo, 15);

  Result<std::vector<ReportResult>> results = DecodeReportResults(EncodeReportResults(work.results));
  ASSERT_TRUE(results.ok());
  EXPECT_EQ((*results)[1].error, "stale_run");
  EXPECT_EQ(DecodeReportResults("{}").error().code, "bad_reply");
}

TEST(WireTest, ABadBodyNamesTheFieldAtFault) {
  EXPECT_THAT(DecodeRegistration(R"({"name": "a", "cores": "8"})").error().message,
              HasSubstr("field \"cores\" must be a number from 0 to 1e+06"));
  EXPECT_THAT(DecodeRegistration(R"({"name": "..", "cores": 8})").error().message,
              HasSubstr("field \"name\""));
  EXPECT_THAT(DecodeRegistration(R"({"name": "a", "cores": 8, "running": [{"epoch": 1}]})").error().message,
              HasSubstr("missing field \"run\""));
  EXPECT_THAT(DecodeReports(R"({"reports": [{"run": 1, "state": "gone"}]})").error().message,
              HasSubstr("reports[0]: field \"state\" must be \"exited\" or \"lost\", not \"gone\""));
  EXPECT_THAT(DecodeReports(R"({"reports": [{"run": 1, "exit_code": 1.5}]})").error().message,
              HasSubstr("field \"exit_code\" must be an integer"));
  EXPECT_EQ(DecodeReports("[1]").error().code, "bad_request");
  EXPECT_EQ(DecodeHeartbeat(R"({"running": 3})").error().code, "bad_request");
}

TEST(WireTest, TextThatIsNotUtf8StillMakesAReadableMessage) {
  RunReport report;
  report.run = 1;
  report.error = std::string("cut \xE2\x82", 6) + " and \xFF here, \xC3\xA9 kept";
  Result<std::vector<RunReport>> back = DecodeReports(EncodeReports({&report, 1}));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ((*back)[0].error, "cut \xEF\xBF\xBD\xEF\xBF\xBD and \xEF\xBF\xBD here, \xC3\xA9 kept");
  std::string out;
  AppendJsonString("tab\there \"q\" \x01", out);
  EXPECT_EQ(out, R"("tab\there \"q\" \u0001")");
}

}  // namespace
}  // namespace rota::wire
