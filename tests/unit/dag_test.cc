#include "core/dag.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A job from {task, {required tasks...}} pairs, in spec order.
JobSpec Job(std::initializer_list<std::pair<std::string, std::vector<std::string>>> tasks) {
  JobSpec job;
  job.name = "j";
  for (const auto& [name, required] : tasks) {
    TaskSpec task;
    task.name = name;
    for (const std::string& r : required) task.requirements.push_back(Requirement{.target = r});
    job.tasks.push_back(task);
  }
  return job;
}

std::vector<std::string> Names(const JobSpec& job, const std::vector<int>& order) {
  std::vector<std::string> names;
  for (int t : order) names.push_back(job.tasks[t].name);
  return names;
}

std::vector<std::string> Cycles(const JobSpec& job) {
  std::vector<std::string> out;
  for (const std::vector<int>& cycle : FindCycles(BuildTaskGraph(job))) {
    out.push_back(FormatCycle(job, cycle));
  }
  return out;
}

TEST(DagTest, BuildsEdgesBothWays) {
  JobSpec job = Job({{"fetch", {}}, {"prep", {"fetch"}}, {"render", {"fetch", "prep", "fetch"}}});
  TaskGraph graph = BuildTaskGraph(job);
  ASSERT_EQ(graph.size(), 3);
  EXPECT_THAT(graph.required[0], IsEmpty());
  EXPECT_THAT(graph.required[2], ElementsAre(0, 1));  // named twice, one edge
  EXPECT_THAT(graph.dependents[0], ElementsAre(1, 2));
  EXPECT_THAT(graph.dependents[1], ElementsAre(2));
}

TEST(DagTest, SkipsSignalsJobsAndUnknownTasks) {
  JobSpec job = Job({{"a", {"nope"}}});
  job.tasks[0].requirements.push_back({.kind = Requirement::Kind::kSignal, .target = "a"});
  job.tasks[0].requirements.push_back({.kind = Requirement::Kind::kJob, .target = "a"});
  EXPECT_THAT(BuildTaskGraph(job).required[0], IsEmpty());
}

TEST(DagTest, DuplicateNamesMeanTheFirstTask) {
  JobSpec job = Job({{"a", {}}, {"a", {}}, {"b", {"a"}}});
  EXPECT_THAT(BuildTaskGraph(job).required[2], ElementsAre(0));
}

TEST(DagTest, TopologicalOrderKeepsSpecOrderBetweenTies) {
  JobSpec job = Job({{"render", {"sim", "fetch"}},
                     {"sim", {"fetch"}},
                     {"notify", {}},
                     {"fetch", {}},
                     {"comp", {"render"}}});
  EXPECT_THAT(Names(job, TopologicalOrder(BuildTaskGraph(job))),
              ElementsAre("notify", "fetch", "sim", "render", "comp"));
}

TEST(DagTest, TopologicalOrderLeavesOutCyclesAndWhatFollowsThem) {
  JobSpec job = Job({{"a", {"b"}}, {"b", {"a"}}, {"c", {"a"}}, {"d", {}}});
  EXPECT_THAT(Names(job, TopologicalOrder(BuildTaskGraph(job))), ElementsAre("d"));
}

TEST(DagTest, NoCyclesInADag) {
  EXPECT_THAT(Cycles(Job({{"a", {}}, {"b", {"a"}}, {"c", {"a", "b"}}})), IsEmpty());
  EXPECT_THAT(Cycles(Job({})), IsEmpty());
}

TEST(DagTest, FindsEachCycleAsAPath) {
  struct Case {
    const char* what;
    JobSpec job;
    std::vector<std::string> cycles;
  };
  const Case cases[] = {
      {"two tasks", Job({{"a", {"b"}}, {"b", {"a"}}}), {"a -> b -> a"}},
      {"three tasks", Job({{"a", {"b"}}, {"b", {"c"}}, {"c", {"a"}}}), {"a -> b -> c -> a"}},
      {"starts at the earliest task",
       Job({{"x", {}}, {"c", {"a"}}, {"a", {"b"}}, {"b", {"c"}}}),
       {"c -> a -> b -> c"}},
      {"self", Job({{"a", {"a"}}}), {"a -> a"}},
      {"two separate rings",
       Job({{"a", {"b"}}, {"b", {"a"}}, {"c", {"d"}}, {"d", {"c"}}}),
       {"a -> b -> a", "c -> d -> c"}},
      {"shortest ring through the first task",
       Job({{"a", {"b", "c"}}, {"b", {"d"}}, {"d", {"a"}}, {"c", {"a"}}}),
       {"a -> c -> a"}},
      {"self loop inside a ring",
       Job({{"a", {"b"}}, {"b", {"a", "b"}}}),
       {"a -> b -> a", "b -> b"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Cycles(c.job), c.cycles) << c.what;
  }
}

TEST(DagTest, DeepChainsDoNotOverflowTheStack) {
  constexpr int kTasks = 100'000;
  JobSpec job;
  for (int i = 0; i < kTasks; ++i) {
    TaskSpec task;
    task.name = "t" + std::to_string(i);
    // Each task requires the next, and the last the first: one ring through every task.
    task.requirements.push_back({.target = "t" + std::to_string((i + 1) % kTasks)});
    job.tasks.push_back(std::move(task));
  }
  TaskGraph graph = BuildTaskGraph(job);
  EXPECT_THAT(TopologicalOrder(graph), IsEmpty());
  std::vector<std::vector<int>> cycles = FindCycles(graph);
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(cycles[0].size(), static_cast<size_t>(kTasks) + 1);
  EXPECT_EQ(cycles[0].front(), 0);
  EXPECT_EQ(cycles[0][1], 1);
}

}  // namespace
}  // namespace rota
