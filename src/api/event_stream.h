// EventStream: the Server-Sent Events of GET /v1/events (docs/api.md "Events"). A new stream first
// pages through the stored events after its `since` seq, then the recent ones the store may not
// have yet (the loop stores events with its next append), then receives each batch as it is
// published; seqs it already sent are skipped, so history and live events never overlap or leave
// a gap. io thread only (the loop posts Publish there after each batch, before its answers).
#pragma once

#include <cstdint>
#include <deque>
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
  // `stored_through`: the highest seq the store held when they were published; the recent events
  // at or below it may be forgotten.
  void Publish(const std::vector<EventRecord>& events, uint64_t stored_through);
  // A comment line on every open stream, so proxies and clients see it is alive.
  void KeepAlive();

 private:
  struct Subscriber {
    std::shared_ptr<HttpExchange> exchange;
    uint64_t last_sent;
  };
  // Published events, oldest first: every one the store may lack, and at least kRecent more.
  static constexpr size_t kRecent = 4096;

  Store& store_;
  std::vector<Subscriber> subscribers_;
  std::deque<EventRecord> recent_;
  uint64_t stored_through_ = 0;
};

// One SSE message: "id: <seq>\ndata: <json>\n\n".
void AppendSseMessage(const EventRecord& event, std::string& out);

}  // namespace rota
