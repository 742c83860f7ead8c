// RunJournal: the on-disk record of the runs in flight, so that an agent that restarts can find
// the process groups its predecessor left behind. One file, <work_dir>/runs/journal, mapped into
// memory: a header line, then fixed-size lines ("slots") of kSlot bytes, one per run in flight,
// each a `start` line padded with spaces. Recording a run fills a free slot and marks it used
// by writing its first byte last; removing it overwrites that byte with '-'. No system call per
// run: a write(2) per start and per end cost ~55 us each on a busy VM, as much as the HTTP round
// trip that reports the run. A process killed with -9 leaves the page cache behind, so the next
// agent reads every slot it had marked; a slot being filled when it died is not marked yet. No
// fsync: a run lost to a power cut is lost with its machine anyway.
// Open() reads what a previous process left (in this format, or the older one of `start` and
// `done` lines) and starts the file afresh with only the runs still in it.
// Thread-safety: any thread may Record and Remove (one mutex).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/transport.h"
#include "core/result.h"

namespace rota::agent {

struct JournalEntry {
  RunId run = 0;
  Epoch epoch = 0;
  pid_t pgid = 0;             // the run's process group (= its leader's pid); 0 when unknown
  uint64_t leader_start = 0;  // the leader's start, in ticks since boot (BootTicksNow right after
                              // the spawn), to spot a reused pid
  int64_t started_us = 0;     // wall clock, microseconds since the epoch
  std::string log_path;       // "" when the run has no log (or its path does not fit a slot)
};

class RunJournal {
 public:
  static constexpr size_t kSlot = 1024;   // bytes per line, the newline included

  explicit RunJournal(std::string dir) : dir_(std::move(dir)) {}
  ~RunJournal();
  RunJournal(const RunJournal&) = delete;
  RunJournal& operator=(const RunJournal&) = delete;

  // Creates the directory if needed and returns the runs the journal holds (left by a previous
  // agent process), by run id; the file is rewritten with only them and mapped. Error "journal".
  Result<std::vector<JournalEntry>> Open();

  // Records the run's start (a log path too long for a slot is left out). REQUIRES: Open()
  // succeeded. Error code "journal" when the file cannot grow.
  Result<Unit> Record(const JournalEntry& entry);
  // The run is done; nothing for a run not recorded.
  void Remove(RunId run);

  // The runs a journal directory holds, read only (tests, and diagnosis of a live agent).
  static Result<std::vector<JournalEntry>> Read(const std::string& dir);

  const std::string& dir() const { return dir_; }

 private:
  // REQUIRES: mu_ held. Maps the file with room for `slots` runs (growing the file).
  Result<Unit> Map(size_t slots);
  void Unmap();

  const std::string dir_;
  std::mutex mu_;
  int fd_ = -1;                                   // GUARDED_BY(mu_)
  char* map_ = nullptr;                           // GUARDED_BY(mu_); header + slots_ slots
  size_t slots_ = 0;                              // GUARDED_BY(mu_)
  std::vector<size_t> free_;                      // GUARDED_BY(mu_); free slot numbers
  std::unordered_map<RunId, size_t> slot_of_;     // GUARDED_BY(mu_)
};

// One `start` line (newline included) and back; ParseJournalLine fails (code "journal") on
// anything else. Trailing spaces (a slot's padding) are not part of the line.
std::string FormatJournalLine(const JournalEntry& entry);
Result<JournalEntry> ParseJournalLine(std::string_view line);

}  // namespace rota::agent
