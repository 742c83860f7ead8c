// ServerCore on a MemoryStore with a fake clock, in its typed values (no HTTP): propose, append,
// apply, answer; what a refused append answers and leaves behind; an agent's exit report that
// comes back with its next run; a restart from the log, and from a snapshot plus the log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api_codec.h"
#include "api/server_core.h"
#include "store/memory_store.h"

namespace rota {
namespace {

using json = nlohmann::json;

// Keeps what an Answer<T> was called with.
template <class T>
struct Captured {
  std::vector<Result<T>> results;
  Answer<T> answer() {
    return [this](Result<T> r) { results.push_back(std::move(r)); };
  }
  const T& value() const { return *results.at(0); }
};

ServerCoreOptions Options() {
  ServerCoreOptions o;
  o.engine.host = "";
  o.log_dir = "/nonexistent/logs";
  o.snapshots.every_changes = 0;   // only when a test asks
  o.snapshots.every = std::chrono::milliseconds(0);
  return o;
}

class ServerCoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerCore> Start() {
    auto core = std::make_unique<ServerCore>(store_, clock_, Options());
    core->set_event_publisher([this](std::vector<EventRecord> events, uint64_t) {
      for (EventRecord& e : events) published_.push_back(std::move(e.json));
    });
    Result<Unit> restored = core->Restore();
    EXPECT_TRUE(restored.ok()) << restored.error().message;
    return core;
  }
  Result<SubmitAnswer> Submit(ServerCore& core, const std::string& text) {
    Captured<SubmitAnswer> answer;
    Result<JobSpec> spec = DecodeSpec(text, "test");
    EXPECT_TRUE(spec.ok());
    core.Submit(std::move(spec).value(), text, answer.answer());
    EXPECT_TRUE(answer.results.empty()) << "answered before the batch was appended";
    core.AfterBatch();
    EXPECT_EQ(answer.results.size(), 1u);
    if (answer.results.empty()) return MakeError("none", "no answer");
    return answer.results[0];
  }
  void Register(ServerCore& core, const std::string& name, double cores) {
    Captured<wire::RegisterAnswer> answer;
    wire::Registration r;
    r.name = name;
    r.cores = cores;
    r.memory = int64_t{1} << 30;
    core.Register(r, answer.answer());
    core.AfterBatch();
    ASSERT_EQ(answer.results.size(), 1u);
    ASSERT_TRUE(answer.results[0].ok());
  }
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    Result<std::vector<EventRecord>> events = store_.EventsSince(0, 100000);
    EXPECT_TRUE(events.ok());
    if (events.ok()) {
      for (const EventRecord& e : *events) out.push_back(e.json);
    }
    return out;
  }

  MemoryStore store_;
  FakeClock clock_;
  std::vector<std::string> published_;   // what the live stream was given
};

const char* kJob = "name: a\ntasks: [{name: t, command: 'true', frames: 1-3}]\n";

TEST_F(ServerCoreTest, ASubmissionIsAnsweredOnlyOnceAppendedAndApplied) {
  auto core = Start();
  const Result<SubmitAnswer> first = Submit(*core, kJob);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->id, 1u);
  EXPECT_EQ(first->name, "a");
  Result<std::vector<LogEntry>> log = store_.ReadFrom(0, 100);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u) << "this start's epoch, then the job";
  Result<Change> job = DecodeChange((*log)[1].bytes);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(std::get<change::JobSubmitted>(job->what).spec_text, kJob);
  ASSERT_EQ(published_.size(), 1u) << "job.submitted, on the live stream before the answer";
  EXPECT_EQ(json::parse(published_[0])["type"], "job.submitted");
  core->AfterBatch();
  EXPECT_TRUE(Events().empty()) << "not at once: the next append takes them along";
  clock_.Advance(std::chrono::milliseconds(100));
  core->AfterBatch();   // idle long enough: the events go to the store on their own
  EXPECT_EQ(Events(), published_);
}

// A busy server stores the events a batch derived with its next append, not in a transaction of
// their own.
TEST_F(ServerCoreTest, EventsRideAlongWithTheNextAppend) {
  auto core = Start();
  ASSERT_TRUE(Submit(*core, kJob).ok());
  EXPECT_TRUE(Events().empty());
  ASSERT_TRUE(Submit(*core, "name: b\ntasks: [{name: u, command: 'true'}]\n").ok());
  ASSERT_EQ(Events().size(), 1u) << "the first job's, with the second's append";
  EXPECT_EQ(json::parse(Events()[0])["job"], "a");
}

TEST_F(ServerCoreTest, ARefusedAppendAnswersStoreUnavailableAndAppliesNothing) {
  auto core = Start();
  ASSERT_TRUE(Submit(*core, kJob).ok());
  store_.fail_appends = true;
  const Result<SubmitAnswer> refused = Submit(*core, kJob);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "store_unavailable");
  EXPECT_EQ(core->engine().job_count(), 1u) << "nothing of the refused batch was applied";
  store_.fail_appends = false;
  const Result<SubmitAnswer> next = Submit(*core, kJob);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->id, 2u) << "the refused job took no id";
}

TEST_F(ServerCoreTest, AJobIsFoundByIdOrNewestNameAndUnknownOnesAreNotFound) {
  auto core = Start();
  ASSERT_TRUE(Submit(*core, kJob).ok());
  ASSERT_TRUE(Submit(*core, kJob).ok());
  Captured<JobDetail> by_name, by_id, unknown;
  core->ShowJob("a", by_name.answer());
  core->ShowJob("1", by_id.answer());
  core->ShowJob("zzz", unknown.answer());
  core->AfterBatch();
  EXPECT_EQ(by_name.value().summary.id, 2u);
  EXPECT_EQ(by_id.value().summary.id, 1u);
  ASSERT_EQ(by_id.value().tasks.size(), 1u);
  EXPECT_EQ(by_id.value().tasks[0].instances.size(), 3u);
  EXPECT_EQ(by_id.value().tasks[0].instances[2].frames, "3");
  ASSERT_FALSE(unknown.results.at(0).ok());
  EXPECT_EQ(unknown.results[0].error().code, "not_found");
}

TEST_F(ServerCoreTest, RetryRefusesAJobThatHasNotFinished) {
  auto core = Start();
  ASSERT_TRUE(Submit(*core, kJob).ok());
  Captured<JobSummary> retried;
  core->RetryJob("1", retried.answer());
  core->AfterBatch();
  ASSERT_FALSE(retried.results.at(0).ok());
  EXPECT_EQ(retried.results[0].error().code, "not_finished");
  Captured<JobSummary> cancelled;
  core->CancelJob("1", cancelled.answer());
  core->AfterBatch();
  EXPECT_EQ(cancelled.value().state, "cancelled");
}

// The agents' fast path: a request for work that carries exit reports is answered after the
// batch's cycle, with the results of its reports and the run the freed room was given to.
TEST_F(ServerCoreTest, AnExitReportComesBackWithTheNextRunInTheSameAnswer) {
  auto core = Start();
  Register(*core, "h1", 1);
  ASSERT_TRUE(Submit(*core, kJob).ok());
  Captured<wire::WorkAnswer> first;
  core->Work("h1", WorkRequest{{}, 10, /*wait=*/true, 1}, first.answer(), nullptr);
  core->AfterBatch();
  ASSERT_EQ(first.results.size(), 1u);
  ASSERT_EQ(first.value().assign.size(), 1u) << "one core: one run at a time";
  const wire::Assignment run = first.value().assign[0];
  EXPECT_EQ(run.frames, "1");

  wire::RunReport report;
  report.run = run.run;
  report.epoch = run.epoch;
  wire::RunReport stale = report;
  stale.run = 999;
  Captured<wire::WorkAnswer> second;
  core->Work("h1", WorkRequest{{report, stale}, 10, /*wait=*/true, 2}, second.answer(), nullptr);
  EXPECT_TRUE(second.results.empty());
  core->AfterBatch();
  ASSERT_EQ(second.results.size(), 1u);
  const wire::WorkAnswer& answer = second.value();
  ASSERT_EQ(answer.results.size(), 2u);
  EXPECT_TRUE(answer.results[0].ok);
  EXPECT_FALSE(answer.results[1].ok);
  EXPECT_EQ(answer.results[1].error, "stale_run");
  ASSERT_EQ(answer.assign.size(), 1u) << "the next run, in the answer to the report";
  EXPECT_EQ(answer.assign[0].frames, "2");
}

TEST_F(ServerCoreTest, AWaitingPollParksUntilWorkArrivesAndANewerOneReplacesIt) {
  auto core = Start();
  Register(*core, "h1", 4);
  Captured<wire::WorkAnswer> older, newer;
  core->Work("h1", WorkRequest{{}, 10, true, 1}, older.answer(), nullptr);
  core->AfterBatch();
  EXPECT_TRUE(older.results.empty()) << "nothing to do: parked";
  core->Work("h1", WorkRequest{{}, 10, true, 2}, newer.answer(), nullptr);
  core->AfterBatch();
  ASSERT_EQ(older.results.size(), 1u) << "answered, empty, by the newer poll";
  EXPECT_TRUE(older.value().assign.empty());
  EXPECT_TRUE(newer.results.empty());
  ASSERT_TRUE(Submit(*core, kJob).ok());
  ASSERT_EQ(newer.results.size(), 1u);
  EXPECT_EQ(newer.value().assign.size(), 3u);
  Captured<wire::WorkAnswer> unknown;
  core->Work("nobody", WorkRequest{}, unknown.answer(), nullptr);
  core->AfterBatch();
  EXPECT_EQ(unknown.results.at(0).error().code, "not_found");
}

TEST_F(ServerCoreTest, ARestartReplaysTheLogAndASnapshotShortensIt) {
  std::vector<std::string> events;
  {
    auto core = Start();
    ASSERT_TRUE(Submit(*core, kJob).ok());
    const uint64_t snapshot = core->snapshotter()->SnapshotNow();
    EXPECT_GT(snapshot, 0u);
    ASSERT_TRUE(Submit(*core, "name: b\ntasks: [{name: u, command: 'true'}]\n").ok());
    events = published_;
  }   // dies with the last events not stored yet
  Result<std::optional<SnapshotRecord>> latest = store_.LatestSnapshot();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  Result<std::vector<LogEntry>> log = store_.ReadFrom(0, 100);
  ASSERT_TRUE(log.ok() && !log->empty());
  EXPECT_EQ(log->front().lsn, (*latest)->lsn + 1) << "the log below the snapshot is compacted";
  auto again = Start();
  ASSERT_EQ(again->engine().job_count(), 2u);
  EXPECT_EQ(again->engine().job(1).spec.name, "b");
  EXPECT_EQ(again->engine().epoch(), 3u) << "each start is a new epoch";
  EXPECT_EQ(Events(), events) << "what was published, derived again the same, once";
  EXPECT_EQ(Submit(*again, kJob)->id, 3u);
}

// A restart derives events only from the log after its snapshot, so a snapshot taken while a
// change's events are not yet stored would lose them for good when the server dies (the seq gap
// RestartTest caught under ASAN).
TEST_F(ServerCoreTest, ASnapshotNeverCoversAChangeWhoseEventsAreNotStored) {
  {
    auto core = Start();
    store_.fail_event_writes = true;
    ASSERT_TRUE(Submit(*core, kJob).ok());
    EXPECT_TRUE(Events().empty());
    EXPECT_LT(core->snapshotter()->SnapshotNow(), 2u) << "the snapshot covers the job whose events are unstored";
  }   // dies with job.submitted unstored
  store_.fail_event_writes = false;
  auto again = Start();
  ASSERT_EQ(again->engine().job_count(), 1u);
  const std::vector<std::string> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(json::parse(events[0])["type"], "job.submitted");
  EXPECT_EQ(json::parse(events[0])["seq"], 1);
}

}  // namespace
}  // namespace rota
