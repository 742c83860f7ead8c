// RunJournal: the on-disk record of the runs in flight, so that an agent that restarts can find
// the process groups its predecessor left behind. One append-only file, <work_dir>/runs/journal:
// a `start` line when a run was launched (written before it is reported as started) and a `done`
// line once its exit report was accepted, each one write(2) (a file per run cost four metadata
// operations per run). Open() reads what a previous process left and starts the file afresh with
// only the runs still in it; later, once enough `done` lines piled up, the file is rewritten the
// same way. A line cut short by a crash is skipped. No fsync: a run lost to a power cut is lost
// with its machine anyway.
// Thread-safety: any thread may Record and Remove (one mutex).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/transport.h"
#include "core/result.h"

namespace rota::agent {

struct JournalEntry {
  RunId run = 0;
  Epoch epoch = 0;
  pid_t pgid = 0;             // the run's process group (= its leader's pid); 0 when unknown
  uint64_t leader_start = 0;  // the leader's start time (/proc/PID/stat), to spot a reused pid
  int64_t started_us = 0;     // wall clock, microseconds since the epoch
  std::string log_path;       // "" when the run has no log
};

class RunJournal {
 public:
  explicit RunJournal(std::string dir) : dir_(std::move(dir)) {}
  ~RunJournal();
  RunJournal(const RunJournal&) = delete;
  RunJournal& operator=(const RunJournal&) = delete;

  // Creates the directory if needed and returns the runs the journal holds (left by a previous
  // agent process), by run id; the file is rewritten with only them and kept open for appends.
  // Error code "journal".
  Result<std::vector<JournalEntry>> Open();

  // Appends the run's start. REQUIRES: Open() succeeded. Error code "journal".
  Result<Unit> Record(const JournalEntry& entry);
  // Appends that the run is done; nothing for a run not recorded.
  void Remove(RunId run);

  // The runs a journal directory holds, read only (tests, and diagnosis of a live agent).
  static Result<std::vector<JournalEntry>> Read(const std::string& dir);

  const std::string& dir() const { return dir_; }

  // Done lines after which the file is rewritten with the runs still live.
  static constexpr size_t kRewriteAfter = 4096;

 private:
  Result<Unit> Rewrite();  // REQUIRES: mu_ held

  const std::string dir_;
  std::mutex mu_;
  int fd_ = -1;                          // GUARDED_BY(mu_)
  std::map<RunId, std::string> live_;    // GUARDED_BY(mu_); run -> its start line
  size_t done_lines_ = 0;                // GUARDED_BY(mu_); since the last rewrite
};

// One `start` line (newline included) and back; ParseJournalLine fails (code "journal") on
// anything else.
std::string FormatJournalLine(const JournalEntry& entry);
Result<JournalEntry> ParseJournalLine(std::string_view line);

}  // namespace rota::agent
