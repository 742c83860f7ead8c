#include "spec/config_file.h"

#include <yaml-cpp/yaml.h>

namespace rota {

namespace {

std::string At(std::string_view source, const YAML::Node& node) {
  const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  return std::string(source) + (line > 0 ? ":" + std::to_string(line) : "") + ": ";
}

bool Flatten(const YAML::Node& node, const std::string& prefix, std::string_view source,
             std::map<std::string, std::string>& out, Error& error, int depth) {
  if (depth > 8) {
    error = MakeError("invalid_config", At(source, node) + prefix + " is nested too deeply");
    return false;
  }
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        error = MakeError("invalid_config", At(source, entry.first) + "keys must be text");
        return false;
      }
      const std::string key = prefix.empty() ? entry.first.Scalar() : prefix + "." + entry.first.Scalar();
      if (!Flatten(entry.second, key, source, out, error, depth + 1)) return false;
    }
    return true;
  }
  if (node.IsSequence()) {
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        error = MakeError("invalid_config", At(source, item) + prefix + " must be a list of values");
        return false;
      }
      if (!joined.empty()) joined += ",";
      joined += item.Scalar();
    }
    out[prefix] = joined;
    return true;
  }
  if (node.IsScalar()) {
    out[prefix] = node.Scalar();
    return true;
  }
  out[prefix] = "";   // null
  return true;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseConfigFile(std::string_view text,
                                                           std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeError("invalid_config", std::string(source) + ":" + std::to_string(e.mark.line + 1) +
                                           ": " + e.msg);
  }
  std::map<std::string, std::string> out;
  if (!root || root.IsNull()) return out;
  if (!root.IsMap()) return MakeError("invalid_config", std::string(source) + ": must be a map of settings");
  Error error;
  if (!Flatten(root, "", source, out, error, 0)) return error;
  return out;
}

}  // namespace rota
