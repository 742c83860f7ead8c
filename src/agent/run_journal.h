// RunJournal: the on-disk record of the runs in flight, one small file per run in
// <work_dir>/runs/, so that an agent that restarts can find the process groups its predecessor
// left behind. Written before a run is reported as started, removed once its exit report was
// accepted. No fsync: a run lost to a power cut is lost with its machine anyway.
// Thread-safety: any thread may Record and Remove (each run has its own file).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agent/protocol.h"
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

  // Creates the directory if needed and returns the entries already in it (left by a previous
  // agent process), by run id. Unreadable files are skipped. Error code "journal".
  Result<std::vector<JournalEntry>> Open();

  // Writes the entry (a temporary file renamed into place: never half an entry). Error "journal".
  Result<Unit> Record(const JournalEntry& entry);
  void Remove(RunId run);

  const std::string& dir() const { return dir_; }

 private:
  std::string PathOf(RunId run) const;

  const std::string dir_;
};

// The text of an entry and back; ParseJournalEntry fails (code "journal") on anything else.
std::string FormatJournalEntry(const JournalEntry& entry);
Result<JournalEntry> ParseJournalEntry(const std::string& text);

}  // namespace rota::agent
