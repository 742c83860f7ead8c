// Leases in the engine (several servers on one log, DESIGN section 8): a placement stands only if
// its fence names its pool's newest lease epoch; a server's cycles and timers cover only the
// leases it holds; the leases survive a snapshot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "support/fake_launcher.h"
#include "support/host_launcher.h"
#include "support/job_builder.h"

namespace rota {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

class EngineLeasesTest : public ::testing::Test {
 protected:
  EngineLeasesTest() {
    EngineOptions o;
    o.placement = true;
    o.host = "";
    o.heartbeat_timeout = 10s;
    engine_ = std::make_unique<Engine>(clock_, launcher_, sink_, o);
    HostInfo h;
    h.name = "n1";
    h.total = {4, int64_t{16} << 30, 0};
    engine_->Apply(Stamped(change::HostRegistered{h}));
    engine_->TouchHost("n1");
  }
  ~EngineLeasesTest() override { engine_->StopCycles(); }

  Change Stamped(decltype(Change::what) what) const { return Change{clock_.UnixMicros(), std::move(what)}; }
  void Grant(const std::string& name, const std::string& holder, uint64_t epoch) {
    engine_->Apply(Stamped(change::LeaseGranted{name, holder, epoch}));
  }
  JobId Submit(const JobBuilder& b) { return engine_->Submit(b.Build(), SubmitOptions{}); }
  // A proposal of this engine, applied with `fence` instead of its own.
  void ApplyWithFence(change::Placements slice, std::vector<std::pair<std::string, uint64_t>> fence) {
    slice.fence = std::move(fence);
    engine_->Apply(Stamped(std::move(slice)));
  }

  FakeClock clock_;
  HostLauncher launcher_;
  RecordingSink sink_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineLeasesTest, APlacementStandsOnlyWithItsPoolsNewestEpoch) {
  Grant("render", "a", 1);
  Submit(JobBuilder("j").Task("t").InPool("render").Frames("1-2"));
  std::optional<change::Placements> slice = engine_->ProposePlacements();
  ASSERT_TRUE(slice.has_value());
  ASSERT_EQ(slice->placements.size(), 2u);
  EXPECT_THAT(slice->fence, IsEmpty()) << "an engine that holds everything fences nothing";
  Grant("render", "b", 2);   // another server took the pool meanwhile
  ApplyWithFence(*slice, {{"render", 1}});
  EXPECT_THAT(launcher_.launched, IsEmpty()) << "placed under a lease overtaken in the log";
  EXPECT_EQ(engine_->dropped().at("placement_fenced"), 2u);
  ApplyWithFence(*slice, {{"render", 2}});
  EXPECT_EQ(launcher_.launched.size(), 2u);
}

TEST_F(EngineLeasesTest, AGrantNotAboveTheNewestEpochIsDropped) {
  Grant("render", "a", 3);
  Grant("render", "b", 3);
  Grant("render", "c", 2);
  EXPECT_EQ(engine_->leases().at("render").holder, "a");
  EXPECT_EQ(engine_->leases().at("render").epoch, 3u);
  EXPECT_EQ(engine_->dropped().at("lease_granted"), 2u);
}

TEST_F(EngineLeasesTest, AServerPlacesOnlyInThePoolsItHoldsAndFencesWithTheirEpochs) {
  Grant("render", "me", 4);
  Grant("comp", "other", 9);
  engine_->SetOwnedLeases(std::map<std::string, uint64_t>{{"render", 4}});
  Submit(JobBuilder("j").Task("r").InPool("render").Task("c").InPool("comp"));
  std::optional<change::Placements> slice = engine_->ProposePlacements();
  ASSERT_TRUE(slice.has_value());
  ASSERT_EQ(slice->placements.size(), 1u) << "comp is another server's";
  EXPECT_THAT(slice->fence, ElementsAre(std::pair<std::string, uint64_t>{"render", 4}));
  engine_->Apply(Stamped(std::move(*slice)));
  EXPECT_THAT(launcher_.launched, ElementsAre("j:r#0@n1"));
}

TEST_F(EngineLeasesTest, TimersFireOnlyWhereTheServerHoldsTheLease) {
  engine_->SetOwnedLeases(std::map<std::string, uint64_t>{{"render", 1}});
  Grant("render", "me", 1);
  Submit(JobBuilder("j").Task("t").InPool("render").Timeout(1s));
  engine_->RunCycle();
  ASSERT_EQ(launcher_.launched.size(), 1u);
  clock_.Advance(20s);   // the timeout is due, and n1 is silent past its heartbeat timeout
  std::vector<Change> due = engine_->DueChanges(clock_.UnixMicros(), clock_.Now());
  ASSERT_EQ(due.size(), 1u) << "the timeout, not the host: that is the farm lease's holder's";
  EXPECT_EQ(ChangeKindName(due[0]), std::string("timeout_due"));
  engine_->SetOwnedLeases(std::map<std::string, uint64_t>{{"comp", 1}, {change::kFarmLease, 1}});
  due = engine_->DueChanges(clock_.UnixMicros(), clock_.Now());
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(ChangeKindName(due[0]), std::string("host_lost"));
}

TEST_F(EngineLeasesTest, LeasesSurviveASnapshot) {
  Grant("render", "a", 5);
  Grant(change::kFarmLease, "b", 2);
  Engine restored(clock_, launcher_, sink_, [] {
    EngineOptions o;
    o.placement = true;
    return o;
  }());
  ASSERT_TRUE(restored.LoadSnapshot(engine_->EncodeSnapshot()).ok());
  EXPECT_EQ(restored.leases().at("render").epoch, 5u);
  EXPECT_EQ(restored.leases().at(change::kFarmLease).holder, "b");
  EXPECT_EQ(restored.EncodeSnapshot(), engine_->EncodeSnapshot());
}

}  // namespace
}  // namespace rota
