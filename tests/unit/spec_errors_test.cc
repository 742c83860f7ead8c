// ParseSpec's error messages, word for word: each starts with "file:line: " and names the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/units.h"
#include "spec/spec_parser.h"

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Problems(std::string_view text) {
  std::vector<std::string> out;
  for (const Error& e : ParseSpec(text, "spec.yaml").errors)
    out.push_back(e.code + ": " + e.message);
  return out;
}

struct ErrorCase {
  const char* text;
  std::vector<std::string> problems;
};

// A job around one task's body, which starts on line 4.
std::string Task(const std::string& body) { return "name: j\ntasks:\n  - name: t\n" + body; }

TEST(SpecErrorsTest, WholeDocument) {
  const ErrorCase cases[] = {
      {"", {"empty_spec: spec.yaml: the spec is empty; it needs at least a name and tasks"}},
      {"# nothing\n",
       {"empty_spec: spec.yaml: the spec is empty; it needs at least a name and tasks"}},
      {"- a\n- b\n",
       {"invalid_type: spec.yaml:1: the spec must be a map with a name and tasks, got a list"}},
      {"just text",
       {"invalid_type: spec.yaml:1: the spec must be a map with a name and tasks, got "
        "\"just text\""}},
      {"name: j\ntasks: [\n",
       {"invalid_yaml: spec.yaml:3: invalid YAML: end of sequence flow not "
        "found"}},
      {"tasks: []\n", {"missing_field: spec.yaml:1: the job has no \"name\""}},
      {"name: j\ntask: []\n",
       {"unknown_field: spec.yaml:2: unknown field \"task\" in the job; did you mean \"tasks\"?"}},
      {"name: j\nname: k\n",
       {"duplicate_field: spec.yaml:2: field \"name\" is given twice in the job"}},
      {"name: a b\n",
       {"invalid_name: spec.yaml:1: job name \"a b\" must be 1 to 128 letters, "
        "digits, \".\", \"_\" or \"-\", and not \".\" or \"..\""}},
      {"name: j\nqueue: a.b\n",
       {"invalid_name: spec.yaml:2: queue name \"a.b\" must be 1 to 128 "
        "letters, digits, \"_\" or \"-\""}},
      {"name: j\npriority: 2000\n",
       {"invalid_value: spec.yaml:2: \"priority\" must be between 0 and 1000, got 2000"}},
      {"name: j\npriority: high\n",
       {"invalid_type: spec.yaml:2: \"priority\" must be an integer, got \"high\""}},
      {"name: j\non_failure: stpo\n",
       {"invalid_value: spec.yaml:2: \"on_failure\" must be stop or continue, got \"stpo\"; did "
        "you mean \"stop\"?"}},
      {"name: j\nlabels: [a]\n",
       {"invalid_type: spec.yaml:2: \"labels\" must be a map of names to text, got a list"}},
      {"name: j\ntasks: {a: 1}\n",
       {"invalid_type: spec.yaml:2: \"tasks\" must be a list of tasks, got a map"}},
      {"name: j\ntasks:\n  - fetch\n",
       {"invalid_type: spec.yaml:3: task 1 must be a map with a name and a command, got "
        "\"fetch\""}},
      {"name: j\ntasks:\n  - {command: x}\n  - {name: b}\n",
       {"missing_field: spec.yaml:3: task 1 has no \"name\"",
        "missing_field: spec.yaml:4: task \"b\" has no \"command\""}},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(Problems(c.text), c.problems) << c.text;
}

TEST(SpecErrorsTest, Pools) {
  const ErrorCase cases[] = {
      {"name: j\npools: [hub]\n",
       {"invalid_type: spec.yaml:2: \"pools\" must be a map of pool "
        "names to {max_workers: N}, got a list"}},
      {"name: j\npools:\n  hub: 2\n",
       {"invalid_type: spec.yaml:3: pool \"hub\" must be a map "
        "like {max_workers: 2}, got \"2\""}},
      {"name: j\npools:\n  hub: {}\n",
       {"missing_field: spec.yaml:3: pool \"hub\" has no \"max_workers\""}},
      {"name: j\npools:\n  hub: {max_worker: 2}\n",
       {"unknown_field: spec.yaml:3: unknown field \"max_worker\" in pool \"hub\"; did you mean "
        "\"max_workers\"?",
        "missing_field: spec.yaml:3: pool \"hub\" has no \"max_workers\""}},
      {"name: j\npools:\n  a/b: {max_workers: 2}\n",
       {"invalid_name: spec.yaml:3: pool name \"a/b\" must be 1 to 128 letters, digits, \"_\" or "
        "\"-\""}},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(Problems(c.text), c.problems) << c.text;
}

TEST(SpecErrorsTest, TaskFields) {
  const ErrorCase cases[] = {
      {"    comand: x\n",
       {"missing_field: spec.yaml:3: task \"t\" has no \"command\"",
        "unknown_field: spec.yaml:4: unknown field \"comand\" in task \"t\"; "
        "did you mean \"command\"?"}},
      {"    command: x\n    retries: two\n",
       {"invalid_type: spec.yaml:5: \"retries\" must be an integer, got \"two\""}},
      {"    command: x\n    retries: 1001\n",
       {"invalid_value: spec.yaml:5: \"retries\" must be between 0 and 1000, got 1001"}},
      {"    command: {a: b}\n",
       {"invalid_type: spec.yaml:4: \"command\" must be text or a list of "
        "arguments, got a map"}},
      {"    command: []\n", {"invalid_value: spec.yaml:4: \"command\" must not be empty"}},
      {"    command: \"\"\n", {"invalid_value: spec.yaml:4: \"command\" must not be empty"}},
      {"    command: [\"\", x]\n",
       {"invalid_value: spec.yaml:4: each argument of \"command\" must not be empty"}},
      {"    command: \"a\\0b\"\n",
       {"invalid_value: spec.yaml:4: \"command\" must not contain a NUL character"}},
      {"    command: x\n    pool: a.b\n",
       {"invalid_name: spec.yaml:5: pool name \"a.b\" must be 1 "
        "to 128 letters, digits, \"_\" or \"-\""}},
      {"    command: x\n    gang: maybe\n",
       {"invalid_type: spec.yaml:5: \"gang\" must be true or false, got \"maybe\""}},
      {"    command: x\n    chunk: 1.5\n",
       {"invalid_type: spec.yaml:5: \"chunk\" must be an integer, got \"1.5\""}},
      {"    command: x\n    chunk: 9999999999\n",
       {"invalid_value: spec.yaml:5: \"chunk\" must be at most 2147483647, got 9999999999"}},
      {"    command: x\n    frames: \"\"\n",
       {"invalid_value: spec.yaml:5: \"frames\" must not be empty"}},
      {"    command: x\n    timeout: 0s\n",
       {"invalid_value: spec.yaml:5: \"timeout\" must be longer than 0s"}},
      {"    command: x\n    env: {A=B: c}\n",
       {"invalid_value: spec.yaml:5: environment variable "
        "name \"A=B\" must not contain \"=\""}},
      {"    command: x\n    env: {A: [1]}\n",
       {"invalid_type: spec.yaml:5: \"env\" value of \"A\" must be text, got a list"}},
      {"    command: x\n    posts: [a, [b]]\n",
       {"invalid_type: spec.yaml:5: each item of \"posts\" must be text, got a list"}},
      {"    command: x\n    resources: {cores: -1, gpus: x, ram: 1G}\n",
       {"unknown_field: spec.yaml:5: unknown field \"ram\" in resources of task \"t\"",
        "invalid_value: spec.yaml:5: \"cores\" must be at least 0, got -1",
        "invalid_type: spec.yaml:5: \"gpus\" must be an integer, got \"x\""}},
      {"    command: x\n    resources: 4\n",
       {"invalid_type: spec.yaml:5: \"resources\" must be a "
        "map (cores, memory, gpus, tags), got \"4\""}},
      {"    name: u\n    command: x\n",
       {"duplicate_field: spec.yaml:4: field \"name\" is given twice in task \"t\""}},
      {"    command: x\n  - name: ../etc\n    command: y\n",
       {"invalid_name: spec.yaml:5: task name \"../etc\" must be 1 to 128 letters, digits, "
        "\".\", \"_\" or \"-\", and not \".\" or \"..\""}},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(Problems(Task(c.text)), c.problems) << c.text;
}

TEST(SpecErrorsTest, DurationsAndSizesCarryTheirParseErrors) {
  const std::string bad_duration = ParseDuration("10 min").error().message;
  const std::string bad_size = ParseSize("lots").error().message;
  EXPECT_THAT(Problems(Task("    command: x\n    timeout: 10 min\n    retry_delay: 10 min\n"
                            "    resources: {memory: lots}\n")),
              ElementsAre("invalid_duration: spec.yaml:5: \"timeout\": " + bad_duration,
                          "invalid_duration: spec.yaml:6: \"retry_delay\": " + bad_duration,
                          "invalid_size: spec.yaml:7: \"memory\": " + bad_size));
}

TEST(SpecErrorsTest, Requirements) {
  const ErrorCase cases[] = {
      {"    command: x\n    requires: [{tsk: a}]\n",
       {"unknown_field: spec.yaml:5: unknown field \"tsk\" in a requirement of task \"t\"; did "
        "you mean \"task\"?",
        "missing_field: spec.yaml:5: a requirement needs one of \"task\", \"signal\" or \"job\""}},
      {"    command: x\n    requires: [{task: a, signal: b}]\n",
       {"invalid_value: spec.yaml:5: a requirement names one of \"task\", \"signal\" or \"job\", "
        "not several"}},
      {"    command: x\n    requires:\n      - {signal: a, on: any}\n",
       {"invalid_value: spec.yaml:6: \"on\" applies only to a task or job requirement"}},
      {"    command: x\n    requires:\n      - {job: a, frames: each}\n",
       {"invalid_value: spec.yaml:6: \"frames\" applies only to a task requirement"}},
      {"    command: x\n    requires:\n      - {task: a, on: sucess}\n",
       {"invalid_value: spec.yaml:6: \"on\" must be success, failure or any, got \"sucess\"; did "
        "you mean \"success\"?"}},
      {"    command: x\n    requires:\n      - {task: a, frames: all}\n",
       {"invalid_value: spec.yaml:6: \"frames\" must be each, got \"all\""}},
      {"    command: x\n    requires:\n      - [a]\n",
       {"invalid_type: spec.yaml:6: each item of \"requires\" must be a task name or a map, got "
        "a list"}},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(Problems(Task(c.text)), c.problems) << c.text;
}

TEST(SpecErrorsTest, Defaults) {
  EXPECT_THAT(
      Problems("name: j\ndefaults:\n  command: x\n  retires: 2\n  timeout: soon\ntasks: []\n"),
      ElementsAre(
          "invalid_default: spec.yaml:3: \"command\" cannot have a default; set it on each "
          "task",
          "unknown_field: spec.yaml:4: unknown field \"retires\" in defaults; did you mean "
          "\"retries\"?",
          "invalid_duration: spec.yaml:5: \"timeout\": " + ParseDuration("soon").error().message));
}

TEST(SpecErrorsTest, CollectsEveryProblem) {
  EXPECT_EQ(Problems("name: j\npriority: -1\ntasks:\n  - {name: a, comand: x}\n"
                     "  - {name: b, command: y, retries: two}\n  - 7\n")
                .size(),
            5u);
}

TEST(SpecErrorsTest, LimitsOnSizeAndDepth) {
  const std::string huge(20 << 20, '#');
  EXPECT_THAT(Problems(huge),
              ElementsAre("spec_too_large: spec.yaml: spec is 20.0 MiB; the limit is 16 MiB"));
  EXPECT_THAT(Problems("name: j\n" + std::string(100, '[')),
              ElementsAre("too_deep: spec.yaml:2: nesting is deeper than 64 levels"));
  // Brackets inside quotes and comments are text, not nesting.
  const std::string brackets(100, '[');
  EXPECT_THAT(Problems("name: j # " + brackets + "\ntasks:\n  - name: a\n    command: '" +
                       brackets + "'\n    stop: \"" + brackets + "\"\n"),
              IsEmpty());
  // Block nesting is caught by yaml-cpp's own guard.
  std::string deep;
  for (int i = 0; i < 3000; ++i) deep += "- ";
  EXPECT_THAT(Problems(deep + "x\n"), ElementsAre(::testing::StartsWith("too_deep: spec.yaml:1:")));
}

TEST(SpecErrorsTest, AliasBombsRunOutOfBudget) {
  // A thousand tasks that are one task with a thousand requirements: a million values to read
  // from a few kilobytes of text.
  std::string text = "name: j\nx: &t {name: t, command: x, requires: [";
  for (int i = 0; i < 1000; ++i) text += i ? ", a" : "a";
  text += "]}\ntasks: [";
  for (int i = 0; i < 1000; ++i) text += i ? ", *t" : "*t";
  text += "]\n";
  // Past the budget nothing more is reported: the tasks read from then on would look empty.
  EXPECT_THAT(Problems(text),
              ElementsAre("spec_too_large: spec.yaml: the spec expands to more than 107056 values; "
                          "is an alias repeated too often?",
                          "unknown_field: spec.yaml:2: unknown field \"x\" in the job"));
}

}  // namespace
}  // namespace rota
