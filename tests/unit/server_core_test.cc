// ServerCore on a MemoryStore with a fake clock: propose, append, apply, answer; what a refused
// append answers and leaves behind; a restart from the log, and from a snapshot plus the log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api_codec.h"
#include "api/server_core.h"
#include "store/memory_store.h"

namespace rota {
namespace {

using json = nlohmann::json;

class RecordingExchange final : public HttpExchange {
 public:
  void Reply(HttpResponse response) override { replies.push_back(std::move(response)); }
  void StartStream(std::string, std::string) override {}
  void Send(std::string) override {}
  void End() override {}
  bool closed() const override { return false; }
  void OnClose(std::function<void()>) override {}
  std::vector<HttpResponse> replies;
};

ServerCoreOptions Options() {
  ServerCoreOptions o;
  o.engine.host = "";
  o.log_dir = "/nonexistent/logs";
  o.snapshots.every_changes = 0;   // only when a test asks
  o.snapshots.every = std::chrono::milliseconds(0);
  return o;
}

struct Served {
  int status = 0;
  json body;
};

class ServerCoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ServerCore> Start() {
    auto core = std::make_unique<ServerCore>(store_, clock_, Options());
    Result<Unit> restored = core->Restore();
    EXPECT_TRUE(restored.ok()) << restored.error().message;
    return core;
  }
  Served Submit(ServerCore& core, const std::string& text) {
    auto ex = std::make_shared<RecordingExchange>();
    Result<JobSpec> spec = DecodeSpec(text, "test");
    EXPECT_TRUE(spec.ok());
    core.Submit(std::move(spec).value(), text, ex);
    core.AfterBatch();
    EXPECT_EQ(ex->replies.size(), 1u);
    if (ex->replies.empty()) return {};
    return {ex->replies[0].status, json::parse(ex->replies[0].body)};
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
};

const char* kJob = "name: a\ntasks: [{name: t, command: 'true', frames: 1-3}]\n";

TEST_F(ServerCoreTest, ASubmissionIsAnsweredOnlyOnceAppendedAndApplied) {
  auto core = Start();
  const Served first = Submit(*core, kJob);
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(first.body["id"], 1);
  Result<std::vector<LogEntry>> log = store_.ReadFrom(0, 100);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u) << "this start's epoch, then the job";
  Result<Change> job = DecodeChange((*log)[1].bytes);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(std::get<change::JobSubmitted>(job->what).spec_text, kJob);
  EXPECT_EQ(Events().size(), 1u);   // job.submitted
}

TEST_F(ServerCoreTest, ARefusedAppendAnswers503AndAppliesNothing) {
  auto core = Start();
  ASSERT_EQ(Submit(*core, kJob).status, 201);
  store_.fail_appends = true;
  const Served refused = Submit(*core, kJob);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body["error"]["code"], "store_unavailable");
  EXPECT_EQ(core->engine().job_count(), 1u) << "nothing of the refused batch was applied";
  store_.fail_appends = false;
  const Served next = Submit(*core, kJob);
  EXPECT_EQ(next.status, 201);
  EXPECT_EQ(next.body["id"], 2) << "the refused job took no id";
}

TEST_F(ServerCoreTest, ARestartReplaysTheLogAndASnapshotShortensIt) {
  std::vector<std::string> events;
  {
    auto core = Start();
    Submit(*core, kJob);
    const uint64_t snapshot = core->snapshotter()->SnapshotNow();
    EXPECT_GT(snapshot, 0u);
    Submit(*core, "name: b\ntasks: [{name: u, command: 'true'}]\n");
    events = Events();
  }
  Result<std::optional<SnapshotRecord>> latest = store_.LatestSnapshot();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  Result<std::vector<LogEntry>> log = store_.ReadFrom(0, 100);
  ASSERT_TRUE(log.ok() && !log->empty());
  EXPECT_EQ(log->front().lsn, (*latest)->lsn + 1) << "the log below the snapshot is compacted";
  auto again = Start();
  ASSERT_EQ(again->engine().job_count(), 2u);
  EXPECT_EQ(again->engine().job(1).spec.name, "b");
  EXPECT_EQ(again->engine().epoch(), 3u) << "each start is a new epoch";
  EXPECT_EQ(Events(), events) << "nothing published again";
  EXPECT_EQ(Submit(*again, kJob).body["id"], 3);
}

// A restart derives events only from the log after its snapshot, so a snapshot taken while a
// change's events are not yet stored would lose them for good when the server dies (the seq gap
// RestartTest caught under ASAN).
TEST_F(ServerCoreTest, ASnapshotNeverCoversAChangeWhoseEventsAreNotStored) {
  {
    auto core = Start();
    store_.fail_event_writes = true;
    Submit(*core, kJob);
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
