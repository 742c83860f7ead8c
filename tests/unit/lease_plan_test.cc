// PlanLeases: which leases a server takes and gives back (DESIGN section 8, "Leases per pool"):
// its fair share of the leases among the live servers, never what it excludes, never what a live
// server holds, and surplus back only after the hold time and only to a server that would take it.
#include <gtest/gtest.h>

#include "api/lease_keeper.h"

namespace rota {
namespace {

using std::chrono::seconds;

const TimePoint kNow = TimePoint{} + std::chrono::hours(1);

ServerInfo Live(const std::string& name, std::vector<std::string> exclude_pools = {}) {
  ServerInfo s;
  s.name = name;
  s.alive = true;
  s.exclude_pools = std::move(exclude_pools);
  return s;
}

LeaseInfo Lease(const std::string& name, const std::string& holder = "", bool expired = false) {
  return LeaseInfo{name, holder, holder.empty() ? 0u : 1u, 0, expired};
}

LeaseView View(std::vector<ServerInfo> servers, std::vector<LeaseInfo> leases) {
  return LeaseView{std::move(servers), std::move(leases), 0};
}

// Leases in name order, as the table returns them.
std::vector<LeaseInfo> FreeLeases() {
  return {Lease("*farm"), Lease("comp"), Lease("render"), Lease("sim")};
}

TEST(PlanLeasesTest, AServerAloneTakesEveryLease) {
  const LeasePlan plan = PlanLeases(View({Live("a")}, FreeLeases()), "a", {}, {}, kNow, seconds(10));
  EXPECT_EQ(plan.take, (std::vector<std::string>{"*farm", "comp", "render", "sim"}));
  EXPECT_TRUE(plan.give_back.empty());
}

TEST(PlanLeasesTest, TakesItsFairShareRoundedUpInNameOrder) {
  // 4 leases over 3 live servers: 2 each at most.
  const LeasePlan plan =
      PlanLeases(View({Live("a"), Live("b"), Live("c")}, FreeLeases()), "b", {}, {}, kNow, seconds(10));
  EXPECT_EQ(plan.take, (std::vector<std::string>{"*farm", "comp"}));
}

TEST(PlanLeasesTest, CountsWhatItHoldsTowardsItsShare) {
  std::vector<LeaseInfo> leases = {Lease("*farm"), Lease("comp", "a"), Lease("render"), Lease("sim")};
  const LeasePlan plan = PlanLeases(View({Live("a"), Live("b")}, leases), "a", {}, {{"comp", kNow}}, kNow, seconds(10));
  EXPECT_EQ(plan.take, (std::vector<std::string>{"*farm"}));
}

TEST(PlanLeasesTest, NeverTakesWhatItExcludesOrWhatALiveServerHolds) {
  std::vector<LeaseInfo> leases = {Lease("*farm", "b"), Lease("comp"), Lease("render", "b"), Lease("sim")};
  const LeasePlan plan = PlanLeases(View({Live("a"), Live("b")}, leases), "a", {"comp"}, {}, kNow, seconds(10));
  EXPECT_EQ(plan.take, (std::vector<std::string>{"sim"}));
}

TEST(PlanLeasesTest, TakesWhatADeadServerOrAnExpiredLeaseLeft) {
  ServerInfo dead = Live("c");
  dead.alive = false;
  std::vector<LeaseInfo> leases = {Lease("*farm", "c"), Lease("comp", "b", /*expired=*/true), Lease("render", "b"),
                                   Lease("sim", "b")};
  // a and b live: a's share is 2, and both free leases go to it.
  const LeasePlan plan = PlanLeases(View({Live("a"), Live("b"), dead}, leases), "a", {}, {}, kNow, seconds(10));
  EXPECT_EQ(plan.take, (std::vector<std::string>{"*farm", "comp"}));
}

TEST(PlanLeasesTest, GivesSurplusBackOnlyAfterTheHoldTime) {
  // a held all four alone; b has just started: a's share is now 2.
  std::vector<LeaseInfo> leases = {Lease("*farm", "a"), Lease("comp", "a"), Lease("render", "a"), Lease("sim", "a")};
  const LeaseView view = View({Live("a"), Live("b")}, leases);
  const std::map<std::string, TimePoint> recent = {
      {"*farm", kNow - seconds(60)}, {"comp", kNow - seconds(60)}, {"render", kNow - seconds(3)}, {"sim", kNow - seconds(60)}};
  const LeasePlan plan = PlanLeases(view, "a", {}, recent, kNow, seconds(10));
  EXPECT_TRUE(plan.take.empty());
  // The last by name first; render has not been held long enough yet, so comp goes instead.
  EXPECT_EQ(plan.give_back, (std::vector<std::string>{"sim", "comp"}));
}

TEST(PlanLeasesTest, KeepsSurplusThatNoOtherLiveServerWouldTake) {
  std::vector<LeaseInfo> leases = {Lease("*farm", "a"), Lease("comp", "a"), Lease("render", "a"), Lease("sim", "a")};
  const std::map<std::string, TimePoint> held = {
      {"*farm", kNow - seconds(60)}, {"comp", kNow - seconds(60)}, {"render", kNow - seconds(60)}, {"sim", kNow - seconds(60)}};
  const LeasePlan plan =
      PlanLeases(View({Live("a"), Live("b", {"sim", "render"})}, leases), "a", {}, held, kNow, seconds(10));
  EXPECT_EQ(plan.give_back, (std::vector<std::string>{"comp", "*farm"}));
}

TEST(PlanLeasesTest, TakesBeyondItsShareWhatEveryOtherServerExcludes) {
  // a holds its share (2 of 4 over 2 servers); render is free and b excludes it: only a can
  // place in it, so a takes it.
  std::vector<LeaseInfo> leases = {Lease("*farm", "a"), Lease("comp", "a"), Lease("render"), Lease("sim", "b")};
  const std::map<std::string, TimePoint> held = {{"*farm", kNow}, {"comp", kNow}};
  const LeasePlan plan =
      PlanLeases(View({Live("a"), Live("b", {"render"})}, leases), "a", {}, held, kNow, seconds(10));
  EXPECT_EQ(plan.take, (std::vector<std::string>{"render"}));
  EXPECT_TRUE(plan.give_back.empty()) << "what it holds is not held long enough yet";
}

// A LeaseTable that counts what the keeper asks of it; `abandoned` is what Abandoned answers.
class CountingLeaseTable final : public LeaseTable {
 public:
  Result<LeaseView> Renew(const ServerInfo& me, const std::vector<std::string>& names,
                          const std::vector<std::pair<std::string, uint64_t>>&, std::chrono::milliseconds) override {
    ++renewals;
    LeaseView view;
    view.servers = {Live(me.name), Live("b")};
    for (const std::string& name : names) view.leases.push_back(Lease(name, "b"));
    return view;
  }
  Result<std::optional<LeaseTaken>> Take(const std::string&, const std::string&, std::chrono::milliseconds,
                                         const std::function<std::string(uint64_t)>&) override {
    return std::optional<LeaseTaken>();
  }
  Result<Unit> Release(const std::string&, const std::string&, uint64_t) override { return Unit{}; }
  Result<std::vector<std::string>> Abandoned(const std::string&, std::chrono::milliseconds) override {
    ++looks;
    return abandoned;
  }
  int renewals = 0;
  int looks = 0;
  std::vector<std::string> abandoned;
};

// A dead holder's lease is taken within a look (200 ms), not at the next renewal (1 s); a lease
// left for another server to take makes no turn after the first.
TEST(LeaseKeeperTest, LooksForAbandonedLeasesBetweenRenewalsAndTurnsOnNewsOnly) {
  CountingLeaseTable table;
  ServerInfo me = Live("a");
  LeaseKeeper keeper(table, me, LeaseOptions{});
  const auto grant = [](const std::string&, uint64_t) { return std::string(); };
  const std::vector<std::string> names = {"*farm", "render"};
  ASSERT_TRUE(keeper.Turn(names, kNow, grant).ok());
  EXPECT_EQ(table.renewals, 1);
  ASSERT_TRUE(keeper.Turn(names, kNow + std::chrono::milliseconds(100), grant).ok());
  EXPECT_EQ(table.looks, 0) << "not yet time to look";
  ASSERT_TRUE(keeper.Turn(names, kNow + std::chrono::milliseconds(200), grant).ok());
  EXPECT_EQ(table.looks, 1);
  EXPECT_EQ(table.renewals, 1) << "nothing abandoned: no turn";
  table.abandoned = {"render"};
  ASSERT_TRUE(keeper.Turn(names, kNow + std::chrono::milliseconds(400), grant).ok());
  EXPECT_EQ(table.renewals, 2) << "render abandoned: a turn at once";
  ASSERT_TRUE(keeper.Turn(names, kNow + std::chrono::milliseconds(800), grant).ok());
  EXPECT_EQ(table.looks, 3);
  EXPECT_EQ(table.renewals, 2) << "the same news twice: no second turn";
  ASSERT_TRUE(keeper.Turn(names, kNow + std::chrono::milliseconds(1400), grant).ok());
  EXPECT_EQ(table.renewals, 3) << "the renewal, due a second after the last turn";
}

}  // namespace
}  // namespace rota
