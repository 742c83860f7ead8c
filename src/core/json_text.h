// Writing JSON text by hand, for the hot paths (events, agent messages) where building a DOM first
// would cost more than the message: a string literal, and an object writer that places the commas.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace rota {

// Appends `text` as a JSON string literal, quotes included. Bytes that are not valid UTF-8 (an
// error text cut in the middle of a character, say) become U+FFFD, so the result always parses.
void AppendJsonString(std::string_view text, std::string& out);

// Appends one JSON object to `out`, '{' when built and '}' when destroyed; each call adds a field.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~JsonObjectWriter() { out_ += '}'; }
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  template <class Integer>
    requires std::is_integral_v<Integer>
  void Number(std::string_view key, Integer value) {
    Key(key) += std::to_string(value);
  }
  void Double(std::string_view key, double value);
  void String(std::string_view key, std::string_view value) { AppendJsonString(value, Key(key)); }
  void Bool(std::string_view key, bool value) { Key(key) += value ? "true" : "false"; }
  void Strings(std::string_view key, std::span<const std::string> values);
  void StringMap(std::string_view key, const std::map<std::string, std::string>& values);
  // The field's name, then whatever the caller appends as its value (an array, a nested object).
  std::string& Raw(std::string_view key) { return Key(key); }

 private:
  std::string& Key(std::string_view key);
  std::string& out_;
  bool first_ = true;
};

}  // namespace rota
