#include "wire/json_fields.h"

namespace rota::wire {

using nlohmann::json;

Result<json> ParseObject(std::string_view body, const char* code) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(code, "the body is not valid JSON");
  if (!j.is_object()) return MakeError(code, "the body must be a JSON object");
  return j;
}

const json* FieldReader::Find(const char* name, bool required) {
  auto it = object_.find(name);
  if (it == object_.end()) {
    if (required) error_ = std::string("missing field \"") + name + "\"";
    return nullptr;
  }
  return &*it;
}

bool FieldReader::Fail(const char* name, std::string_view must) {
  error_ = std::string("field \"") + name + "\" must be " + std::string(must);
  return false;
}

bool FieldReader::Uint(const char* name, uint64_t& out, bool required) {
  const json* v = Find(name, required);
  if (v == nullptr) return !required;
  if (!v->is_number_unsigned()) return Fail(name, "a non-negative integer");
  out = v->get<uint64_t>();
  return true;
}

bool FieldReader::Int(const char* name, int& out, int64_t min, int64_t max) {
  const json* v = Find(name, false);
  if (v == nullptr) return true;
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
    return Fail(name, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  out = static_cast<int>(v->get<int64_t>());
  return true;
}

bool FieldReader::Int64(const char* name, int64_t& out) {
  const json* v = Find(name, false);
  if (v == nullptr) return true;
  if (!v->is_number_integer()) return Fail(name, "an integer");
  out = v->get<int64_t>();
  return true;
}

bool FieldReader::Number(const char* name, double& out, double min, double max, bool required) {
  const json* v = Find(name, required);
  if (v == nullptr) return !required;
  if (!v->is_number() || !(v->get<double>() >= min) || !(v->get<double>() <= max)) {
    char range[64];
    std::snprintf(range, sizeof range, "a number from %g to %g", min, max);
    return Fail(name, range);
  }
  out = v->get<double>();
  return true;
}

bool FieldReader::String(const char* name, std::string& out, bool required) {
  const json* v = Find(name, required);
  if (v == nullptr) return !required;
  if (!v->is_string()) return Fail(name, "a string");
  out = v->get<std::string>();
  return true;
}

bool FieldReader::Bool(const char* name, bool& out) {
  const json* v = Find(name, false);
  if (v == nullptr) return true;
  if (!v->is_boolean()) return Fail(name, "true or false");
  out = v->get<bool>();
  return true;
}

bool FieldReader::Strings(const char* name, std::vector<std::string>& out) {
  const json* v = Find(name, false);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_array()) return Fail(name, "a list of strings");
  for (const json& item : *v) {
    if (!item.is_string()) return Fail(name, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return true;
}

bool FieldReader::StringMap(const char* name, std::map<std::string, std::string>& out) {
  const json* v = Find(name, false);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_object()) return Fail(name, "an object of strings");
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) return Fail(name, "an object of strings");
    out[it.key()] = it.value().get<std::string>();
  }
  return true;
}

bool FieldReader::Array(const char* name, const json*& out) {
  out = nullptr;
  const json* v = Find(name, false);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_array()) return Fail(name, "a list");
  out = v;
  return true;
}

}  // namespace rota::wire
