// ParseSpec on good specs: every field of DESIGN section 2 lands in the model, YAML and JSON alike.
// The error messages are in spec_errors_test.cc.
#include "spec/spec_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/validate.h"

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using namespace std::chrono_literals;

std::vector<std::string> Messages(const ParsedSpec& spec) {
  std::vector<std::string> out;
  for (const Error& e : spec.errors) out.push_back(e.message);
  return out;
}

constexpr const char* kFullSpec = R"(name: shot-010
queue: film
priority: 70
labels: {show: demo, seq: "010"}
on_failure: continue
pools:
  hub: {max_workers: 2}
  dr1: {max_workers: 1}
defaults: {pool: hub, timeout: 10m, retries: 1, env: {A: "1"}, resources: {memory: 1G}}
tasks:
  - name: fetch
    command: "echo fetching"
  - name: ready
    command: ["true"]
    posts: ["hub/ready"]
  - name: render
    pool: dr1
    frames: "1-100x5"
    chunk: 4
    command: "render --frames {frames}"
    requires:
      - fetch
      - {task: prep, on: any}
      - {task: sim, frames: each}
      - {signal: "hub/ready"}
      - {job: nightly-assets}
    resources: {cores: 1.5, memory: 512M, gpus: 1, tags: [linux, gpu]}
    gang: true
    timeout: 30m
    retries: 2
    retry_delay: 5s
    env: {RENDERER: fast}
    cwd: /tmp
    stop: "echo teardown"
)";

TEST(SpecParserTest, ReadsEveryField) {
  ParsedSpec spec = ParseSpec(kFullSpec, "spec.yaml");
  ASSERT_THAT(Messages(spec), IsEmpty());
  const JobSpec& job = spec.job;
  EXPECT_EQ(job.name, "shot-010");
  EXPECT_EQ(job.queue, "film");
  EXPECT_EQ(job.priority, 70);
  EXPECT_THAT(job.labels, ElementsAre(Pair("seq", "010"), Pair("show", "demo")));
  EXPECT_EQ(job.on_failure, FailurePolicy::kContinue);
  EXPECT_EQ(job.source, "spec.yaml");
  ASSERT_EQ(job.pools.size(), 2u);
  EXPECT_EQ(job.pools[0].name, "hub");
  EXPECT_EQ(job.pools[0].max_workers, 2);
  EXPECT_EQ(job.pools[0].line, 7);
  EXPECT_EQ(job.pools[1].name, "dr1");
  EXPECT_EQ(job.pools[1].max_workers, 1);
  ASSERT_EQ(job.tasks.size(), 3u);

  const TaskSpec& fetch = job.tasks[0];
  EXPECT_EQ(fetch.name, "fetch");
  EXPECT_EQ(fetch.line, 11);
  EXPECT_TRUE(fetch.shell);
  EXPECT_THAT(fetch.argv, ElementsAre("echo fetching"));
  EXPECT_EQ(fetch.pool, "hub");  // from defaults
  EXPECT_EQ(fetch.timeout, Duration(10min));
  EXPECT_EQ(fetch.retries, 1);
  EXPECT_EQ(fetch.retry_delay, Duration(1s));
  EXPECT_EQ(fetch.resources.memory_bytes, int64_t{1} << 30);
  EXPECT_EQ(fetch.resources.cores, 1);
  EXPECT_THAT(fetch.env, ElementsAre(Pair("A", "1")));
  EXPECT_TRUE(fetch.frames.empty());
  EXPECT_EQ(fetch.chunk, 1);
  EXPECT_FALSE(fetch.gang);

  const TaskSpec& ready = job.tasks[1];
  EXPECT_FALSE(ready.shell);
  EXPECT_THAT(ready.argv, ElementsAre("true"));
  EXPECT_THAT(ready.posts, ElementsAre("hub/ready"));

  const TaskSpec& render = job.tasks[2];
  EXPECT_EQ(render.line, 16);
  EXPECT_EQ(render.pool, "dr1");
  EXPECT_EQ(render.frames, "1-100x5");
  EXPECT_EQ(render.frames_line, 18);
  EXPECT_EQ(render.chunk, 4);
  EXPECT_THAT(render.argv, ElementsAre("render --frames {frames}"));
  ASSERT_EQ(render.requirements.size(), 5u);
  const std::vector<Requirement>& reqs = render.requirements;
  EXPECT_EQ(reqs[0].kind, Requirement::Kind::kTask);
  EXPECT_EQ(reqs[0].target, "fetch");
  EXPECT_EQ(reqs[0].on, DepOn::kSuccess);
  EXPECT_FALSE(reqs[0].frame_by_frame);
  EXPECT_EQ(reqs[0].line, 22);
  EXPECT_EQ(reqs[1].target, "prep");
  EXPECT_EQ(reqs[1].on, DepOn::kAny);
  EXPECT_EQ(reqs[1].line, 23);
  EXPECT_EQ(reqs[2].target, "sim");
  EXPECT_TRUE(reqs[2].frame_by_frame);
  EXPECT_EQ(reqs[3].kind, Requirement::Kind::kSignal);
  EXPECT_EQ(reqs[3].target, "hub/ready");
  EXPECT_EQ(reqs[4].kind, Requirement::Kind::kJob);
  EXPECT_EQ(reqs[4].target, "nightly-assets");
  EXPECT_EQ(reqs[4].line, 26);
  EXPECT_EQ(render.resources.cores, 1.5);
  EXPECT_EQ(render.resources.memory_bytes, int64_t{512} << 20);
  EXPECT_EQ(render.resources.gpus, 1);
  EXPECT_THAT(render.resources.tags, ElementsAre("linux", "gpu"));
  EXPECT_TRUE(render.gang);
  EXPECT_EQ(render.timeout, Duration(30min));
  EXPECT_EQ(render.retries, 2);
  EXPECT_EQ(render.retry_delay, Duration(5s));
  EXPECT_THAT(render.env, ElementsAre(Pair("A", "1"), Pair("RENDERER", "fast")));  // merged
  EXPECT_EQ(render.cwd, "/tmp");
  EXPECT_EQ(render.stop, "echo teardown");
}

TEST(SpecParserTest, MinimalSpecGetsTheDefaults) {
  ParsedSpec spec = ParseSpec("name: j\ntasks:\n  - {name: a, command: [ls, -l, \"\"]}\n", "");
  ASSERT_THAT(Messages(spec), IsEmpty());
  const JobSpec& job = spec.job;
  EXPECT_EQ(job.queue, "default");
  EXPECT_EQ(job.priority, 50);
  EXPECT_EQ(job.on_failure, FailurePolicy::kStop);
  EXPECT_THAT(job.pools, IsEmpty());
  ASSERT_EQ(job.tasks.size(), 1u);
  const TaskSpec& a = job.tasks[0];
  EXPECT_EQ(a.pool, "default");
  EXPECT_FALSE(a.shell);
  EXPECT_THAT(a.argv, ElementsAre("ls", "-l", ""));
  EXPECT_EQ(a.timeout, std::nullopt);
  EXPECT_EQ(a.retries, 0);
  EXPECT_EQ(a.retry_delay, Duration(1s));
  EXPECT_EQ(a.resources.cores, 1);
  EXPECT_EQ(a.resources.memory_bytes, 0);
}

TEST(SpecParserTest, ReadsJson) {
  constexpr const char* kJson = R"({
	"name": "shot-010",
	"priority": 10,
	"pools": {"dr1": {"max_workers": 3}},
	"tasks": [
		{"name": "sim", "command": "sim", "frames": 7},
		{"name": "render", "command": ["render", "-v"], "frames": "1-7", "chunk": 2,
		 "requires": ["sim", {"task": "sim", "frames": "each", "on": "failure"}],
		 "gang": false, "env": {"N": 5}}
	]
})";
  ParsedSpec spec = ParseSpec(kJson, "spec.json");
  ASSERT_THAT(Messages(spec), IsEmpty());
  const JobSpec& job = spec.job;
  EXPECT_EQ(job.priority, 10);
  ASSERT_EQ(job.tasks.size(), 2u);
  EXPECT_EQ(job.tasks[0].frames, "7");
  EXPECT_EQ(job.tasks[1].line, 7);
  EXPECT_THAT(job.tasks[1].argv, ElementsAre("render", "-v"));
  ASSERT_EQ(job.tasks[1].requirements.size(), 2u);
  EXPECT_EQ(job.tasks[1].requirements[1].on, DepOn::kFailure);
  EXPECT_TRUE(job.tasks[1].requirements[1].frame_by_frame);
  EXPECT_EQ(job.tasks[1].requirements[1].line, 8);
  EXPECT_THAT(job.tasks[1].env, ElementsAre(Pair("N", "5")));
}

TEST(SpecParserTest, DefaultsMayComeAfterTasksAndMerge) {
  constexpr const char* kSpec = R"(name: j
tasks:
  - name: a
    command: x
    resources: {cores: 4}
    env: {B: b}
  - name: b
    command: y
    env: {A: mine}
    retries: 0
defaults:
  retries: 3
  chunk: 2
  gang: yes
  env: {A: a}
  resources: {memory: 2G, tags: [linux]}
)";
  ParsedSpec spec = ParseSpec(kSpec, "spec.yaml");
  ASSERT_THAT(Messages(spec), IsEmpty());
  const TaskSpec& a = spec.job.tasks[0];
  EXPECT_EQ(a.resources.cores, 4);
  EXPECT_EQ(a.resources.memory_bytes, int64_t{2} << 30);
  EXPECT_THAT(a.resources.tags, ElementsAre("linux"));
  EXPECT_THAT(a.env, ElementsAre(Pair("A", "a"), Pair("B", "b")));
  EXPECT_EQ(a.retries, 3);
  EXPECT_EQ(a.chunk, 2);
  EXPECT_TRUE(a.gang);
  const TaskSpec& b = spec.job.tasks[1];
  EXPECT_THAT(b.env, ElementsAre(Pair("A", "mine")));
  EXPECT_EQ(b.retries, 0);
}

TEST(SpecParserTest, SingleValuesStandForListsAndNullsForNothing) {
  constexpr const char* kSpec = R"(name: j
labels:
pools:
tasks:
  - name: a
    command: x
    posts: hub/ready
    requires: b
    env:
  - name: b
    command: y
    env: {EMPTY: "", NOTHING: }
)";
  ParsedSpec spec = ParseSpec(kSpec, "spec.yaml");
  ASSERT_THAT(Messages(spec), IsEmpty());
  EXPECT_THAT(spec.job.tasks[0].posts, ElementsAre("hub/ready"));
  ASSERT_EQ(spec.job.tasks[0].requirements.size(), 1u);
  EXPECT_EQ(spec.job.tasks[0].requirements[0].target, "b");
  EXPECT_THAT(spec.job.tasks[1].env, ElementsAre(Pair("EMPTY", ""), Pair("NOTHING", "")));
}

TEST(SpecParserTest, AliasesAreFollowed) {
  constexpr const char* kSpec = R"(name: j
tasks:
  - name: a
    command: x
    env: &common {HOME: /tmp, LANG: C}
  - name: b
    command: y
    env: *common
)";
  ParsedSpec spec = ParseSpec(kSpec, "spec.yaml");
  ASSERT_THAT(Messages(spec), IsEmpty());
  EXPECT_EQ(spec.job.tasks[1].env, spec.job.tasks[0].env);
}

TEST(SpecParserTest, FuzzSeedsAreGoodSpecs) {
  for (const char* name : {"full.yaml", "minimal.yaml", "aliases.yaml", "spec.json"}) {
    std::ifstream in(std::string(ROTA_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_spec/" + name);
    std::stringstream text;
    text << in.rdbuf();
    ParsedSpec spec = ParseSpec(text.str(), name);
    EXPECT_THAT(Messages(spec), IsEmpty()) << name;
    ValidateOptions server;
    server.local = false;
    EXPECT_TRUE(ValidateJob(spec.job, server).empty()) << name;
  }
}

}  // namespace
}  // namespace rota
