#include "spec/spec_parser.h"

#include "core/validate.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <exception>
#include <string>

#include "spec/spec_reader.h"
#include "spec/task_parser.h"

namespace rota {
namespace {

// Deeper [ and { nesting than any spec needs; refused before yaml-cpp recurses into it.
constexpr int kMaxNesting = 64;
// Values the parser may visit beyond one per byte of text (see SpecReader's budget).
constexpr int64_t kBaseBudget = 100'000;

constexpr std::array<std::string_view, 8> kJobFields = {"name",       "queue", "priority", "labels",
                                                        "on_failure", "pools", "defaults", "tasks"};
constexpr std::array<std::string_view, 1> kPoolFields = {"max_workers"};
constexpr std::array<std::string_view, 2> kFailurePolicies = {"stop", "continue"};
constexpr std::array<std::string_view, 0> kAnyKey = {};
constexpr int kMaxPriority = 1000;

// The line where flow nesting ([ and {) first goes deeper than kMaxNesting, or 0. A quick scan that
// skips quoted text and comments the way YAML does; block nesting by indentation is left to
// yaml-cpp's own depth guard.
int DeepNestingLine(std::string_view text) {
  int line = 1;
  int depth = 0;
  char quote = 0;  // '"' or '\'' inside a quoted scalar
  bool comment = false;
  char prev = '\n';
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      comment = false;
    } else if (comment) {
      // skip to the end of the line
    } else if (quote == '"') {
      if (c == '\\' && i + 1 < text.size()) {
        if (text[i + 1] == '\n') ++line;
        ++i;
      } else if (c == '"') {
        quote = 0;
      }
    } else if (quote == '\'') {
      if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;
      } else if (c == '\'') {
        quote = 0;
      }
    } else {
      const bool token_start = std::string_view(" \t\n[{,:").find(prev) != std::string_view::npos;
      if (c == '#' && (prev == ' ' || prev == '\t' || prev == '\n')) {
        comment = true;
      } else if ((c == '"' || c == '\'') && token_start) {
        quote = c;
      } else if (c == '[' || c == '{') {
        if (++depth > kMaxNesting) return line;
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
    }
    prev = text[i];
  }
  return 0;
}

std::string MiB(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

void ReadPools(SpecReader& reader, const Field& field, JobSpec& job) {
  if (!reader.IsMapField(field, "a map of pool names to {max_workers: N}")) return;
  for (const Field& entry : reader.Fields(field.value, kAnyKey, "in pools")) {
    const std::optional<std::string> name =
        reader.Name(YAML::Node(entry.key), entry.line, "pool name", /*dots=*/false);
    if (!name) continue;
    const std::string label = "pool " + Quote(*name);
    if (!entry.value.IsMap()) {
      reader.Fail(entry.line, "invalid_type",
                  label + " must be a map like {max_workers: 2}, got " + Describe(entry.value));
      continue;
    }
    PoolSpec pool{.name = *name, .max_workers = 0, .line = entry.line};
    bool has_max = false;
    for (const Field& f : reader.Fields(entry.value, kPoolFields, "in " + label)) {
      has_max = true;
      // Any int passes; ValidateJob says why max_workers below 1 is wrong.
      if (auto max = reader.Integer(f, SpecReader::kMinInt))
        pool.max_workers = static_cast<int>(*max);
    }
    if (!has_max) reader.Fail(entry.line, "missing_field", label + " has no \"max_workers\"");
    job.pools.push_back(std::move(pool));
  }
}

void ReadTasks(SpecReader& reader, TaskParser& parser, const Field& field, JobSpec& job) {
  if (field.value.IsNull()) return;  // no tasks: ValidateJob reports the empty job
  if (!field.value.IsSequence()) {
    reader.Fail(field.line, "invalid_type",
                "\"tasks\" must be a list of tasks, got " + Describe(field.value));
    return;
  }
  int number = 0;
  for (const YAML::Node& item : reader.Items(field)) {
    if (auto task = parser.ReadTask(item, ++number, field.line)) job.tasks.push_back(*task);
    if (reader.exhausted()) return;
  }
}

void ReadJob(const YAML::Node& root, SpecReader& reader, JobSpec& job) {
  const int root_line = LineOf(root) > 0 ? LineOf(root) : 1;
  if (root.IsNull()) {
    reader.Fail(0, "empty_spec", "the spec is empty; it needs at least a name and tasks");
    return;
  }
  if (!root.IsMap()) {
    reader.Fail(root_line, "invalid_type",
                "the spec must be a map with a name and tasks, got " + Describe(root));
    return;
  }
  TaskParser tasks(reader);
  const Field* tasks_field = nullptr;
  bool has_name = false;
  const std::vector<Field> fields = reader.Fields(root, kJobFields, "in the job");
  for (const Field& f : fields) {
    if (f.key == "name") {
      has_name = true;
      if (auto name = reader.Name(f.value, f.line, "job name", /*dots=*/true)) job.name = *name;
    } else if (f.key == "queue") {
      if (auto queue = reader.Name(f.value, f.line, "queue name", /*dots=*/false)) {
        job.queue = *queue;
      }
    } else if (f.key == "priority") {
      if (auto priority = reader.Integer(f, 0, kMaxPriority)) {
        job.priority = static_cast<int>(*priority);
      }
    } else if (f.key == "labels") {
      reader.StringMap(f, job.labels);
    } else if (f.key == "on_failure") {
      if (auto policy = reader.OneOf(f, kFailurePolicies)) {
        job.on_failure = *policy == "stop" ? FailurePolicy::kStop : FailurePolicy::kContinue;
      }
    } else if (f.key == "pools") {
      ReadPools(reader, f, job);
    } else if (f.key == "defaults") {
      tasks.ReadDefaults(f);
    } else if (f.key == "tasks") {
      tasks_field = &f;  // read last: `defaults:` may come after it
    }
  }
  if (!has_name) reader.Fail(root_line, "missing_field", "the job has no \"name\"");
  if (tasks_field) ReadTasks(reader, tasks, *tasks_field, job);
}

}  // namespace

ParsedSpec ParseSpec(std::string_view text, std::string_view source) {
  ParsedSpec out;
  out.job.source = std::string(source);
  const std::string where = Where(out.job, 0);
  if (text.size() > kMaxSpecBytes) {
    out.errors.push_back(
        MakeError("spec_too_large", where + "spec is " + MiB(text.size()) + "; the limit is " +
                                        std::to_string(kMaxSpecBytes >> 20) + " MiB"));
    return out;
  }
  if (int line = DeepNestingLine(text); line > 0) {
    out.errors.push_back(MakeError("too_deep", Where(out.job, line) + "nesting is deeper than " +
                                                   std::to_string(kMaxNesting) + " levels"));
    return out;
  }
  // yaml-cpp reports problems by throwing; none of that may leave this function.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    out.errors.push_back(MakeError(
        "too_deep", Where(out.job, e.mark.line + 1) + "nesting is too deep for the YAML parser"));
    return out;
  } catch (const YAML::Exception& e) {
    out.errors.push_back(
        MakeError("invalid_yaml", Where(out.job, e.mark.line + 1) + "invalid YAML: " + e.msg));
    return out;
  } catch (const std::exception& e) {
    out.errors.push_back(MakeError("invalid_yaml", where + "invalid YAML: " + e.what()));
    return out;
  }
  SpecReader reader(out.job, kBaseBudget + static_cast<int64_t>(text.size()));
  try {
    ReadJob(root, reader, out.job);
  } catch (const YAML::Exception& e) {
    reader.Fail(e.mark.line + 1, "invalid_yaml", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    reader.Fail(0, "invalid_yaml", std::string("cannot read the spec: ") + e.what());
  }
  out.errors = reader.TakeErrors();
  return out;
}

ParsedSpec ParseServerSpec(std::string_view text, std::string_view source) {
  ParsedSpec parsed = ParseSpec(text, source);
  if (!parsed.ok()) return parsed;
  ValidateOptions options;
  options.local = false;
  options.default_max_workers = kUnlimitedWorkers;
  parsed.errors = ValidateJob(parsed.job, options);
  return parsed;
}

}  // namespace rota
