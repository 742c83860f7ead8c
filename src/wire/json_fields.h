// Reading the fields of a JSON object strictly, for request bodies: each reader checks the field's
// type and range and, on the first problem, keeps a message naming the field ("field \"epoch\"
// must be a non-negative integer"), so that a bad body is answered with its reason, never with an
// exception. Absent optional fields leave their output as it was. Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rota::wire {

// The body as a JSON object; error `code` ("bad_request") when it is not valid JSON or not an
// object.
Result<nlohmann::json> ParseObject(std::string_view body, const char* code);

class FieldReader {
 public:
  explicit FieldReader(const nlohmann::json& object) : object_(object) {}

  bool Uint(const char* name, uint64_t& out, bool required = false);
  bool Int(const char* name, int& out, int64_t min = -(int64_t{1} << 30), int64_t max = int64_t{1} << 30);
  bool Int64(const char* name, int64_t& out);
  bool Number(const char* name, double& out, double min, double max, bool required = false);
  bool String(const char* name, std::string& out, bool required = false);
  bool Bool(const char* name, bool& out);
  bool Strings(const char* name, std::vector<std::string>& out);
  bool StringMap(const char* name, std::map<std::string, std::string>& out);
  // The array under `name` (absent or null: nullptr, which is not an error); false when it is
  // something else.
  bool Array(const char* name, const nlohmann::json*& out);

  // Why the last reader returned false.
  const std::string& error() const { return error_; }

 private:
  const nlohmann::json* Find(const char* name, bool required);
  bool Fail(const char* name, std::string_view must);

  const nlohmann::json& object_;
  std::string error_;
};

}  // namespace rota::wire
