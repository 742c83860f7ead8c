#include "cli/sse_parser.h"

namespace rota {

std::vector<SseMessage> SseParser::Feed(std::string_view bytes) {
  std::vector<SseMessage> out;
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      break;
    }
    partial_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    Line(partial_, out);
    partial_.clear();
  }
  return out;
}

void SseParser::Line(std::string_view line, std::vector<SseMessage>& out) {
  if (line.empty()) {  // a blank line ends a message
    if (has_data_) out.push_back({last_id_, data_});
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // a comment
  const size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "id") {
    last_id_ = std::string(value);
  }
}

}  // namespace rota
