#include "cli/progress.h"

#include <algorithm>
#include <fstream>

#include "exec/log_path.h"

namespace rota {
namespace {

std::string ClockText(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

std::string KeyOf(const Event& e) {
  std::string key = std::string(e.pool) + "/" + std::string(e.task);
  if (!e.frames.empty()) key += " [" + FormatFrames(e.frames) + "]";
  return key;
}

}  // namespace

std::string TailOfFile(const std::string& path, int n) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - (64 << 10));
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  size_t pos = text.size();
  for (int lines = 0; lines < n && pos != std::string::npos && pos > 0;) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) break;
    if (++lines == n) {
      ++pos;
      break;
    }
  }
  if (pos == std::string::npos || pos > text.size()) pos = 0;
  return text.substr(pos);
}

Progress::Progress(std::FILE* out, ProgressOptions options) : out_(out), options_(options) {}

void Progress::Line(const std::string& text) {
  Clear();
  std::fputs(text.c_str(), out_);
  std::fputc('\n', out_);
}

void Progress::Publish(const Event& e) {
  const bool always_shown = e.type == EventType::kTaskFailed || e.type == EventType::kStopFailed ||
                            e.type == EventType::kTaskRetrying;
  if (!always_shown && (options_.quiet || options_.tty)) return;  // the common, cheap case
  const std::string key = e.task.empty() ? "" : KeyOf(e);
  const std::string attempt = e.attempt > 1 ? " (attempt " + std::to_string(e.attempt) + ")" : "";
  const std::string why = e.reason.empty() ? "" : ": " + std::string(e.reason);
  switch (e.type) {
    case EventType::kTaskFailed:
    case EventType::kStopFailed:
      Line((e.type == EventType::kStopFailed ? "FAILED stop " : "FAILED ") + key + attempt + why);
      PrintLogTail(e);
      return;
    case EventType::kTaskRetrying:
      Line("retrying " + key + attempt + why);
      return;
    default:
      break;
  }
  if (options_.quiet || options_.tty) return;
  switch (e.type) {
    case EventType::kTaskStarted: Line("started " + key + attempt); break;
    case EventType::kTaskSucceeded: Line("done " + key); break;
    case EventType::kTaskTimedOut: Line("timed out " + key + why); break;
    case EventType::kTaskSkipped: Line("skipped " + key + why); break;
    case EventType::kTaskCancelled: Line("cancelled " + key); break;
    case EventType::kStopStarted: Line("stopping " + key); break;
    case EventType::kStopSucceeded: Line("stopped " + key); break;
    case EventType::kSignalPosted: Line("signal " + std::string(e.signal)); break;
    default: break;
  }
}

void Progress::PrintLogTail(const Event& e) {
  const std::string path = RunLogPath(options_.log_dir, e.job, e.task, e.instance, e.attempt);
  const std::string tail = TailOfFile(path, options_.log_tail_lines);
  if (tail.empty()) {
    Line("  (it printed nothing)");
    return;
  }
  std::string text;
  size_t start = 0;
  while (start <= tail.size()) {
    size_t end = tail.find('\n', start);
    if (end == std::string::npos) end = tail.size();
    text += "  | " + tail.substr(start, end - start) + "\n";
    start = end + 1;
  }
  text += "  log: " + path;
  Line(text);
}

void Progress::Flush() {
  if (!options_.tty) std::fflush(out_);
}

std::string Progress::Summary() const {
  if (engine_ == nullptr) return "";
  uint32_t done = 0, failed = 0, skipped = 0, cancelled = 0, running = 0, total = 0;
  for (const PoolView& p : engine_->Pools()) {
    done += p.count(InstanceStatus::kSucceeded);
    failed += p.count(InstanceStatus::kFailed);
    skipped += p.count(InstanceStatus::kSkipped);
    cancelled += p.count(InstanceStatus::kCancelled);
    running += p.count(InstanceStatus::kRunning);
    for (uint32_t c : p.by_status) total += c;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string s = std::to_string(done) + "/" + std::to_string(total) + " done";
  if (running) s += ", " + std::to_string(running) + " running";
  if (failed) s += ", " + std::to_string(failed) + " failed";
  if (skipped) s += ", " + std::to_string(skipped) + " skipped";
  if (cancelled) s += ", " + std::to_string(cancelled) + " cancelled";
  s += " in " + ClockText(elapsed);
  const uint32_t finished = done + failed + skipped + cancelled;
  if (finished < total && done > 0) {
    s += ", ETA " + ClockText(elapsed / finished * (total - finished));
  }
  return s;
}

void Progress::Clear() {
  if (drawn_lines_ == 0) return;
  std::fprintf(out_, "\x1b[%dA\x1b[J", drawn_lines_);
  drawn_lines_ = 0;
}

void Progress::Draw() {
  if (engine_ == nullptr) return;
  Clear();
  std::string text;
  char row[160];
  std::snprintf(row, sizeof row, "  %-16s %8s %8s %8s %8s %8s\n", "pool", "done", "running",
                "pending", "failed", "skipped");
  text += row;
  for (const PoolView& p : engine_->Pools()) {
    const uint32_t pending = p.count(InstanceStatus::kWaiting) + p.count(InstanceStatus::kReady) +
                             p.count(InstanceStatus::kBackoff);
    std::snprintf(row, sizeof row, "  %-16.16s %8u %8u %8u %8u %8u\n", p.name.c_str(),
                  p.count(InstanceStatus::kSucceeded), p.count(InstanceStatus::kRunning), pending,
                  p.count(InstanceStatus::kFailed),
                  p.count(InstanceStatus::kSkipped) + p.count(InstanceStatus::kCancelled));
    text += row;
  }
  text += "  " + Summary() + "\n";
  std::fputs(text.c_str(), out_);
  std::fflush(out_);
  drawn_lines_ = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

void Progress::Tick(bool force) {
  if (!options_.tty || options_.quiet) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void Progress::Finish() {
  Clear();
  std::fprintf(out_, "rota: %s\n", Summary().c_str());
  std::fflush(out_);
}

}  // namespace rota
