#include "api/event_stream.h"

#include <algorithm>

namespace rota {

void AppendSseMessage(const EventRecord& event, std::string& out) {
  out += "id: ";
  out += std::to_string(event.seq);
  out += "\ndata: ";
  out += event.json;
  out += "\n\n";
}

void EventStream::Open(uint64_t since, bool follow, std::shared_ptr<HttpExchange> exchange) {
  exchange->StartStream("text/event-stream", "/v1/events");
  uint64_t last = since;
  for (;;) {
    Result<std::vector<EventRecord>> page = store_.EventsSince(last, 2000);
    if (!page.ok()) {
      exchange->Send(": error reading events: " + page.error().message + "\n\n");
      exchange->End();
      return;
    }
    if (page->empty()) break;
    std::string chunk;
    for (const EventRecord& e : *page) AppendSseMessage(e, chunk);
    last = page->back().seq;
    exchange->Send(std::move(chunk));
  }
  std::string chunk;
  for (const EventRecord& e : recent_) {
    if (e.seq <= last) continue;
    AppendSseMessage(e, chunk);
    last = e.seq;
  }
  if (!chunk.empty()) exchange->Send(std::move(chunk));
  if (!follow) {
    exchange->End();
    return;
  }
  subscribers_.push_back({std::move(exchange), last});
}

void EventStream::Publish(const std::vector<EventRecord>& events, uint64_t stored_through) {
  if (events.empty()) return;
  stored_through_ = std::max(stored_through_, stored_through);
  recent_.insert(recent_.end(), events.begin(), events.end());
  while (recent_.size() > kRecent && recent_.front().seq <= stored_through_) recent_.pop_front();
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [](const Subscriber& s) { return s.exchange->closed(); }),
                     subscribers_.end());
  for (Subscriber& s : subscribers_) {
    if (events.back().seq <= s.last_sent) continue;
    std::string chunk;
    for (const EventRecord& e : events) {
      if (e.seq > s.last_sent) AppendSseMessage(e, chunk);
    }
    s.last_sent = events.back().seq;
    s.exchange->Send(std::move(chunk));
  }
}

void EventStream::KeepAlive() {
  for (Subscriber& s : subscribers_) {
    if (!s.exchange->closed()) s.exchange->Send(": keep-alive\n\n");
  }
}

}  // namespace rota
