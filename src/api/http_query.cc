#include "api/http_query.h"

namespace rota {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "http://host:port/path?q" -> "/path?q"; an origin-form target is returned as is.
std::string_view StripSchemeAndAuthority(std::string_view target) {
  size_t scheme_end = target.find("://");
  if (target.empty() || target[0] == '/' || scheme_end == std::string_view::npos) return target;
  size_t path_start = target.find_first_of("/?", scheme_end + 3);
  return path_start == std::string_view::npos ? std::string_view() : target.substr(path_start);
}

}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

DecodedTarget DecodeTarget(std::string_view target) {
  target = StripSchemeAndAuthority(target);
  target = target.substr(0, target.find('#'));
  DecodedTarget decoded;
  size_t question = target.find('?');
  decoded.path = PercentDecode(target.substr(0, question), /*plus_is_space=*/false);
  if (decoded.path.empty()) decoded.path = "/";
  if (question == std::string_view::npos) return decoded;

  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
    std::string value = eq == std::string_view::npos
                            ? std::string()
                            : PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true);
    decoded.query.insert_or_assign(std::move(name), std::move(value));
  }
  return decoded;
}

}  // namespace rota
