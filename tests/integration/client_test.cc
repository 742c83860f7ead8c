// The client verbs, `rota server` and `rota agent` through the real binary, in what needs no
// server: an unreachable server, help, and flags refused before anything is contacted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/rota_process.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Nothing listens on port 1: connecting is refused at once.
constexpr const char* kClosed = "http://127.0.0.1:1";

const std::vector<std::vector<std::string>> kClientVerbs = {
    {"submit", "spec.yaml"},
    {"jobs"},
    {"show", "42"},
    {"cancel", "shot-010"},
    {"wait", "42"},
    {"logs", "42", "render/3"},
    {"events"},
    {"events", "--follow"},
    {"signal", "hub/ready"},
    {"hosts"},
    {"config", "get"},
    {"config", "set", "policy", "fifo"},
};

TEST(ClientTest, AnUnreachableServerExitsThreeNamingTheAddressAndTheWayOut) {
  ScratchDir dir;
  WriteFile(dir / "spec.yaml", "name: j\ntasks:\n  - {name: a, command: \"true\"}\n");
  for (std::vector<std::string> args : kClientVerbs) {
    args.push_back("--server");
    args.push_back(kClosed);
    Outcome o = RunRota(dir.path(), args);
    EXPECT_EQ(o.exit_code, 3) << args[0] << ": " << o.err;
    EXPECT_THAT(o.err, StartsWith("error: cannot reach http://127.0.0.1:1")) << args[0];
    EXPECT_THAT(o.err, HasSubstr("(is `rota server` running? set --server or ROTA_SERVER)"))
        << args[0];
    EXPECT_EQ(o.out, "") << args[0];
  }
}

TEST(ClientTest, RotaServerInTheEnvironmentIsUsedWithoutServerFlag) {
  ScratchDir dir;
  setenv("ROTA_SERVER", kClosed, 1);
  Outcome o = RunRota(dir.path(), {"jobs"});
  unsetenv("ROTA_SERVER");
  EXPECT_EQ(o.exit_code, 3) << o.err;
  EXPECT_THAT(o.err, HasSubstr("cannot reach http://127.0.0.1:1"));
}

TEST(ClientTest, AMalformedServerAddressIsAUsageError) {
  ScratchDir dir;
  Outcome o = RunRota(dir.path(), {"jobs", "--server", "http://127.0.0.1:99999"});
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_THAT(o.err, StartsWith("error: --server: "));
}

TEST(ClientTest, EveryVerbHasHelpWithAnExample) {
  ScratchDir dir;
  const std::vector<std::vector<std::string>> verbs = {
      {"server"}, {"agent"},  {"submit"},        {"jobs"},         {"show"},
      {"cancel"}, {"wait"},   {"logs"},          {"events"},       {"signal"},
      {"hosts"},  {"config"}, {"config", "get"}, {"config", "set"}};
  for (std::vector<std::string> args : verbs) {
    args.push_back("--help");
    Outcome o = RunRota(dir.path(), args);
    EXPECT_EQ(o.exit_code, 0) << args[0];
    EXPECT_THAT(o.out, HasSubstr("Example")) << args[0] << " " << args[1];
  }
  Outcome o = RunRota(dir.path(), {"submit", "--help"});
  EXPECT_THAT(o.out, HasSubstr("--wait"));
  EXPECT_THAT(o.out, HasSubstr("ROTA_SERVER"));
}

TEST(ClientTest, BadFlagsExitTwoBeforeAnythingIsContacted) {
  ScratchDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"agent", "--memory", "12Q", "--server", kClosed}, "error: --memory: "},
      {{"agent", "--cores", "-1", "--server", kClosed}, "error: "},
      {{"server", "--heartbeat-timeout", "soon"}, "error: --heartbeat-timeout: "},
      {{"server", "--heartbeat-timeout", "0s"}, "error: --heartbeat-timeout: must be more than 0s"},
      {{"server", "--max-body", "lots"}, "error: --max-body: "},
      {{"wait", "42", "--timeout", "soon", "--server", kClosed}, "error: --timeout: "},
      {{"wait", "42", "--until", "finished", "--server", kClosed}, "error: "},
      {{"jobs", "--state", "sleeping", "--server", kClosed}, "error: "},
      {{"logs", "42", "a/b/c/1", "--server", kClosed},
       "error: TASK must be TASK, TASK/N or POOL/TASK/N, got \"a/b/c/1\""},
      {{"submit", "missing.yaml", "--server", kClosed}, "error: cannot read missing.yaml"},
      {{"config", "set", "policy"}, "error: "},
      {{"show"}, "error: "},
  };
  for (const Case& c : cases) {
    Outcome o = RunRota(dir.path(), c.args);
    EXPECT_EQ(o.exit_code, 2) << c.args[0] << " " << c.args[1] << ": " << o.err;
    EXPECT_THAT(o.err, StartsWith(c.err)) << c.args[0] << " " << c.args[1];
  }
}

}  // namespace
}  // namespace rota::testing
