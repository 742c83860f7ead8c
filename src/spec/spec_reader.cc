#include "spec/spec_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <unordered_set>

#include "core/did_you_mean.h"
#include "core/names.h"

namespace rota {
namespace {


std::string_view TypeName(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "null";
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

std::string FieldName(const Field& field) { return Quote(field.key); }

}  // namespace

int LineOf(const YAML::Node& node) {
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

std::string Describe(const YAML::Node& node) {
  if (node.IsScalar()) return Quote(node.Scalar());
  return std::string(TypeName(node));
}

SpecReader::SpecReader(const JobSpec& job, int64_t budget) : job_(job), budget_(budget) {}

void SpecReader::Fail(int line, const char* code, std::string message) {
  // Past the budget, reads come back empty and "missing" fields would only be noise.
  if (exhausted_) return;
  errors_.emplace_back(line, MakeError(code, Where(job_, line) + message));
}

std::vector<Error> SpecReader::TakeErrors() {
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Error> out;
  out.reserve(errors_.size());
  for (auto& [line, error] : errors_) out.push_back(std::move(error));
  errors_.clear();
  return out;
}

bool SpecReader::Spend(int64_t nodes) {
  if (exhausted_) return false;
  spent_ += nodes;
  if (spent_ <= budget_) return true;
  Fail(0, "spec_too_large",
       "the spec expands to more than " + std::to_string(budget_) +
           " values; is an alias repeated too often?");
  exhausted_ = true;
  return false;
}

std::vector<Field> SpecReader::Fields(const YAML::Node& map,
                                      std::span<const std::string_view> known,
                                      std::string_view context) {
  std::vector<Field> fields;
  if (!Spend(static_cast<int64_t>(map.size()) + 1)) return fields;
  std::unordered_set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: `it->` returns a temporary proxy
    const int line = LineOf(key);
    if (!key.IsScalar()) {
      Fail(line, "invalid_type", "field names must be text, got " + Describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    if (!seen.insert(name).second) {
      Fail(line, "duplicate_field",
           "field " + Quote(name) + " is given twice " + std::string(context));
      continue;
    }
    bool is_known = known.empty();
    for (std::string_view k : known) is_known = is_known || k == name;
    if (!is_known) {
      std::string message = "unknown field " + Quote(name) + " " + std::string(context);
      if (auto guess = DidYouMean(name, known)) message += "; did you mean " + Quote(*guess) + "?";
      Fail(line, "unknown_field", message);
      continue;
    }
    fields.push_back(Field{name, line, it->second});
  }
  return fields;
}

std::vector<YAML::Node> SpecReader::Items(const Field& field) {
  std::vector<YAML::Node> items;
  if (field.value.IsNull()) return items;
  if (!field.value.IsSequence()) {
    if (Spend(1)) items.push_back(field.value);
    return items;
  }
  if (!Spend(static_cast<int64_t>(field.value.size()) + 1)) return items;
  for (const YAML::Node& item : field.value) items.push_back(item);
  return items;
}

std::optional<std::string> SpecReader::String(const Field& field) {
  return String(field.value, field.line, FieldName(field));
}

std::optional<std::string> SpecReader::String(const YAML::Node& node, int line,
                                              std::string_view what) {
  if (!node.IsScalar()) {
    Fail(line, "invalid_type", std::string(what) + " must be text, got " + Describe(node));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  if (text.empty()) {
    Fail(line, "invalid_value", std::string(what) + " must not be empty");
    return std::nullopt;
  }
  if (text.find('\0') != std::string::npos) {
    // A NUL would silently cut the string short on its way to exec or the environment.
    Fail(line, "invalid_value", std::string(what) + " must not contain a NUL character");
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> SpecReader::Integer(const Field& field, int64_t min, int64_t max) {
  const std::string text = field.value.IsScalar() ? field.value.Scalar() : "";
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ptr != end || ec == std::errc::invalid_argument) {
    Fail(field.line, "invalid_type",
         FieldName(field) + " must be an integer, got " + Describe(field.value));
    return std::nullopt;
  }
  const bool too_small = ec == std::errc::result_out_of_range ? text[0] == '-' : value < min;
  const bool too_big = ec == std::errc::result_out_of_range ? text[0] != '-' : value > max;
  if (too_small || too_big) {
    // "between" reads best for a short range (priority 0..1000); a bound at the type's limit
    // (gpus: 0..INT32_MAX) is better left unsaid.
    const bool open_ended =
        min <= std::numeric_limits<int32_t>::min() || max >= std::numeric_limits<int32_t>::max();
    const std::string range = !open_ended
                                  ? "between " + std::to_string(min) + " and " + std::to_string(max)
                              : too_small ? "at least " + std::to_string(min)
                                          : "at most " + std::to_string(max);
    Fail(field.line, "invalid_value", FieldName(field) + " must be " + range + ", got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<double> SpecReader::Number(const Field& field, double min) {
  const std::string text = field.value.IsScalar() ? field.value.Scalar() : "";
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ptr != end || ec != std::errc() || !std::isfinite(value)) {
    Fail(field.line, "invalid_type",
         FieldName(field) + " must be a number, got " + Describe(field.value));
    return std::nullopt;
  }
  if (value < min) {
    Fail(field.line, "invalid_value",
         FieldName(field) + " must be at least " + std::to_string(static_cast<int64_t>(min)) +
             ", got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> SpecReader::Bool(const Field& field) {
  if (field.value.IsScalar()) {
    const std::string& text = field.value.Scalar();
    for (std::string_view yes : {"true", "yes", "on"}) {
      if (EqualsIgnoringCase(text, yes)) return true;
    }
    for (std::string_view no : {"false", "no", "off"}) {
      if (EqualsIgnoringCase(text, no)) return false;
    }
  }
  Fail(field.line, "invalid_type",
       FieldName(field) + " must be true or false, got " + Describe(field.value));
  return std::nullopt;
}

// A text field read by one of core's parsers (durations, sizes); its error becomes the message.
template <class T, class Parser>
std::optional<T> SpecReader::ParsedText(const Field& field, Parser parse, const char* code) {
  std::optional<std::string> text = String(field);
  if (!text) return std::nullopt;
  Result<T> value = parse(*text);
  if (!value.ok()) {
    Fail(field.line, code, FieldName(field) + ": " + value.error().message);
    return std::nullopt;
  }
  return *value;
}

std::optional<Duration> SpecReader::DurationValue(const Field& field) {
  return ParsedText<Duration>(field, ParseDuration, "invalid_duration");
}

std::optional<int64_t> SpecReader::Size(const Field& field) {
  return ParsedText<int64_t>(field, ParseSize, "invalid_size");
}

std::optional<std::string> SpecReader::OneOf(const Field& field,
                                             std::span<const std::string_view> choices) {
  std::optional<std::string> text = String(field);
  if (!text) return std::nullopt;
  for (std::string_view choice : choices) {
    if (*text == choice) return text;
  }
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) list += i + 1 == choices.size() ? " or " : ", ";
    list += choices[i];
  }
  std::string message = FieldName(field) + " must be " + list + ", got " + Quote(*text);
  if (auto guess = DidYouMean(*text, choices)) message += "; did you mean " + Quote(*guess) + "?";
  Fail(field.line, "invalid_value", message);
  return std::nullopt;
}

std::optional<std::string> SpecReader::Name(const YAML::Node& node, int line, std::string_view what,
                                            bool dots) {
  std::optional<std::string> name = String(node, line, what);
  if (!name) return std::nullopt;
  if (!IsValidName(*name, dots)) {
    Fail(line, "invalid_name",
         std::string(what) + " " + Quote(*name) + " must be 1 to 128 letters, digits, " +
             (dots ? "\".\", " : "") + "\"_\" or \"-\"" +
             (dots ? ", and not \".\" or \"..\"" : ""));
    return std::nullopt;
  }
  return name;
}

std::optional<std::vector<std::string>> SpecReader::StringList(const Field& field) {
  std::vector<std::string> out;
  bool ok = true;
  for (const YAML::Node& item : Items(field)) {
    const int line = LineOf(item) > 0 ? LineOf(item) : field.line;
    std::optional<std::string> text = String(item, line, "each item of " + FieldName(field));
    if (text) out.push_back(std::move(*text));
    ok = ok && text.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

bool SpecReader::IsMapField(const Field& field, std::string_view what) {
  if (field.value.IsNull()) return false;
  if (field.value.IsMap()) return true;
  Fail(field.line, "invalid_type",
       FieldName(field) + " must be " + std::string(what) + ", got " + Describe(field.value));
  return false;
}

bool SpecReader::StringMap(const Field& field, std::map<std::string, std::string>& into) {
  if (field.value.IsNull()) return true;
  if (!IsMapField(field, "a map of names to text")) return false;
  if (!Spend(2 * static_cast<int64_t>(field.value.size()) + 1)) return false;
  bool ok = true;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    const int line = LineOf(it->first) > 0 ? LineOf(it->first) : field.line;
    std::optional<std::string> key = String(it->first, line, "each name in " + FieldName(field));
    if (!key) {
      ok = false;
      continue;
    }
    // A value may be any scalar (env: {N: 5}), and also empty (`A: ""` or just `A:`).
    std::optional<std::string> value;
    if (it->second.IsNull() || (it->second.IsScalar() && it->second.Scalar().empty())) {
      value = "";
    } else {
      value = String(it->second, line, FieldName(field) + " value of " + Quote(*key));
    }
    if (!value) {
      ok = false;
      continue;
    }
    into[*key] = std::move(*value);
  }
  return ok;
}

}  // namespace rota
