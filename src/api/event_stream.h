// EventStream: the Server-Sent Events of GET /v1/events (docs/api.md "Events"). A new stream first
// pages through the stored events after its `since` seq, then receives each committed batch as it
// is published; seqs it already sent are skipped, so history and live events never overlap or
// leave a gap. io thread only (the loop posts Publish there after each commit).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "store/store.h"

namespace rota {

class EventStream {
 public:
  explicit EventStream(Store& store) : store_(store) {}

  void Open(uint64_t since, bool follow, std::shared_ptr<HttpExchange> exchange);
  void Publish(const std::vector<EventRecord>& events);
  // A comment line on every open stream, so proxies and clients see it is alive.
  void KeepAlive();

 private:
  struct Subscriber {
    std::shared_ptr<HttpExchange> exchange;
    uint64_t last_sent;
  };
  Store& store_;
  std::vector<Subscriber> subscribers_;
};

// One SSE message: "id: <seq>\ndata: <json>\n\n".
void AppendSseMessage(const EventRecord& event, std::string& out);

}  // namespace rota
