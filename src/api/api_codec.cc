#include "api/api_codec.h"

#include <nlohmann/json.hpp>

#include "core/validate.h"
#include "spec/spec_parser.h"
#include "wire/json_fields.h"

namespace rota {

using json = nlohmann::json;

Result<std::map<std::string, std::string>> DecodeConfig(std::string_view body) {
  Result<json> parsed = wire::ParseObject(body, "bad_request");
  if (!parsed.ok()) return parsed.error();
  std::map<std::string, std::string> values;
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    if (it.value().is_string()) {
      values[it.key()] = it.value().get<std::string>();
    } else if (it.value().is_number() || it.value().is_boolean()) {
      values[it.key()] = it.value().dump();
    } else {
      return MakeError("bad_request", "config value of \"" + it.key() + "\" must be a string, number or boolean");
    }
  }
  return values;
}

Result<JobSpec> DecodeSpec(std::string_view body, std::string_view source) {
  ParsedSpec parsed = ParseServerSpec(body, source);
  const std::vector<Error>& errors = parsed.errors;
  if (errors.empty()) return std::move(parsed.job);
  std::string message;
  for (const Error& e : errors) {
    if (!message.empty()) message += "\n";
    message += e.message;
  }
  return MakeError("invalid_spec", message);
}

}  // namespace rota
