// TaskParser: reads `defaults:` and the items of `tasks:` into TaskSpecs for ParseSpec. Every task
// starts as a copy of the defaults; a task's own fields replace them, except `env` and `resources`,
// which merge key by key (a task setting only `cores` keeps the default `memory`). Internal to
// src/spec; one per ParseSpec call, one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "core/job.h"
#include "spec/spec_reader.h"

namespace rota {

class TaskParser {
 public:
  // `reader` must outlive the parser.
  explicit TaskParser(SpecReader& reader) : reader_(reader) {}

  // Reads `defaults:`: any task field except name, command, requires and posts, which say what a
  // task is rather than how it runs.
  void ReadDefaults(const Field& field);

  // Reads item `number` (1-based) of `tasks:`. nullopt only when the item is not a map; other
  // problems are reported and the task is returned as far as it could be read.
  std::optional<TaskSpec> ReadTask(const YAML::Node& node, int number, int fallback_line);

 private:
  void Apply(TaskSpec& task, const Field& field, const std::string& label);
  void ReadCommand(TaskSpec& task, const Field& field);
  void ReadResources(Resources& resources, const Field& field, const std::string& label);
  void ReadRequirements(TaskSpec& task, const Field& field, const std::string& label);
  std::optional<Requirement> ReadRequirementMap(const YAML::Node& node, int line,
                                                const std::string& label);
  void ReadEnv(TaskSpec& task, const Field& field);

  SpecReader& reader_;
  TaskSpec defaults_;
  int64_t defaults_cost_ = 0;  // values read for `defaults:`, charged again for every task copy
};

}  // namespace rota
