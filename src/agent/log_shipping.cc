#include "agent/log_shipping.h"

#include <fstream>

#include "core/units.h"

namespace rota::agent {

std::optional<std::string> ReadLogForShipping(const std::string& path, int64_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const int64_t size = in.tellg();
  if (size < 0) return std::nullopt;
  const int64_t skipped = size > max_bytes ? size - max_bytes : 0;
  std::string text;
  if (skipped > 0) {
    text = "[rota agent: the first " + FormatSize(skipped) + " (" + std::to_string(skipped) +
           " bytes) of this log were left out]\n";
  }
  const size_t header = text.size();
  text.resize(header + static_cast<size_t>(size - skipped));
  in.seekg(skipped);
  in.read(text.data() + header, size - skipped);
  text.resize(header + static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace rota::agent
