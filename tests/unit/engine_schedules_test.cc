// Periodic schedules, watchdogs, hook cursors and jobs that wait for jobs in the engine (issue 11),
// with the time of every change given by the test: a slot fires once whatever is proposed twice,
// catch-up after three days down, the start window, each overlap policy, a crash between proposing
// and applying, a clock stepped back, jitter, and all of it through a snapshot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "calendar/rfc3339.h"
#include "engine/engine.h"
#include "spec/spec_parser.h"
#include "support/fake_launcher.h"
#include "support/host_launcher.h"
#include "support/job_builder.h"

namespace rota {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kMinute = 60, kHour = 3600, kDay = 86400;
// 2026-03-02T00:00:00Z, a Monday.
constexpr int64_t kT0 = 1772409600;

EngineOptions ServerOptions() {
  EngineOptions o;
  o.placement = true;
  return o;
}

std::shared_ptr<const ScheduleDef> Def(const std::string& json) {
  Result<ScheduleDef> def = ParseScheduleDef(json);
  EXPECT_TRUE(def.ok()) << def.error().message;
  return std::make_shared<const ScheduleDef>(std::move(*def));
}

std::shared_ptr<const ExpectationDef> Expect(const std::string& json) {
  Result<ExpectationDef> def = ParseExpectationDef(json);
  EXPECT_TRUE(def.ok()) << def.error().message;
  return std::make_shared<const ExpectationDef>(std::move(*def));
}

std::string Schedule(const std::string& name, const std::string& cron, const std::string& extra = "") {
  return R"({"name":")" + name + R"(","cron":")" + cron +
         R"(","job":"name: x\ntasks:\n  - {name: t, command: \"true\"}\n")" + extra + "}";
}

class EngineSchedulesTest : public ::testing::Test {
 protected:
  EngineSchedulesTest() { engine_ = NewEngine(); }
  ~EngineSchedulesTest() override { engine_->StopCycles(); }

  std::unique_ptr<Engine> NewEngine() {
    EngineOptions o;
    o.placement = true;
    o.host = "";
    auto engine = std::make_unique<Engine>(clock_, launcher_, sink_, o);
    HostInfo h;
    h.name = "n1";
    h.total = {64, int64_t{64} << 30, 0};
    engine->Apply(Change{kT0 * 1000000 - 1000000, change::HostRegistered{h}});
    return engine;
  }
  void Apply(int64_t at, decltype(Change::what) what) { engine_->Apply(Change{at * 1000000, std::move(what)}); }
  void Set(int64_t at, const std::string& json) {
    auto def = Def(json);
    Apply(at, change::ScheduleSet{def, ScheduleDefJson(*def), ""});
  }
  // What the holder of the schedules lease proposes at `at` (unix seconds).
  std::vector<Change> Due(int64_t at) const {
    std::vector<Change> out;
    for (Change& c : engine_->DueChanges(at * 1000000, TimePoint{})) {
      if (std::holds_alternative<change::ScheduleFired>(c.what) || std::holds_alternative<change::ScheduleMissed>(c.what) ||
          std::holds_alternative<change::ExpectationDue>(c.what)) {
        out.push_back(std::move(c));
      }
    }
    return out;
  }
  // A loop turn at `at`: what is due, applied.
  void Tick(int64_t at) {
    for (const Change& c : Due(at)) engine_->Apply(c);
  }
  // The jobs schedule `name` fired, by name, in id order.
  std::vector<std::string> Fired() const {
    std::vector<std::string> names;
    for (JobId id = 0; id < engine_->job_count(); ++id) {
      const JobState* job = engine_->find_job(id);
      if (job != nullptr && !job->schedule.empty()) names.push_back(job->spec.name);
    }
    return names;
  }
  std::vector<std::string> Events(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const std::string& line : sink_.lines) {
      if (line.find("\"type\":\"" + prefix) != std::string::npos) out.push_back(line);
    }
    return out;
  }
  // Runs every ready instance and ends each with `code`.
  void RunAll(int code, int64_t at) {
    engine_->RunCycle();
    for (const RunToken& run : engine_->ActiveRuns("n1")) {
      RunExit exit;
      exit.run = run.run;
      exit.exit_code = code;
      Apply(at, change::RunEnded{exit, run.epoch, "n1"});
    }
  }
  const ScheduleState& State(const std::string& name) const { return engine_->schedules().at(name); }

  FakeClock clock_;
  HostLauncher launcher_;
  RecordingSink sink_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineSchedulesTest, EachSlotFiresOnceAsTheJobNamedBySlot) {
  Set(kT0, Schedule("every-minute", "* * * * *"));
  EXPECT_THAT(Due(kT0 + 59), IsEmpty());
  Tick(kT0 + kMinute);
  Tick(kT0 + kMinute);   // the same turn again: nothing new
  Tick(kT0 + 2 * kMinute + 1);
  EXPECT_THAT(Fired(), ElementsAre("every-minute@2026-03-02T00:01:00Z", "every-minute@2026-03-02T00:02:00Z"));
  ASSERT_EQ(Events("schedule.fired").size(), 2u);
  EXPECT_THAT(Events("schedule.fired")[0], HasSubstr(R"("job":"every-minute@2026-03-02T00:01:00Z")"));
  EXPECT_THAT(Events("schedule.fired")[0], HasSubstr(R"("schedule":"every-minute","slot":"2026-03-02T00:01:00Z")"));
  EXPECT_THAT(Events("job.submitted")[0], HasSubstr(R"("schedule":"every-minute")"));
  EXPECT_EQ(State("every-minute").last_slot, kT0 + 2 * kMinute);
  EXPECT_EQ(*State("every-minute").next_due, kT0 + 3 * kMinute);
}

TEST_F(EngineSchedulesTest, ACrashBetweenProposingAndApplyingFiresTheSlotOnce) {
  Set(kT0, Schedule("s", "*/5 * * * *"));
  const std::vector<Change> proposed = Due(kT0 + 5 * kMinute);   // proposed, then the server died
  ASSERT_EQ(proposed.size(), 1u);
  // The restarted server (the snapshot before the proposal) proposes the same slot again ...
  const std::string snapshot = engine_->EncodeSnapshot();
  engine_->StopCycles();
  engine_ = std::make_unique<Engine>(clock_, launcher_, sink_, ServerOptions());
  ASSERT_TRUE(engine_->LoadSnapshot(snapshot).ok());
  const std::vector<Change> again = Due(kT0 + 5 * kMinute + 3);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(std::get<change::ScheduleFired>(again[0].what).slot, std::get<change::ScheduleFired>(proposed[0].what).slot);
  // ... and both reach the log (the first append did land after all): the second is dropped.
  engine_->Apply(proposed[0]);
  engine_->Apply(again[0]);
  EXPECT_THAT(Fired(), ElementsAre("s@2026-03-02T00:05:00Z"));
  EXPECT_EQ(engine_->dropped().at("schedule_fired"), 1u);
}

TEST_F(EngineSchedulesTest, AClockSteppedBackFiresNothingTwice) {
  Set(kT0, Schedule("hourly", "0 * * * *"));
  Tick(kT0 + kHour);
  Tick(kT0 + 2 * kHour);
  EXPECT_THAT(Fired(), ElementsAre("hourly@2026-03-02T01:00:00Z", "hourly@2026-03-02T02:00:00Z"));
  Tick(kT0 + kHour + 30);   // the clock went back an hour
  Tick(kT0 + 2 * kHour + 10);
  // A stale proposal from before the step is dropped too.
  Apply(kT0 + kHour, change::ScheduleFired{"hourly", kT0 + kHour, false});
  EXPECT_THAT(Fired(), ElementsAre("hourly@2026-03-02T01:00:00Z", "hourly@2026-03-02T02:00:00Z"));
  Tick(kT0 + 3 * kHour);
  EXPECT_THAT(Fired(), ElementsAre("hourly@2026-03-02T01:00:00Z", "hourly@2026-03-02T02:00:00Z",
                                   "hourly@2026-03-02T03:00:00Z"));
}

TEST_F(EngineSchedulesTest, ThreeDaysDownEachCatchUpPolicy) {
  Set(kT0, Schedule("skip", "0 * * * *", R"(,"catch_up":"skip")"));
  Set(kT0, Schedule("once", "0 * * * *", R"(,"catch_up":"once")"));
  Set(kT0, Schedule("all", "0 * * * *", R"(,"catch_up":"all","catch_up_max":5)"));
  Tick(kT0 + 3 * kDay + 10 * kMinute);   // 72 slots passed; the last, 72:00, 10 minutes ago
  std::map<std::string, std::vector<std::string>> by_schedule;
  for (const std::string& name : Fired()) by_schedule[name.substr(0, name.find('@'))].push_back(name);
  EXPECT_THAT(by_schedule["skip"], IsEmpty());
  EXPECT_THAT(by_schedule["once"], ElementsAre("once@2026-03-05T00:00:00Z"));
  EXPECT_THAT(by_schedule["all"], ElementsAre("all@2026-03-04T20:00:00Z", "all@2026-03-04T21:00:00Z",
                                              "all@2026-03-04T22:00:00Z", "all@2026-03-04T23:00:00Z",
                                              "all@2026-03-05T00:00:00Z"));
  EXPECT_EQ(State("skip").missed, 72u);
  EXPECT_EQ(State("once").missed, 71u);
  EXPECT_EQ(State("all").missed, 67u);
  const std::vector<std::string> missed = Events("schedule.missed");   // one per schedule, with the count
  ASSERT_EQ(missed.size(), 3u);
  EXPECT_THAT(missed, Contains(AllOf(HasSubstr(R"("schedule":"skip")"), HasSubstr(R"("count":72)"),
                                     HasSubstr("72 slots from 2026-03-02T01:00:00Z to 2026-03-05T00:00:00Z"))));
  EXPECT_THAT(missed, Contains(AllOf(HasSubstr(R"("schedule":"once")"), HasSubstr(R"("count":71)"))));
  for (const char* name : {"skip", "once", "all"}) EXPECT_EQ(State(name).last_slot, kT0 + 3 * kDay) << name;
}

TEST_F(EngineSchedulesTest, ASlotOlderThanTheStartWindowIsMissedNotRun) {
  Set(kT0, Schedule("w", "0 * * * *", R"(,"start_window":"30m")"));
  Tick(kT0 + kHour + 45 * kMinute);   // the 01:00 slot is 45 minutes old
  EXPECT_THAT(Fired(), IsEmpty());
  EXPECT_EQ(State("w").missed, 1u);
  Tick(kT0 + 2 * kHour + 20 * kMinute);   // 20 minutes late: inside the window, caught up
  EXPECT_THAT(Fired(), ElementsAre("w@2026-03-02T02:00:00Z"));
}

TEST_F(EngineSchedulesTest, MoreThanTenThousandMissedSlotsAreOneEventWithTheCount) {
  Set(kT0, Schedule("m", "* * * * *", R"(,"catch_up":"skip")"));
  Tick(kT0 + 30 * kDay);   // 43,200 minutes
  ASSERT_EQ(Events("schedule.missed").size(), 1u);
  EXPECT_THAT(sink_.reasons.at("schedule.missed"), HasSubstr("more than"));
  EXPECT_GE(State("m").missed, 10000u);
  EXPECT_EQ(State("m").last_slot, kT0 + 30 * kDay);
  // Due slots up to a minute old are on time, not missed: the last two run.
  EXPECT_THAT(Fired(), ElementsAre("m@2026-03-31T23:59:00Z", "m@2026-04-01T00:00:00Z"));
}

TEST_F(EngineSchedulesTest, OverlapForbidSkipsWhileTheLastJobRuns) {
  Set(kT0, Schedule("f", "* * * * *", R"(,"overlap":"forbid")"));
  Tick(kT0 + kMinute);
  engine_->RunCycle();   // running now
  Tick(kT0 + 2 * kMinute);
  EXPECT_THAT(Fired(), ElementsAre("f@2026-03-02T00:01:00Z"));
  ASSERT_EQ(Events("schedule.skipped").size(), 1u);
  EXPECT_THAT(sink_.reasons.at("schedule.skipped"), HasSubstr("f@2026-03-02T00:01:00Z (#1) is unfinished (overlap: forbid)"));
  RunAll(0, kT0 + 2 * kMinute + 5);
  Tick(kT0 + 3 * kMinute);
  EXPECT_THAT(Fired(), ElementsAre("f@2026-03-02T00:01:00Z", "f@2026-03-02T00:03:00Z"));
  EXPECT_EQ(State("f").last_success_us, (kT0 + 2 * kMinute + 5) * 1000000);
}

TEST_F(EngineSchedulesTest, OverlapReplaceCancelsTheLastJob) {
  Set(kT0, Schedule("r", "* * * * *", R"(,"overlap":"replace")"));
  Tick(kT0 + kMinute);
  engine_->RunCycle();
  Tick(kT0 + 2 * kMinute);
  EXPECT_THAT(Fired(), ElementsAre("r@2026-03-02T00:01:00Z", "r@2026-03-02T00:02:00Z"));
  EXPECT_TRUE(engine_->job(0).stopping);
  EXPECT_THAT(launcher_.signals, ElementsAre(std::pair<RunId, int>{1, SIGTERM}));
}

TEST_F(EngineSchedulesTest, OverlapQueueHoldsSlotsUpToQueueMax) {
  Set(kT0, Schedule("q", "* * * * *", R"(,"overlap":"queue","queue_max":1)"));
  Tick(kT0 + kMinute);
  engine_->RunCycle();
  Tick(kT0 + 2 * kMinute);   // held
  Tick(kT0 + 3 * kMinute);   // the queue is full: skipped
  EXPECT_THAT(Fired(), ElementsAre("q@2026-03-02T00:01:00Z"));
  EXPECT_EQ(State("q").queued.size(), 1u);
  EXPECT_EQ(Events("schedule.skipped").size(), 1u);
  RunAll(0, kT0 + 3 * kMinute + 10);   // the first ends: the held slot fires
  EXPECT_THAT(Fired(), ElementsAre("q@2026-03-02T00:01:00Z", "q@2026-03-02T00:02:00Z"));
}

TEST_F(EngineSchedulesTest, OverlapAllowRunsBoth) {
  Set(kT0, Schedule("a", "* * * * *"));
  Tick(kT0 + kMinute);
  engine_->RunCycle();
  Tick(kT0 + 2 * kMinute);
  engine_->RunCycle();
  EXPECT_EQ(engine_->ActiveRuns("n1").size(), 2u);
}

TEST_F(EngineSchedulesTest, JitterDelaysEachSlotStablyAndBelowTheNextSlot) {
  Set(kT0, Schedule("j", "0 * * * *", R"(,"jitter":"10m")"));
  const int64_t due = *State("j").next_due;
  EXPECT_GE(due, kT0 + kHour);
  EXPECT_LT(due, kT0 + kHour + 10 * kMinute);
  EXPECT_THAT(Due(due - 1), IsEmpty());
  Tick(due);
  EXPECT_THAT(Fired(), ElementsAre("j@2026-03-02T01:00:00Z")) << "named by its slot, not its jittered time";
  auto other = NewEngine();   // another server computes the same delay
  auto def = Def(Schedule("j", "0 * * * *", R"(,"jitter":"10m")"));
  other->Apply(Change{kT0 * 1000000, change::ScheduleSet{def, ScheduleDefJson(*def), ""}});
  EXPECT_EQ(*other->schedules().at("j").next_due, due);
  other->StopCycles();
}

TEST_F(EngineSchedulesTest, AnEditReAnchorsAndPauseResumeSkipsThePausedSlots) {
  Set(kT0, Schedule("e", "0 * * * *"));
  Set(kT0 + 5 * kHour + 30 * kMinute, Schedule("e", "30 * * * *"));   // edited after 5 hours down
  Tick(kT0 + 5 * kHour + 31 * kMinute);
  EXPECT_THAT(Fired(), IsEmpty()) << "slots before the edit are not caught up";
  Tick(kT0 + 6 * kHour + 30 * kMinute);
  EXPECT_THAT(Fired(), ElementsAre("e@2026-03-02T06:30:00Z"));
  Apply(kT0 + 6 * kHour + 40 * kMinute, change::SchedulePaused{"e", true});
  EXPECT_FALSE(State("e").next_due.has_value());
  EXPECT_THAT(Due(kT0 + 9 * kHour), IsEmpty());
  Apply(kT0 + 9 * kHour + 40 * kMinute, change::SchedulePaused{"e", false});
  Tick(kT0 + 9 * kHour + 41 * kMinute);
  EXPECT_THAT(Fired(), ElementsAre("e@2026-03-02T06:30:00Z"));
  Tick(kT0 + 10 * kHour + 30 * kMinute);
  EXPECT_THAT(Fired(), ElementsAre("e@2026-03-02T06:30:00Z", "e@2026-03-02T10:30:00Z"));
}

TEST_F(EngineSchedulesTest, ATriggerFiresNowOutsideTheSlotsOncePerSecond) {
  Set(kT0, Schedule("t", "0 0 1 1 *"));
  Apply(kT0 + 100, change::ScheduleFired{"t", kT0 + 100, true});
  Apply(kT0 + 100, change::ScheduleFired{"t", kT0 + 100, true});
  EXPECT_THAT(Fired(), ElementsAre("t@2026-03-02T00:01:40Z"));
  EXPECT_EQ(State("t").last_slot, 0) << "a trigger is not a slot";
}

TEST_F(EngineSchedulesTest, SchedulesSurviveASnapshotAndGoOnAsBefore) {
  Set(kT0, Schedule("a", "* * * * *", R"(,"overlap":"queue","queue_max":2)"));
  Set(kT0, Schedule("b", "*/2 * * * *", R"(,"jitter":"30s")"));
  Tick(kT0 + kMinute);
  engine_->RunCycle();
  Tick(kT0 + 2 * kMinute + 40);
  const std::string snapshot = engine_->EncodeSnapshot();
  auto restored = std::make_unique<Engine>(clock_, launcher_, sink_, ServerOptions());
  ASSERT_TRUE(restored->LoadSnapshot(snapshot).ok());
  EXPECT_EQ(restored->EncodeSnapshot(), snapshot);
  EXPECT_EQ(restored->schedules().at("a").queued.size(), 1u);
  EXPECT_EQ(restored->job(0).spec.name, "a@2026-03-02T00:01:00Z");
  EXPECT_EQ(restored->job(0).schedule, "a");
  std::vector<Change> here = engine_->DueChanges((kT0 + 4 * kMinute + 30) * 1000000, TimePoint{});
  std::vector<Change> there = restored->DueChanges((kT0 + 4 * kMinute + 30) * 1000000, TimePoint{});
  ASSERT_EQ(here.size(), there.size());
  for (size_t i = 0; i < here.size(); ++i) EXPECT_EQ(EncodeChange(here[i]), EncodeChange(there[i]));
  restored->StopCycles();
}

TEST_F(EngineSchedulesTest, OnlyTheHolderOfTheSchedulesLeaseProposesFiringsAndAlerts) {
  Set(kT0, Schedule("s", "* * * * *"));
  auto def = Expect(R"({"name":"x","every":"10s","match":"job.succeeded"})");
  Apply(kT0, change::ExpectationSet{def, ExpectationDefJson(*def)});
  engine_->SetOwnedLeases(std::map<std::string, uint64_t>{{"*farm", 1}});
  EXPECT_THAT(Due(kT0 + kHour), IsEmpty());
  engine_->SetOwnedLeases(std::map<std::string, uint64_t>{{change::kSchedulesLease, 2}});
  std::set<std::string> kinds;
  for (const Change& c : Due(kT0 + kHour)) kinds.insert(ChangeKindName(c));
  EXPECT_THAT(kinds, ElementsAre("expectation_due", "schedule_fired", "schedule_missed"));
}

TEST_F(EngineSchedulesTest, ChangesRoundTripThroughTheLogEncoding) {
  auto def = Def(Schedule("c", "@daily", R"(,"timezone":"Europe/Berlin","overlap":"queue")"));
  for (const Change& c : {Change{5, change::ScheduleSet{def, ScheduleDefJson(*def), "logs"}},
                          Change{6, change::ScheduleFired{"c", kT0, true}},
                          Change{7, change::ScheduleMissed{"c", kT0, kT0 + kDay, 2, true}},
                          Change{8, change::SchedulePaused{"c", true}}, Change{9, change::ScheduleRemoved{"c"}},
                          Change{10, change::HookDelivered{"h", 77}}}) {
    Result<Change> back = DecodeChange(EncodeChange(c));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(EncodeChange(*back), EncodeChange(c));
  }
}

// --- Watchdogs -----------------------------------------------------------------------------


TEST_F(EngineSchedulesTest, AWatchdogRaisesOneAlertPerEpisodeAndResolvesOnTheEvent) {
  auto def = Expect(R"({"name":"backup","every":"1h","grace":"10m","match":"job.succeeded:job=nightly"})");
  Apply(kT0, change::ExpectationSet{def, ExpectationDefJson(*def)});
  EXPECT_EQ(engine_->expectations().at("backup").late_us, (kT0 + kHour) * 1000000);
  EXPECT_THAT(Due(kT0 + kHour + 9 * kMinute), IsEmpty());
  Tick(kT0 + kHour + 10 * kMinute);
  Tick(kT0 + kHour + 11 * kMinute);
  Tick(kT0 + 5 * kHour);
  ASSERT_EQ(Events("alert.raised").size(), 1u) << "once per episode";
  EXPECT_THAT(Events("alert.raised")[0], HasSubstr(R"("watchdog":"backup")"));
  EXPECT_THAT(sink_.reasons.at("alert.raised"), HasSubstr("no job.succeeded:job=nightly since 2026-03-02T00:00:00Z"));
  // The schedule `nightly` fires a job that succeeds: job=nightly matches nightly@SLOT.
  Set(kT0 + 5 * kHour, Schedule("nightly", "0 * * * *"));
  Tick(kT0 + 6 * kHour);
  RunAll(0, kT0 + 6 * kHour + 30);
  ASSERT_EQ(Events("alert.resolved").size(), 1u);
  EXPECT_FALSE(engine_->expectations().at("backup").down);
  EXPECT_EQ(engine_->expectations().at("backup").since_us, (kT0 + 6 * kHour + 30) * 1000000);
  Tick(kT0 + 7 * kHour + 11 * kMinute);   // the next episode
  EXPECT_EQ(Events("alert.raised").size(), 2u);
  EXPECT_EQ(engine_->expectations().at("backup").alerts, 2u);
}

TEST_F(EngineSchedulesTest, AWatchdogOnACronExpectsTheEventAfterEachSlot) {
  auto def = Expect(R"({"name":"report","cron":"0 9 * * 1-5","grace":"30m","match":"signal.posted:signal=report/done"})");
  Apply(kT0, change::ExpectationSet{def, ExpectationDefJson(*def)});
  EXPECT_EQ(engine_->expectations().at("report").deadline_us, (kT0 + 9 * kHour + 30 * kMinute) * 1000000);
  Apply(kT0 + 9 * kHour + 5 * kMinute, change::SignalPosted{"report/done"});
  EXPECT_EQ(engine_->expectations().at("report").deadline_us, (kT0 + kDay + 9 * kHour + 30 * kMinute) * 1000000);
  Tick(kT0 + kDay + 9 * kHour + 30 * kMinute);
  EXPECT_EQ(Events("alert.raised").size(), 1u);
}

TEST_F(EngineSchedulesTest, AnAlertDueWhileNoServerRanIsRaisedFromTheSnapshot) {
  auto def = Expect(R"({"name":"x","every":"10s","grace":"5s","match":"job.succeeded"})");
  Apply(kT0, change::ExpectationSet{def, ExpectationDefJson(*def)});
  const std::string snapshot = engine_->EncodeSnapshot();
  auto restored = std::make_unique<Engine>(clock_, launcher_, sink_, ServerOptions());
  ASSERT_TRUE(restored->LoadSnapshot(snapshot).ok());
  std::vector<Change> due = restored->DueChanges((kT0 + 600) * 1000000, TimePoint{});
  ASSERT_EQ(due.size(), 1u);
  restored->Apply(due[0]);
  EXPECT_TRUE(restored->expectations().at("x").down);
  restored->StopCycles();
}

TEST_F(EngineSchedulesTest, AHookCursorNeverMovesBack) {
  Result<HookDef> hook = ParseHookDef(R"({"url":"http://127.0.0.1:9/h","events":["alert.*"],"secret":"s"})");
  ASSERT_TRUE(hook.ok()) << hook.error().message;
  EXPECT_EQ(hook->name, "127.0.0.1-9-h");
  auto def = std::make_shared<const HookDef>(*hook);
  Apply(kT0, change::HookSet{def, HookDefJson(*def)});
  Apply(kT0, change::HookDelivered{"127.0.0.1-9-h", 40});
  Apply(kT0, change::HookDelivered{"127.0.0.1-9-h", 30});
  EXPECT_EQ(engine_->hooks().at("127.0.0.1-9-h").delivered, 40u);
  EXPECT_EQ(engine_->dropped().at("hook_delivered"), 1u);
}

// --- Jobs that wait for jobs ---------------------------------------------------------------

class JobWaitsTest : public EngineSchedulesTest {
 protected:
  // A one-task job; `requires` is a YAML requirement list ("" for none).
  JobId Submit(const std::string& name, int64_t at, const std::string& needs = "") {
    change::JobSubmitted what;
    what.spec_text = "name: " + name + "\ntasks:\n  - name: t\n    command: \"true\"\n" +
                     (needs.empty() ? "" : "    requires: " + needs + "\n");
    ParsedSpec parsed = ParseSpec(what.spec_text, name);
    EXPECT_TRUE(parsed.ok()) << parsed.errors[0].message;
    what.spec = std::make_shared<const JobSpec>(std::move(parsed.job));
    Apply(at, std::move(what));
    return static_cast<JobId>(engine_->job_count() - 1);
  }
  InstanceStatus Status(JobId id) const { return engine_->job(id).instances[0].status; }
};

TEST_F(JobWaitsTest, ATaskWaitsForTheNewestJobOfThatNameToSucceed) {
  const JobId assets = Submit("assets", kT0);
  const JobId shot = Submit("shot", kT0 + 1, "[{job: assets}]");
  EXPECT_EQ(Status(shot), InstanceStatus::kWaiting);
  EXPECT_EQ(engine_->WhyPending(shot, 0), "waiting for job assets (#1), pending");
  engine_->RunCycle();
  EXPECT_EQ(engine_->WhyPending(shot, 0), "waiting for job assets (#1), running");
  RunAll(0, kT0 + 10);
  EXPECT_TRUE(engine_->job(assets).Succeeded());
  EXPECT_EQ(Status(shot), InstanceStatus::kReady);
}

TEST_F(JobWaitsTest, AFailedJobSkipsWhatNeedsItsSuccessAndRunsAFailureHandler) {
  Submit("assets", kT0);
  const JobId shot = Submit("shot", kT0 + 1, "[{job: assets}]");
  const JobId alarm = Submit("alarm", kT0 + 2, "[{job: 1, on: failure}]");
  RunAll(1, kT0 + 10);
  EXPECT_EQ(Status(shot), InstanceStatus::kSkipped);
  EXPECT_EQ(engine_->job(shot).instances[0].reason, "job assets (#1) failed");
  EXPECT_EQ(Status(alarm), InstanceStatus::kReady);
}

TEST_F(JobWaitsTest, ANameWithNoJobYetWaitsForTheFirstAndAFinishedOneSettlesAtOnce) {
  const JobId early = Submit("early", kT0, "[{job: later}]");
  EXPECT_EQ(engine_->WhyPending(early, 0), "waiting for job later (none of that name yet)");
  Submit("later", kT0 + 1);
  RunAll(0, kT0 + 5);
  EXPECT_EQ(Status(early), InstanceStatus::kReady);
  const JobId late = Submit("late", kT0 + 6, "[{job: later}]");
  EXPECT_EQ(Status(late), InstanceStatus::kReady) << "the newest `later` succeeded already";
  const JobId missing = Submit("missing", kT0 + 7, "[{job: 99}]");
  EXPECT_EQ(Status(missing), InstanceStatus::kSkipped);
  EXPECT_EQ(engine_->job(missing).instances[0].reason, "job #99 does not exist");
}

TEST_F(JobWaitsTest, WaitsSurviveASnapshot) {
  Submit("assets", kT0);
  const JobId shot = Submit("shot", kT0 + 1, "[{job: assets}]");
  Submit("next", kT0 + 2, "[{job: nobody}]");
  const std::string snapshot = engine_->EncodeSnapshot();
  engine_->StopCycles();
  engine_ = std::make_unique<Engine>(clock_, launcher_, sink_, ServerOptions());
  Result<Unit> loaded = engine_->LoadSnapshot(snapshot);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(engine_->EncodeSnapshot(), snapshot);
  EXPECT_EQ(engine_->WhyPending(shot, 0), "waiting for job assets (#1), pending");
  HostInfo h;
  h.name = "n1";
  h.total = {64, int64_t{64} << 30, 0};
  engine_->Apply(Change{kT0 * 1000000, change::HostRegistered{h}});
  RunAll(0, kT0 + 20);
  EXPECT_EQ(Status(shot), InstanceStatus::kReady);
}

}  // namespace
}  // namespace rota
