// Bad input against a real server (issue 3): each bad request gets its answer (400, 404, 405, 413)
// or is dropped, and the server keeps serving everyone else.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "support/farm.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;

int Connect(const std::string& url) {
  const ServerUrl u = *ParseServerUrl(url);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(u.port);
  inet_pton(AF_INET, u.host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class ApiInputTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(farm_.StartServer()); }
  // The server still answers a normal request.
  void ExpectHealthy() {
    HttpReply r = farm_.Http("GET", "/healthz", {}, std::chrono::seconds(2));
    EXPECT_EQ(r.status, 200);
  }
  Farm farm_;
};

TEST_F(ApiInputTest, MalformedSpecsAre400WithTheProblemAndItsLine) {
  HttpReply yaml = farm_.Http("POST", "/v1/jobs?source=bad.yaml", "name: x\ntasks:\n  - name: [oops\n");
  EXPECT_EQ(yaml.status, 400);
  EXPECT_THAT(yaml.body, HasSubstr("invalid_spec"));
  EXPECT_THAT(yaml.body, HasSubstr("bad.yaml:"));
  HttpReply json = farm_.Http("POST", "/v1/jobs", R"({"name": "x", "tasks": [{"name": "a", "command": "true", "requires": ["nope"]}]})");
  EXPECT_EQ(json.status, 400);
  EXPECT_THAT(json.body, HasSubstr(R"(a requires \"nope\", which is not a task of this job)"));
  HttpReply types = farm_.Http("POST", "/v1/jobs", R"({"name": "x", "priority": "high", "tasks": [{"name": "a", "command": "true"}]})");
  EXPECT_EQ(types.status, 400);
  EXPECT_THAT(types.body, HasSubstr("priority"));
  ExpectHealthy();
  EXPECT_EQ(farm_.GetJson("/v1/jobs")["jobs"].size(), 0u) << "a rejected job was accepted";
}

TEST_F(ApiInputTest, MalformedAgentBodiesAre400NamingTheField) {
  HttpReply not_json = farm_.Http("POST", "/v1/agents/register", "{\"name\": ");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_THAT(not_json.body, HasSubstr("not valid JSON"));
  HttpReply wrong = farm_.Http("POST", "/v1/agents/register", R"({"name": "n1", "cores": "eight"})");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_THAT(wrong.body, HasSubstr("cores"));
  for (const char* name : {"..", ".", "a/b", ""}) {   // names become path components
    HttpReply bad = farm_.Http("POST", "/v1/agents/register", std::string(R"({"name": ")") + name + R"(", "cores": 1})");
    EXPECT_EQ(bad.status, 400) << name;
    EXPECT_THAT(bad.body, HasSubstr("name")) << name;
  }
  HttpReply reports = farm_.Http("POST", "/v1/agents/n1/status", R"({"reports": [{"run": -4}]})");
  EXPECT_EQ(reports.status, 400);
  EXPECT_THAT(reports.body, HasSubstr("reports[0]"));
  HttpReply config = farm_.Http("PUT", "/v1/config", R"({"policy": ["fifo"]})");
  EXPECT_EQ(config.status, 400);
  ExpectHealthy();
}

TEST_F(ApiInputTest, AGangInAPoolTheJobDoesNotListIsAccepted) {
  // On a server an unlisted pool has no cap of its own (its hosts are the limit), so a gang of
  // four fits it; `rota run` would give such a pool the CPU count instead.
  HttpReply gang = farm_.Http("POST", "/v1/jobs",
                              "name: g\ntasks: [{name: t, command: 'true', frames: 1-4, gang: true}]\n");
  EXPECT_EQ(gang.status, 201) << gang.body;
  HttpReply capped = farm_.Http("POST", "/v1/jobs",
                                "name: c\npools: {default: {max_workers: 2}}\n"
                                "tasks: [{name: t, command: 'true', frames: 1-4, gang: true}]\n");
  EXPECT_EQ(capped.status, 400) << "a listed cap still holds";
  EXPECT_THAT(capped.body, HasSubstr("gang"));
}

TEST_F(ApiInputTest, UnknownIdsAre404AndWrongMethods405) {
  HttpReply job = farm_.Http("GET", "/v1/jobs/999");
  EXPECT_EQ(job.status, 404);
  EXPECT_THAT(job.body, HasSubstr("no job 999"));
  EXPECT_EQ(farm_.Http("POST", "/v1/jobs/nosuch/cancel").status, 404);
  EXPECT_EQ(farm_.Http("GET", "/v1/jobs/nosuch/wait?timeout=1s").status, 404);
  EXPECT_EQ(farm_.Http("POST", "/v1/runs/77/status", R"({"epoch": 1, "agent": "x", "state": "exited"})").status, 409);
  EXPECT_EQ(farm_.Http("POST", "/v1/agents/nobody/heartbeat", "{}").status, 404);
  EXPECT_EQ(farm_.Http("GET", "/v1/nothing").status, 404);
  HttpReply del = farm_.Http("DELETE", "/v1/jobs");
  EXPECT_EQ(del.status, 405);
  EXPECT_THAT(del.body, HasSubstr("method_not_allowed"));
  EXPECT_EQ(farm_.Http("GET", "/v1/jobs/1/cancel").status, 405);
  EXPECT_EQ(farm_.Http("POST", "/v1/hosts").status, 405);
  ExpectHealthy();
}

TEST_F(ApiInputTest, AHundredMegabyteBodyIs413AndNothingIsRead) {
  int fd = Connect(farm_.url());
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: 104857600\r\n\r\n";
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string chunk(64 << 10, 'a');
  send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[4096];
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, n);
  close(fd);
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 413"));
  EXPECT_THAT(reply, HasSubstr("too_large"));
  ExpectHealthy();
}

TEST_F(ApiInputTest, FiveHundredSilentConnectionsDoNotStopOthers) {
  std::vector<int> idle;
  for (int i = 0; i < 500; ++i) {
    int fd = Connect(farm_.url());
    ASSERT_GE(fd, 0) << "connection " << i;
    idle.push_back(fd);
  }
  const auto start = std::chrono::steady_clock::now();
  ExpectHealthy();
  const uint64_t id = farm_.Submit("ok.yaml", "name: ok\ntasks: [{name: t, command: 'true'}]\n");
  EXPECT_GT(id, 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  for (int fd : idle) close(fd);
  ExpectHealthy();
}

TEST_F(ApiInputTest, AClientThatLeavesMidLongPollDoesNotHurtTheServer) {
  const uint64_t id = farm_.Submit("hold.yaml", "name: hold\ntasks: [{name: t, command: 'true'}]\n");
  ASSERT_GT(id, 0u);   // no agent: it waits
  for (int i = 0; i < 20; ++i) {
    int fd = Connect(farm_.url());
    ASSERT_GE(fd, 0);
    const std::string req = "GET /v1/jobs/" + std::to_string(id) + "/wait?timeout=1s HTTP/1.1\r\nHost: x\r\n\r\n";
    send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    close(fd);   // gone before the answer
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));   // the waits expire with no one to answer
  ExpectHealthy();
  HttpReply wait = farm_.Http("GET", "/v1/jobs/" + std::to_string(id) + "/wait?until=started&timeout=200ms");
  EXPECT_EQ(wait.status, 200);
  EXPECT_THAT(wait.body, HasSubstr(R"("reached":false)"));
}

}  // namespace
}  // namespace rota::testing
