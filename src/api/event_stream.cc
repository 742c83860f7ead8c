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

std::optional<uint64_t> EventStream::SendSince(uint64_t last, HttpExchange& exchange) {
  bool from_store = true;
  {
    std::lock_guard lock(mu_);
    // Only what the recent events no longer hold needs the store.
    from_store = recent_.empty() || last + 1 < recent_.front().seq;
  }
  while (from_store) {
    Result<std::vector<EventRecord>> page = store_.EventsSince(last, 2000);
    if (!page.ok()) {
      exchange.Send(": error reading events: " + page.error().message + "\n\n");
      exchange.End();
      return std::nullopt;
    }
    if (page->empty()) break;
    std::string chunk;
    for (const EventRecord& e : *page) AppendSseMessage(e, chunk);
    last = page->back().seq;
    exchange.Send(std::move(chunk));
  }
  std::string chunk;
  {
    std::lock_guard lock(mu_);
    for (const EventRecord& e : recent_) {
      if (e.seq <= last) continue;
      AppendSseMessage(e, chunk);
      last = e.seq;
    }
  }
  if (!chunk.empty()) exchange.Send(std::move(chunk));
  return last;
}

void EventStream::Open(uint64_t since, bool follow, std::shared_ptr<HttpExchange> exchange) {
  exchange->StartStream("text/event-stream", "/v1/events");
  const std::optional<uint64_t> last = SendSince(since, *exchange);
  if (!last) return;
  if (!follow) {
    exchange->End();
    return;
  }
  subscribers_.push_back({std::move(exchange), *last});
  std::lock_guard lock(mu_);
  following_ = subscribers_.size();
}

bool EventStream::Record(const std::vector<EventRecord>& events, uint64_t stored_through) {
  std::lock_guard lock(mu_);
  stored_through_ = std::max(stored_through_, stored_through);
  recent_.insert(recent_.end(), events.begin(), events.end());
  while (recent_.size() > kRecent && recent_.front().seq <= stored_through_) recent_.pop_front();
  return following_ > 0;
}

void EventStream::SendNew() {
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [](const Subscriber& s) { return s.exchange->closed(); }),
                     subscribers_.end());
  for (Subscriber& s : subscribers_) {
    if (std::optional<uint64_t> last = SendSince(s.last_sent, *s.exchange)) s.last_sent = *last;
  }
  std::lock_guard lock(mu_);
  following_ = subscribers_.size();
}

void EventStream::KeepAlive() {
  for (Subscriber& s : subscribers_) {
    if (!s.exchange->closed()) s.exchange->Send(": keep-alive\n\n");
  }
}

}  // namespace rota
