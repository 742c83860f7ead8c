// SseParser: cuts a Server-Sent Events byte stream (GET /v1/events) into messages, across the
// boundaries of the pieces it arrives in. Handles `id:` and `data:` fields, several data lines
// (joined with "\n"), comment lines (": keep-alive"), and "\r\n" line ends. Pure; one per stream.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rota {

struct SseMessage {
  std::string id;  // the last `id:` seen on the stream (SSE's "last event ID")
  std::string data;
};

class SseParser {
 public:
  // Consumes `bytes`; returns the messages they completed, in order.
  std::vector<SseMessage> Feed(std::string_view bytes);

 private:
  void Line(std::string_view line, std::vector<SseMessage>& out);

  std::string partial_;  // an unfinished line
  std::string last_id_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace rota
