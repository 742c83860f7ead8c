#include "cli/events_file.h"

#include "engine/event_json.h"

namespace rota {

EventsFile::~EventsFile() {
  Flush();
  if (file_ != nullptr) std::fclose(file_);
}

bool EventsFile::Open(const std::string& path) {
  file_ = std::fopen(path.c_str(), "w");
  return file_ != nullptr;
}

void EventsFile::Publish(const Event& event) {
  if (file_ == nullptr) return;
  AppendEventJson(event, buffer_);
  buffer_.push_back('\n');
  if (buffer_.size() > (1 << 16)) Flush();
}

void EventsFile::Flush() {
  if (file_ == nullptr || buffer_.empty()) return;
  std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  std::fflush(file_);
  buffer_.clear();
}

}  // namespace rota
