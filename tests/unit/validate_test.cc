#include "core/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/frame_set.h"

namespace rota {
namespace {

using ::testing::IsEmpty;

// Builds a JobSpec the way a parsed spec.yaml would look; each call after Task() is about the last
// task added.
class JobBuilder {
 public:
  JobBuilder() {
    job_.name = "shot";
    job_.source = "spec.yaml";
  }
  JobBuilder& Task(std::string name, int line) {
    TaskSpec task;
    task.name = std::move(name);
    task.line = line;
    task.argv = {"true"};
    job_.tasks.push_back(std::move(task));
    return *this;
  }
  JobBuilder& Requires(std::string task, int line, bool each = false) {
    return Add({.target = std::move(task), .frame_by_frame = each, .line = line});
  }
  JobBuilder& Signal(std::string key, int line) {
    return Add({.kind = Requirement::Kind::kSignal, .target = std::move(key), .line = line});
  }
  JobBuilder& OnJob(std::string name, int line) {
    return Add({.kind = Requirement::Kind::kJob, .target = std::move(name), .line = line});
  }
  JobBuilder& Posts(std::string key) {
    last().posts.push_back(std::move(key));
    return *this;
  }
  JobBuilder& Frames(std::string frames, int line, int chunk = 1) {
    last().frames = std::move(frames);
    last().frames_line = line;
    last().chunk = chunk;
    return *this;
  }
  JobBuilder& Gang(std::string pool) {
    last().gang = true;
    last().pool = std::move(pool);
    return *this;
  }
  JobBuilder& Pool(std::string name, int max_workers, int line) {
    job_.pools.push_back({.name = std::move(name), .max_workers = max_workers, .line = line});
    return *this;
  }
  JobSpec Build() const { return job_; }

 private:
  JobBuilder& Add(Requirement req) {
    last().requirements.push_back(std::move(req));
    return *this;
  }
  TaskSpec& last() { return job_.tasks.back(); }
  JobSpec job_;
};

ValidateOptions Options(std::vector<std::string> signals, bool local, int default_max_workers) {
  ValidateOptions options;
  options.given_signals = std::move(signals);
  options.local = local;
  options.default_max_workers = default_max_workers;
  return options;
}

// "code: message" for every error, to compare against a table in one go.
std::vector<std::string> Problems(const JobSpec& job, const ValidateOptions& options = {}) {
  std::vector<std::string> out;
  for (const Error& e : ValidateJob(job, options)) out.push_back(e.code + ": " + e.message);
  return out;
}

// Builder chains read one task per line, as the spec would.
// clang-format off
TEST(ValidateTest, AcceptsAGoodJob) {
  JobSpec job = JobBuilder()
                    .Pool("dr1", 2, 3)
                    .Task("fetch", 5).Posts("hub/ready")
                    .Task("sim", 7).Frames("1-10", 8)
                    .Task("render", 9).Frames("1-10x2", 10, 3).Gang("dr1")
                    .Requires("fetch", 11).Requires("sim", 12, /*each=*/true)
                    .Signal("hub/ready", 13)
                    .Build();
  EXPECT_THAT(Problems(job), IsEmpty());
}

struct RuleCase {
  const char* rule;
  JobSpec job;
  std::vector<std::string> problems;
  ValidateOptions options = {};
};

TEST(ValidateTest, OneMessagePerRule) {
  const RuleCase cases[] = {
      {"empty job", JobBuilder().Build(), {"empty_job: spec.yaml: job \"shot\" has no tasks"}},
      {"duplicate task",
       JobBuilder().Task("fetch", 4).Task("fetch", 6).Build(),
       {"duplicate_task: spec.yaml:6: duplicate task \"fetch\"; the first is at line 4"}},
      {"unknown dependency with a suggestion",
       JobBuilder().Task("fetch", 4).Task("render", 6).Requires("fech", 8).Build(),
       {"unknown_dependency: spec.yaml:8: render requires \"fech\", which is not a task of this "
        "job; did you mean \"fetch\"?"}},
      {"unknown dependency without one",
       JobBuilder().Task("render", 6).Requires("lighting", 0).Build(),
       {"unknown_dependency: spec.yaml:6: render requires \"lighting\", which is not a task of "
        "this job"}},
      {"self dependency",
       JobBuilder().Task("render", 6).Requires("render", 7).Build(),
       {"self_dependency: spec.yaml:7: render requires itself"}},
      {"cycle",
       JobBuilder().Task("a", 2).Requires("b", 3).Task("b", 4).Requires("c", 5)
           .Task("c", 6).Requires("a", 7).Build(),
       {"cycle: spec.yaml:2: cycle: a -> b -> c -> a"}},
      {"chunk below 1",
       JobBuilder().Task("render", 6).Frames("1-10", 7, 0).Build(),
       {"invalid_chunk: spec.yaml:6: render: chunk must be at least 1, got 0"}},
      {"dependent without frames",
       JobBuilder().Task("sim", 2).Frames("1-10", 3).Task("render", 4).Requires("sim", 5, true)
           .Build(),
       {"frames_mismatch: spec.yaml:5: render requires sim frame by frame, but render has no "
        "frames"}},
      {"dependency without frames",
       JobBuilder().Task("sim", 2).Task("render", 4).Frames("1-10", 5).Requires("sim", 6, true)
           .Build(),
       {"frames_mismatch: spec.yaml:6: render requires sim frame by frame, but sim has no "
        "frames"}},
      {"one frame missing",
       JobBuilder().Task("sim", 2).Frames("1-6", 3).Task("render", 4).Frames("2-7", 5)
           .Requires("sim", 6, true).Build(),
       {"frames_mismatch: spec.yaml:6: render requires sim frame by frame, but sim has no "
        "frame 7"}},
      {"several frames missing: the first is named",
       JobBuilder().Task("sim", 2).Frames("1-10x2", 3).Task("render", 4).Frames("1-10", 5)
           .Requires("sim", 6, true).Build(),
       {"frames_mismatch: spec.yaml:6: render requires sim frame by frame, but sim has no "
        "frame 2"}},
      {"gang larger than a listed pool",
       JobBuilder().Pool("dr1", 2, 3).Task("render", 6).Frames("1-10", 7, 4).Gang("dr1").Build(),
       {"gang_too_large: spec.yaml:6: render is a gang of 3 instances, but pool \"dr1\" runs at "
        "most 2 at once (max_workers)"}},
      {"gang larger than the default pool size",
       JobBuilder().Task("render", 6).Frames("1-8", 7).Gang("default").Build(),
       {"gang_too_large: spec.yaml:6: render is a gang of 8 instances, but pool \"default\" runs "
        "at most 4 at once (max_workers)"},
       Options({}, true, 4)},
      {"pool below 1",
       JobBuilder().Pool("hub", 0, 3).Task("a", 5).Build(),
       {"invalid_pool: spec.yaml:3: pool \"hub\" has max_workers 0; it must be at least 1"}},
      {"pool listed twice",
       JobBuilder().Pool("hub", 1, 3).Pool("hub", 2, 4).Task("a", 5).Build(),
       {"duplicate_pool: spec.yaml:4: pool \"hub\" is listed twice"}},
      {"signal nobody posts",
       JobBuilder().Task("render", 6).Signal("hub/ready", 9).Build(),
       {"unposted_signal: spec.yaml:9: render requires signal \"hub/ready\", which no task "
        "posts; pass --signal hub/ready to post it at start"}},
      {"job requirement in a local run",
       JobBuilder().Task("render", 6).OnJob("nightly-assets", 9).Build(),
       {"job_dependency_local: spec.yaml:9: render requires job \"nightly-assets\", but only a "
        "server knows other jobs; use rota submit instead of rota run"}},
  };
  for (const RuleCase& c : cases) {
    EXPECT_EQ(Problems(c.job, c.options), c.problems) << c.rule;
  }
}

TEST(ValidateTest, InvalidFramesCarryTheFrameSetMessage) {
  JobSpec job = JobBuilder().Task("render", 6).Frames("1-10x0", 7).Gang("default").Build();
  const std::string why = ParseFrameSet("1-10x0").error().message;
  EXPECT_EQ(Problems(job), std::vector<std::string>{"invalid_frames: spec.yaml:7: render: " + why});
}

TEST(ValidateTest, TooManyFramesInTheWholeJob) {
  JobSpec job = JobBuilder()
                    .Task("a", 2).Frames("1-6000000", 3)
                    .Task("b", 4).Frames("1-6000000", 5).Gang("default")
                    .Task("c", 6).Frames("nonsense", 7)  // not even parsed any more
                    .Build();
  EXPECT_EQ(Problems(job), std::vector<std::string>{
                               "too_many_frames: spec.yaml:5: the job has more than 10000000 "
                               "frames with those of b; split it into several jobs"});
}

TEST(ValidateTest, SignalsGivenOrPostedAndServerModeAreFine) {
  JobSpec job = JobBuilder()
                    .Task("ready", 2).Posts("hub/ready")
                    .Task("render", 6).Signal("hub/ready", 7).Signal("dr1/up", 8)
                    .OnJob("nightly", 9)
                    .Build();
  EXPECT_THAT(Problems(job, Options({"dr1/up"}, true, 1)),
              ::testing::ElementsAre(::testing::StartsWith("job_dependency_local:")));
  EXPECT_THAT(Problems(job, Options({}, false, 1)), IsEmpty());
}

TEST(ValidateTest, GangsThatFitAndPoolsListedLater) {
  JobSpec job = JobBuilder()
                    .Task("one", 2).Gang("tiny")                       // no frames: one instance
                    .Task("render", 4).Frames("1-8", 5, 2).Gang("dr1")  // 4 instances
                    .Pool("tiny", 1, 8).Pool("dr1", 4, 9)
                    .Build();
  EXPECT_THAT(Problems(job), IsEmpty());
}

TEST(ValidateTest, DependencyMayHaveMoreFramesThanTheDependent) {
  JobSpec job = JobBuilder()
                    .Task("sim", 2).Frames("1-100", 3)
                    .Task("render", 4).Frames("10-1", 5, 3).Requires("sim", 6, true)
                    .Build();
  EXPECT_THAT(Problems(job), IsEmpty());
}

TEST(ValidateTest, ReportsEveryProblemInOrder) {
  JobSpec job = JobBuilder()
                    .Pool("hub", -1, 3)
                    .Task("a", 5).Requires("b", 6).Requires("zzz", 7)
                    .Task("b", 8).Requires("a", 9).Frames("x", 10)
                    .Task("a", 11)
                    .Build();
  const std::string bad_frames = ParseFrameSet("x").error().message;
  EXPECT_EQ(Problems(job),
            (std::vector<std::string>{
                "invalid_pool: spec.yaml:3: pool \"hub\" has max_workers -1; it must be at least 1",
                "unknown_dependency: spec.yaml:7: a requires \"zzz\", which is not a task of this "
                "job",
                "invalid_frames: spec.yaml:10: b: " + bad_frames,
                "duplicate_task: spec.yaml:11: duplicate task \"a\"; the first is at line 5",
                "cycle: spec.yaml:5: cycle: a -> b -> a",
            }));
}

TEST(ValidateTest, MessagesWithoutSourceOrLines) {
  JobSpec job;
  job.name = "api";
  TaskSpec task;
  task.name = "t";
  task.requirements.push_back({.target = "t"});
  job.tasks.push_back(task);
  EXPECT_EQ(Problems(job), std::vector<std::string>{"self_dependency: t requires itself"});
}

// clang-format on

}  // namespace
}  // namespace rota
