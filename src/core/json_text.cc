#include "core/json_text.h"

#include <cmath>
#include <cstdio>

namespace rota {
namespace {

// The length of the valid UTF-8 sequence that starts `text`, or 0 when it is not one (overlong
// forms, surrogates and code points above U+10FFFF included, as RFC 3629 has it).
size_t Utf8Length(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;   // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string& out) {
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      if (const size_t length = Utf8Length(text.substr(i)); length > 0) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        out += "\xEF\xBF\xBD";   // U+FFFD, the replacement character
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string& JsonObjectWriter::Key(std::string_view key) {
  if (!first_) out_ += ',';
  first_ = false;
  AppendJsonString(key, out_);
  out_ += ':';
  return out_;
}

void JsonObjectWriter::Double(std::string_view key, double value) {
  std::string& out = Key(key);
  if (!std::isfinite(value)) {   // JSON has no NaN or infinity
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out += buf;
}

void JsonObjectWriter::Strings(std::string_view key, std::span<const std::string> values) {
  std::string& out = Key(key);
  out += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(values[i], out);
  }
  out += ']';
}

void JsonObjectWriter::StringMap(std::string_view key,
                                 const std::map<std::string, std::string>& values) {
  std::string& out = Key(key);
  out += '{';
  bool first = true;
  for (const auto& [k, v] : values) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(k, out);
    out += ':';
    AppendJsonString(v, out);
  }
  out += '}';
}

}  // namespace rota
