// The README's tour must work as written: its spec is run through the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/rota_process.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;

// The first ```yaml block of README.md.
std::string ReadmeSpec() {
  const std::string readme = ReadFile(std::filesystem::path(ROTA_SOURCE_DIR) / "README.md");
  const size_t start = readme.find("```yaml\n");
  if (start == std::string::npos) return "";
  const size_t body = start + 8;
  return readme.substr(body, readme.find("```", body) - body);
}

TEST(ReadmeTest, TheTourSpecRunsAsDescribed) {
  ScratchDir dir;
  const std::string spec = ReadmeSpec();
  ASSERT_FALSE(spec.empty()) << "README.md has no yaml block";
  WriteFile(dir / "spec.yaml", spec);
  Outcome o = RunRota(dir.path(), {"run", "spec.yaml", "--events", "events.jsonl"});
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(ReadFile(dir / ".rota/logs/hello/fetch/1.1.log"), "fetching part 5-8\n");
  EXPECT_EQ(Summaries(ReadEvents(dir / "events.jsonl")).back(), "job.succeeded");
  Outcome frames = RunRota(dir.path(), {"frames", "1-10", "--chunk", "4"});
  EXPECT_EQ(frames.out, "1-4\n5-8\n9-10\n");
  Outcome stop = RunRota(dir.path(), {"stop", "spec.yaml"});
  EXPECT_EQ(stop.exit_code, 0);
  EXPECT_EQ(ReadFile(dir / ".rota/logs/stop/hello/build/0.1.log"), "cleaning up\n");
  Outcome graph = RunRota(dir.path(), {"graph", "spec.yaml"});
  EXPECT_THAT(graph.out, HasSubstr("\"task:fetch\" -> \"task:build\""));
}

}  // namespace
}  // namespace rota::testing
