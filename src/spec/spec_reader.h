// SpecReader: reads typed values out of yaml-cpp nodes for ParseSpec, turning every problem into an
// Error ("spec.yaml:12: \"retries\" must be an integer, got \"two\"") and carrying on, so that one
// parse reports every problem. Internal to src/spec; one reader per ParseSpec call, one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/job.h"
#include "core/quote.h"
#include "core/result.h"
#include "core/units.h"

namespace rota {

// One entry of a YAML map and where it is written (the key's line: a null value has no good mark).
struct Field {
  std::string key;
  int line = 0;
  YAML::Node value;
};

// The 1-based line of a node, or 0 when yaml-cpp has none.
int LineOf(const YAML::Node& node);

// How a value reads in a message: "two" (quoted, shortened), null, a list, a map.
std::string Describe(const YAML::Node& node);

class SpecReader {
 public:
  // Every integer field ends up in an int.
  static constexpr int64_t kMinInt = std::numeric_limits<int32_t>::min();
  static constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();

  // `job` (for Where) must outlive the reader. `budget` is how many YAML values the reader may
  // visit: aliases let a small text name the same big node many times, and each visit costs time
  // and memory in the JobSpec.
  SpecReader(const JobSpec& job, int64_t budget);

  void Fail(int line, const char* code, std::string message);
  // Every problem so far, in the order of their lines (fields are checked in passes, but a person
  // reads the file top to bottom).
  std::vector<Error> TakeErrors();

  // Charges `nodes` visits; false (after one "spec_too_large" error) once the budget is spent.
  bool Spend(int64_t nodes);
  bool exhausted() const { return exhausted_; }
  int64_t spent() const { return spent_; }

  // The entries of `map` in order. Keys must be text and appear once; a key not in `known` gets
  // `unknown field "comand" in <context>; did you mean "command"?` (an empty `known` accepts any
  // key: pool names). Bad entries are left out.
  std::vector<Field> Fields(const YAML::Node& map, std::span<const std::string_view> known,
                            std::string_view context);
  // The items of a list; a single value stands for a list of one (`posts: hub/ready`).
  std::vector<YAML::Node> Items(const Field& field);

  // Typed values; nullopt after reporting why not. Strings are non-empty and free of NUL bytes.
  std::optional<std::string> String(const Field& field);
  std::optional<std::string> String(const YAML::Node& node, int line, std::string_view what);
  std::optional<int64_t> Integer(const Field& field, int64_t min, int64_t max = kMaxInt);
  std::optional<double> Number(const Field& field, double min);
  std::optional<bool> Bool(const Field& field);
  std::optional<Duration> DurationValue(const Field& field);
  std::optional<int64_t> Size(const Field& field);
  // One of `choices`, with a did-you-mean when close to one.
  std::optional<std::string> OneOf(const Field& field, std::span<const std::string_view> choices);
  // A name made of [A-Za-z0-9._-] (no "." when !dots), 1 to 128 long, and not "." or "..":
  // names end up in file paths, URLs and config keys. `what` is "job name", "pool name", ...
  std::optional<std::string> Name(const YAML::Node& node, int line, std::string_view what,
                                  bool dots);
  std::optional<std::vector<std::string>> StringList(const Field& field);
  // True when `field` holds a map to read. Null (an empty `pools:`) is false without a problem;
  // anything else is reported as `"pools" must be <what>, got ...`.
  bool IsMapField(const Field& field, std::string_view what);
  // A map of text to text, merged into `into` (later keys win); false if anything was wrong.
  bool StringMap(const Field& field, std::map<std::string, std::string>& into);

 private:
  template <class T, class Parser>
  std::optional<T> ParsedText(const Field& field, Parser parse, const char* code);

  const JobSpec& job_;
  std::vector<std::pair<int, Error>> errors_;  // line, error
  int64_t budget_;
  int64_t spent_ = 0;
  bool exhausted_ = false;
};

}  // namespace rota
