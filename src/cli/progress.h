// Progress: what `rota run` and `rota stop` show a person. On a terminal, a live table per pool
// (done/running/pending/failed/skipped) with elapsed time and ETA, redrawn in place; piped, one line
// per state change. Either way a failed run's last log lines are printed under its key.
// An EventSink on the engine loop thread; Tick() is called when the loop is idle.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "engine/engine.h"
#include "engine/event.h"

namespace rota {

struct ProgressOptions {
  bool tty = false;     // redraw a table in place instead of printing lines
  bool quiet = false;   // only failures and the summary
  int log_tail_lines = 20;
  std::string log_dir = ".rota/logs";  // where failed runs' logs are read from
};

class Progress final : public EventSink {
 public:
  Progress(std::FILE* out, ProgressOptions options);

  // REQUIRES: called before the first Tick(); the engine must outlive this object.
  void Attach(const Engine* engine) { engine_ = engine; }

  void Publish(const Event& event) override;
  void Flush() override;

  // Redraws the table (at most every 100 ms unless `force`).
  void Tick(bool force = false);
  // Clears the table and prints the final summary line.
  void Finish();

 private:
  void Line(const std::string& text);   // prints above the table
  void Draw();
  void Clear();
  void PrintLogTail(const Event& event);
  std::string Summary() const;

  std::FILE* out_;
  ProgressOptions options_;
  const Engine* engine_ = nullptr;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  int drawn_lines_ = 0;
};

// The last `n` lines of the file at `path` (at most 64 KiB of it), or "" if it cannot be read.
std::string TailOfFile(const std::string& path, int n);

}  // namespace rota
