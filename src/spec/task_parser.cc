#include "spec/task_parser.h"

#include <array>
#include <string_view>

namespace rota {
namespace {

constexpr std::array<std::string_view, 15> kTaskFields = {
    "name", "command", "pool",    "frames",      "chunk", "requires", "posts", "resources",
    "gang", "timeout", "retries", "retry_delay", "env",   "cwd",      "stop"};
constexpr std::array<std::string_view, 4> kResourceFields = {"cores", "memory", "gpus", "tags"};
constexpr std::array<std::string_view, 5> kRequirementFields = {"task", "signal", "job", "on",
                                                                "frames"};
constexpr std::array<std::string_view, 3> kDepOnNames = {"success", "failure", "any"};
constexpr std::array<std::string_view, 1> kFrameModes = {"each"};
constexpr int kMaxRetries = 1000;

bool SaysWhatATaskIs(std::string_view key) {
  return key == "name" || key == "command" || key == "requires" || key == "posts";
}

DepOn ToDepOn(std::string_view name) {
  if (name == "failure") return DepOn::kFailure;
  if (name == "any") return DepOn::kAny;
  return DepOn::kSuccess;
}

}  // namespace

void TaskParser::ReadDefaults(const Field& field) {
  if (!reader_.IsMapField(field, "a map of task fields")) return;
  const int64_t before = reader_.spent();
  for (const Field& f : reader_.Fields(field.value, kTaskFields, "in defaults")) {
    if (SaysWhatATaskIs(f.key)) {
      reader_.Fail(f.line, "invalid_default",
                   Quote(f.key) + " cannot have a default; set it on each task");
      continue;
    }
    Apply(defaults_, f, "defaults");
  }
  defaults_cost_ = reader_.spent() - before;
}

std::optional<TaskSpec> TaskParser::ReadTask(const YAML::Node& node, int number,
                                             int fallback_line) {
  TaskSpec task = defaults_;
  task.line = LineOf(node) > 0 ? LineOf(node) : fallback_line;
  std::string label = "task " + std::to_string(number);
  if (!node.IsMap()) {
    reader_.Fail(task.line, "invalid_type",
                 label + " must be a map with a name and a command, got " + Describe(node));
    return std::nullopt;
  }
  if (!reader_.Spend(defaults_cost_)) return std::nullopt;
  // The name first, wherever it is written, so that every other message can say which task.
  bool has_name = false;
  for (auto it = node.begin(); it != node.end() && !has_name; ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != "name") continue;
    has_name = true;
    if (auto name = reader_.Name(it->second, LineOf(it->first), "task name", /*dots=*/true)) {
      task.name = *name;
      label = "task " + Quote(*name);
    }
  }
  bool has_command = false;
  for (const Field& f : reader_.Fields(node, kTaskFields, "in " + label)) {
    if (f.key == "name") continue;
    has_command = has_command || f.key == "command";
    Apply(task, f, label);
  }
  if (!has_name) reader_.Fail(task.line, "missing_field", label + " has no \"name\"");
  if (!has_command) reader_.Fail(task.line, "missing_field", label + " has no \"command\"");
  return task;
}

void TaskParser::Apply(TaskSpec& task, const Field& f, const std::string& label) {
  const std::string_view key = f.key;
  if (key == "command") {
    ReadCommand(task, f);
  } else if (key == "pool") {
    if (auto pool = reader_.Name(f.value, f.line, "pool name", /*dots=*/false)) task.pool = *pool;
  } else if (key == "frames") {
    // Only the text is read here; ValidateJob parses the frame set and reports its errors.
    if (auto frames = reader_.String(f)) {
      task.frames = *frames;
      task.frames_line = f.line;
    }
  } else if (key == "chunk") {
    // Any int passes; ValidateJob says why a chunk below 1 is wrong.
    if (auto chunk = reader_.Integer(f, SpecReader::kMinInt)) task.chunk = static_cast<int>(*chunk);
  } else if (key == "requires") {
    ReadRequirements(task, f, label);
  } else if (key == "posts") {
    if (auto posts = reader_.StringList(f)) task.posts = std::move(*posts);
  } else if (key == "resources") {
    ReadResources(task.resources, f, label);
  } else if (key == "gang") {
    if (auto gang = reader_.Bool(f)) task.gang = *gang;
  } else if (key == "timeout") {
    if (auto timeout = reader_.DurationValue(f)) {
      if (timeout->count() > 0) {
        task.timeout = *timeout;
      } else {
        reader_.Fail(f.line, "invalid_value", "\"timeout\" must be longer than 0s");
      }
    }
  } else if (key == "retries") {
    if (auto retries = reader_.Integer(f, 0, kMaxRetries))
      task.retries = static_cast<int>(*retries);
  } else if (key == "retry_delay") {
    if (auto delay = reader_.DurationValue(f)) task.retry_delay = *delay;
  } else if (key == "env") {
    ReadEnv(task, f);
  } else if (key == "cwd") {
    if (auto cwd = reader_.String(f)) task.cwd = *cwd;
  } else if (key == "stop") {
    if (auto stop = reader_.String(f)) task.stop = *stop;
  }
}

void TaskParser::ReadCommand(TaskSpec& task, const Field& f) {
  if (f.value.IsScalar()) {
    if (auto command = reader_.String(f)) {
      task.shell = true;
      task.argv = {*command};
    }
    return;
  }
  if (!f.value.IsSequence()) {
    reader_.Fail(f.line, "invalid_type",
                 "\"command\" must be text or a list of arguments, got " + Describe(f.value));
    return;
  }
  std::vector<std::string> argv;
  bool ok = true;
  for (const YAML::Node& item : reader_.Items(f)) {
    const int line = LineOf(item) > 0 ? LineOf(item) : f.line;
    // Arguments after the first may be empty (`["printf", ""]`); the program name may not.
    if (!argv.empty() && item.IsScalar() && item.Scalar().empty()) {
      argv.emplace_back();
      continue;
    }
    auto arg = reader_.String(item, line, "each argument of \"command\"");
    if (arg) argv.push_back(std::move(*arg));
    ok = ok && arg.has_value();
  }
  if (ok && argv.empty()) reader_.Fail(f.line, "invalid_value", "\"command\" must not be empty");
  if (!ok || argv.empty()) return;
  task.shell = false;
  task.argv = std::move(argv);
}

void TaskParser::ReadResources(Resources& resources, const Field& field, const std::string& label) {
  if (!reader_.IsMapField(field, "a map (cores, memory, gpus, tags)")) return;
  for (const Field& f : reader_.Fields(field.value, kResourceFields, "in resources of " + label)) {
    if (f.key == "cores") {
      if (auto cores = reader_.Number(f, 0)) resources.cores = *cores;
    } else if (f.key == "memory") {
      if (auto memory = reader_.Size(f)) resources.memory_bytes = *memory;
    } else if (f.key == "gpus") {
      if (auto gpus = reader_.Integer(f, 0)) resources.gpus = static_cast<int>(*gpus);
    } else if (f.key == "tags") {
      if (auto tags = reader_.StringList(f)) resources.tags = std::move(*tags);
    }
  }
}

void TaskParser::ReadRequirements(TaskSpec& task, const Field& field, const std::string& label) {
  for (const YAML::Node& item : reader_.Items(field)) {
    const int line = LineOf(item) > 0 ? LineOf(item) : field.line;
    if (item.IsScalar()) {
      if (auto name = reader_.String(item, line, "each item of \"requires\"")) {
        task.requirements.push_back(Requirement{.target = *name, .line = line});
      }
    } else if (item.IsMap()) {
      if (auto req = ReadRequirementMap(item, line, label)) task.requirements.push_back(*req);
    } else {
      reader_.Fail(line, "invalid_type",
                   "each item of \"requires\" must be a task name or a map, got " + Describe(item));
    }
  }
}

std::optional<Requirement> TaskParser::ReadRequirementMap(const YAML::Node& node, int line,
                                                          const std::string& label) {
  Requirement req;
  req.line = line;
  int targets = 0;
  bool ok = true;
  const Field* task_only = nullptr;  // the first `frames`, for a better message
  const Field* on_field = nullptr;   // `on`: tasks and jobs only
  std::vector<Field> fields =
      reader_.Fields(node, kRequirementFields, "in a requirement of " + label);
  for (const Field& f : fields) {
    std::optional<std::string> value;
    if (f.key == "task" || f.key == "signal" || f.key == "job") {
      ++targets;
      req.kind = f.key == "task"     ? Requirement::Kind::kTask
                 : f.key == "signal" ? Requirement::Kind::kSignal
                                     : Requirement::Kind::kJob;
      value = reader_.String(f);
      if (value) req.target = *value;
    } else if (f.key == "on") {
      value = reader_.OneOf(f, kDepOnNames);
      if (value) req.on = ToDepOn(*value);
      on_field = &f;
    } else if (f.key == "frames") {
      value = reader_.OneOf(f, kFrameModes);
      req.frame_by_frame = value.has_value();
      if (!task_only) task_only = &f;
    }
    ok = ok && value.has_value();
  }
  if (targets == 0) {
    reader_.Fail(line, "missing_field",
                 "a requirement needs one of \"task\", \"signal\" or \"job\"");
    return std::nullopt;
  }
  if (targets > 1) {
    reader_.Fail(line, "invalid_value",
                 "a requirement names one of \"task\", \"signal\" or \"job\", not several");
    return std::nullopt;
  }
  if (task_only && req.kind != Requirement::Kind::kTask) {
    reader_.Fail(task_only->line, "invalid_value",
                 Quote(task_only->key) + " applies only to a task requirement");
    return std::nullopt;
  }
  if (on_field && req.kind == Requirement::Kind::kSignal) {
    reader_.Fail(on_field->line, "invalid_value",
                 Quote(on_field->key) + " applies only to a task or job requirement");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return req;
}

void TaskParser::ReadEnv(TaskSpec& task, const Field& f) {
  std::map<std::string, std::string> env = task.env;
  if (!reader_.StringMap(f, env)) return;
  for (const auto& [name, value] : env) {
    if (name.find('=') != std::string::npos) {
      reader_.Fail(f.line, "invalid_value",
                   "environment variable name " + Quote(name) + " must not contain \"=\"");
      return;
    }
  }
  task.env = std::move(env);
}

}  // namespace rota
