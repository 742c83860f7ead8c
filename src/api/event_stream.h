// EventStream: the Server-Sent Events of GET /v1/events (docs/api.md "Events"). A new stream first
// pages through the stored events after its `since` seq, then the recent ones the store may not
// have yet (the loop stores events with its next append), then is sent each batch as it comes;
// seqs it already sent are skipped, so history and live events never overlap or leave a gap.
// Threads: Record on the loop thread (it keeps each batch's events, under a mutex); Open, SendNew
// and KeepAlive on the io thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "store/store.h"

namespace rota {

class EventStream {
 public:
  explicit EventStream(Store& store) : store_(store) {}

  void Open(uint64_t since, bool follow, std::shared_ptr<HttpExchange> exchange);
  // Keeps a batch's events; `stored_through`: the highest seq the store holds by then (recent
  // events at or below it may be forgotten). True when a stream follows: SendNew should run.
  bool Record(const std::vector<EventRecord>& events, uint64_t stored_through);
  // Sends every following stream what it has not seen yet.
  void SendNew();
  // A comment line on every open stream, so proxies and clients see it is alive.
  void KeepAlive();

 private:
  struct Subscriber {
    std::shared_ptr<HttpExchange> exchange;
    uint64_t last_sent;
  };
  // Sends what is after `last` (the store's, then the recent ones); the new last seq, or nullopt
  // when the store could not be read (then the stream was ended).
  std::optional<uint64_t> SendSince(uint64_t last, HttpExchange& exchange);

  // Recorded events, oldest first: every one the store may lack, and at least kRecent more.
  static constexpr size_t kRecent = 4096;

  Store& store_;
  std::vector<Subscriber> subscribers_;   // io thread
  std::mutex mu_;
  std::deque<EventRecord> recent_;        // GUARDED_BY(mu_)
  uint64_t stored_through_ = 0;           // GUARDED_BY(mu_)
  size_t following_ = 0;                  // GUARDED_BY(mu_): subscribers_.size(), for Record
};

// One SSE message: "id: <seq>\ndata: <json>\n\n".
void AppendSseMessage(const EventRecord& event, std::string& out);

}  // namespace rota
