// Recorder: turns what the server-mode engine does into the Store's records (DESIGN section 7:
// "persists every accepted change before it acknowledges"). It listens to the engine's events and
// run starts/ends, keeps the job records (with their spec text), and at the end of each loop batch
// commits everything of that batch as one ChangeSet: a natural group commit. Replies to clients
// wait for that commit.
//
// Loop thread only. The store and the engine must outlive it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/clock.h"
#include "engine/engine.h"
#include "engine/event.h"
#include "store/store.h"

namespace rota {

class Recorder final : public EventSink, public RunObserver {
 public:
  Recorder(Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  void set_engine(const Engine* engine) { engine_ = engine; }

  // A job the engine just accepted (state "pending"), or one loaded at start (any state).
  void JobAccepted(JobRecord record);
  // The user cancelled it: remembered as "cancelling" until job.cancelled, so a restart
  // finishes the cancellation.
  void CancelRequested(uint64_t job_id);
  // A finished job sent round again: recorded with a time between its runs' times, so a restart
  // replays it at the right point; the job's record is unfinished again.
  void JobRetried(uint64_t job_id);
  void AgentChanged(AgentRecord record);
  void ConfigChanged(const std::string& key, const std::string& value);
  // A run loaded at start that has not ended: its end will update this record.
  void RunLoaded(RunRecord record);

  const JobRecord* job(uint64_t id) const;
  // Run start and end times are strictly increasing (the clock's microseconds, bumped on ties and
  // if the clock steps back), so a restart can replay them in the order they happened. Set from
  // the store at start.
  void set_last_time(int64_t us) { last_time_us_ = us; }

  void Publish(const Event& event) override;
  void RunStarted(uint64_t run) override;
  void RunEnded(uint64_t run, RunOutcome outcome, int exit_code) override;

  bool has_changes() const { return !changes_.empty() || !dirty_jobs_.empty() || !dirty_runs_.empty(); }
  // Commits everything since the last successful commit. On success returns the events committed
  // (for the live stream); on failure keeps them all for the next attempt.
  Result<std::vector<EventRecord>> Commit();

 private:
  Store& store_;
  const Clock& clock_;
  const Engine* engine_ = nullptr;
  std::unordered_map<uint64_t, JobRecord> jobs_;
  std::unordered_map<uint64_t, RunRecord> runs_;   // runs not yet ended (and ended, until committed)
  std::set<uint64_t> dirty_jobs_;
  std::set<uint64_t> dirty_runs_;
  ChangeSet changes_;   // events, signals, config, agents of this batch
  int64_t last_time_us_ = 0;
  int64_t NextTime();
};

}  // namespace rota
