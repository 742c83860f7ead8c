// EventsFile: the sink behind `rota run --events FILE`: one JSON object per line (DESIGN section 5),
// buffered and written out when the engine loop goes idle. Loop thread only.
#pragma once

#include <cstdio>
#include <string>

#include "engine/event.h"

namespace rota {

class EventsFile final : public EventSink {
 public:
  ~EventsFile() override;
  // Opens (truncates) `path`; false with errno set when it cannot.
  bool Open(const std::string& path);
  void Publish(const Event& event) override;
  void Flush() override;

 private:
  std::FILE* file_ = nullptr;
  std::string buffer_;
};

// Sends every event to several sinks, in order.
class FanoutSink final : public EventSink {
 public:
  void Add(EventSink* sink) { sinks_.push_back(sink); }
  void Publish(const Event& event) override {
    for (EventSink* s : sinks_) s->Publish(event);
  }
  void Flush() override {
    for (EventSink* s : sinks_) s->Flush();
  }

 private:
  std::vector<EventSink*> sinks_;
};

}  // namespace rota
