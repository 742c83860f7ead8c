#include "core/quote.h"

namespace rota {

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, kMaxQuoted)) {
    // A message is one line: control characters (a value's newlines, say) would break it.
    out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out + "\"";
}

}  // namespace rota
