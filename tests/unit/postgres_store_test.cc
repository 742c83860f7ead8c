// PostgresStore's own behaviour, on a real PostgreSQL 15 (a fresh database on the cluster that
// scripts/with-postgres starts): several stores on one database, as several servers, append to
// one log in commit order without gaps; the schema is made once and a newer one is refused;
// leases are taken at new epochs, a dead server's freed, and stale epochs fenced out of the log.
// The Store contract itself runs in store_contract_test.cc.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <chrono>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "store/postgres_store.h"
#include "support/postgres.h"

namespace rota {
namespace {

std::unique_ptr<PostgresStore> MustOpen(const std::string& url) {
  Result<std::unique_ptr<PostgresStore>> opened = PostgresStore::Open(url);
  if (!opened.ok()) ADD_FAILURE() << opened.error().message;
  return opened.ok() ? std::move(opened).value() : nullptr;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(db_.url().empty()) << db_.error(); }
  testing::TestDatabase db_;
};

// Three "servers" append at once: every append gets its own range of lsns, the log holds them
// all exactly once, without gaps, and each store reads the same log.
TEST_F(PostgresStoreTest, StoresOnOneDatabaseShareOneLogWithoutGaps) {
  constexpr int kServers = 3;
  constexpr int kAppends = 40;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kServers; ++i) stores.push_back(MustOpen(db_.url()));
  for (const auto& store : stores) ASSERT_NE(store, nullptr);
  std::vector<std::vector<std::pair<uint64_t, std::string>>> appended(kServers);
  std::vector<std::thread> threads;
  for (int s = 0; s < kServers; ++s) {
    threads.emplace_back([&, s] {
      for (int n = 0; n < kAppends; ++n) {
        const std::string a = "s" + std::to_string(s) + "-" + std::to_string(n);
        Result<uint64_t> last = stores[s]->Append({a + "a", a + "b"});
        ASSERT_TRUE(last.ok()) << last.error().message;
        appended[s].emplace_back(*last - 1, a + "a");
        appended[s].emplace_back(*last, a + "b");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& store : stores) {
    Result<std::vector<LogEntry>> log = store->ReadFrom(0, 10000);
    ASSERT_TRUE(log.ok()) << log.error().message;
    ASSERT_EQ(log->size(), size_t{kServers * kAppends * 2});
    for (size_t i = 0; i < log->size(); ++i) ASSERT_EQ((*log)[i].lsn, i + 1) << "a gap or a repeat";
    for (const auto& mine : appended) {
      for (const auto& [lsn, bytes] : mine) EXPECT_EQ((*log)[lsn - 1].bytes, bytes) << "lsn " << lsn;
    }
  }
}

TEST_F(PostgresStoreTest, MakesItsSchemaOnceAndRefusesANewerOne) {
  ASSERT_NE(MustOpen(db_.url()), nullptr);
  ASSERT_NE(MustOpen(db_.url()), nullptr);
  pqxx::connection c(db_.url());
  pqxx::nontransaction tx(c);
  const size_t known = PostgresSchemaMigrations().size();
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<size_t>(), known);
  tx.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(known + 1) + ", 0)");
  Result<std::unique_ptr<PostgresStore>> newer = PostgresStore::Open(db_.url());
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().code, "store_version");
  EXPECT_EQ(newer.error().message, db_.url() + ": the database is at schema version " +
                                       std::to_string(known + 1) + "; this rota knows up to " +
                                       std::to_string(known));
}

// ---- Leases (DESIGN section 8, "Leases per pool" and "Fencing") -------------------------------

ServerInfo Server(const std::string& name, bool locks = true) {
  ServerInfo s;
  s.name = name;
  s.url = "http://" + name;
  s.locks = locks;
  return s;
}

const LeaseInfo* FindLease(const LeaseView& view, const std::string& name) {
  for (const LeaseInfo& l : view.leases) {
    if (l.name == name) return &l;
  }
  return nullptr;
}
const ServerInfo* FindServer(const LeaseView& view, const std::string& name) {
  for (const ServerInfo& s : view.servers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<LeaseTaken> MustTake(PostgresStore& store, const std::string& lease, const std::string& me,
                                   std::chrono::milliseconds ttl = std::chrono::seconds(5)) {
  Result<std::optional<LeaseTaken>> taken =
      store.Take(lease, me, ttl, [&](uint64_t epoch) { return "grant " + lease + " " + me + " " + std::to_string(epoch); });
  if (!taken.ok()) ADD_FAILURE() << taken.error().message;
  return taken.ok() ? *taken : std::nullopt;
}

LeaseView MustRenew(PostgresStore& store, const ServerInfo& me, const std::vector<std::string>& names,
                    const std::vector<std::pair<std::string, uint64_t>>& held,
                    std::chrono::milliseconds ttl = std::chrono::seconds(5)) {
  Result<LeaseView> view = store.Renew(me, names, held, ttl);
  if (!view.ok()) ADD_FAILURE() << view.error().message;
  return view.ok() ? *view : LeaseView{};
}

// A take is a new epoch and a grant in the log in the same transaction; a live holder keeps its
// lease; what the view says matches.
TEST_F(PostgresStoreTest, TakingALeaseIsANewEpochAndAGrantInTheLog) {
  auto a = MustOpen(db_.url());
  auto b = MustOpen(db_.url());
  ASSERT_TRUE(a && b);
  MustRenew(*a, Server("a"), {"render", "*farm"}, {});
  MustRenew(*b, Server("b"), {"render", "*farm"}, {});
  std::optional<LeaseTaken> first = MustTake(*a, "render", "a");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->epoch, 1u);
  EXPECT_FALSE(MustTake(*b, "render", "b")) << "a is alive and its lease has not expired";
  Result<std::vector<LogEntry>> log = b->ReadFrom(0, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].lsn, first->lsn);
  EXPECT_EQ((*log)[0].bytes, "grant render a 1");
  const LeaseView view = MustRenew(*b, Server("b"), {"render", "*farm"}, {});
  const LeaseInfo* render = FindLease(view, "render");
  ASSERT_NE(render, nullptr);
  EXPECT_EQ(render->holder, "a");
  EXPECT_EQ(render->epoch, 1u);
  EXPECT_FALSE(render->expired);
  const LeaseInfo* farm = FindLease(view, "*farm");
  ASSERT_NE(farm, nullptr);
  EXPECT_EQ(farm->holder, "");
  ASSERT_EQ(view.servers.size(), 2u);
  EXPECT_TRUE(FindServer(view, "a")->alive);
  EXPECT_TRUE(FindServer(view, "b")->alive);
}

// kill -9 of a server ends its connections and frees its advisory lock: the others see it dead
// at once, and take its lease at the next epoch before the ttl runs out.
TEST_F(PostgresStoreTest, ADeadServersLeaseIsFreeAtOnceWithItsLock) {
  auto a = MustOpen(db_.url());
  auto b = MustOpen(db_.url());
  ASSERT_TRUE(a && b);
  MustRenew(*a, Server("a"), {"render"}, {});
  ASSERT_EQ(MustTake(*a, "render", "a", std::chrono::minutes(5))->epoch, 1u);
  EXPECT_FALSE(MustTake(*b, "render", "b"));
  EXPECT_EQ(b->Abandoned("b", std::chrono::seconds(5)).value(), std::vector<std::string>{}) << "a is alive";
  a.reset();   // its connections close, as a kill -9 closes them
  bool dead = false;
  for (int i = 0; i < 50 && !dead; ++i) {   // the backend notices the closed socket at once, or nearly
    const LeaseView view = MustRenew(*b, Server("b"), {"render"}, {});
    dead = !FindServer(view, "a")->alive;
    if (!dead) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(dead);
  // What the others look for between renewals: render, left by a dead server (not by b itself).
  EXPECT_EQ(b->Abandoned("b", std::chrono::seconds(5)).value(), std::vector<std::string>{"render"});
  EXPECT_EQ(b->Abandoned("a", std::chrono::seconds(5)).value(), std::vector<std::string>{});
  std::optional<LeaseTaken> taken = MustTake(*b, "render", "b");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->epoch, 2u);
}

// Without the lock, a server is dead to the others only when it has not renewed within the ttl.
TEST_F(PostgresStoreTest, WithoutTheLockALeaseIsFreeWhenItExpires) {
  auto a = MustOpen(db_.url());
  auto b = MustOpen(db_.url());
  ASSERT_TRUE(a && b);
  const auto ttl = std::chrono::milliseconds(600);
  MustRenew(*a, Server("a", /*locks=*/false), {"render"}, {}, ttl);
  ASSERT_EQ(MustTake(*a, "render", "a", ttl)->epoch, 1u);
  a.reset();
  EXPECT_FALSE(MustTake(*b, "render", "b", ttl)) << "not expired yet";
  std::this_thread::sleep_for(ttl + std::chrono::milliseconds(100));
  const LeaseView view = MustRenew(*b, Server("b"), {"render"}, {}, ttl);
  EXPECT_FALSE(FindServer(view, "a")->alive);
  EXPECT_TRUE(FindLease(view, "render")->expired);
  ASSERT_EQ(MustTake(*b, "render", "b", ttl)->epoch, 2u);
}

// Renewing extends only the leases held at the epochs given: a lease taken over meanwhile is not
// extended for its old holder.
TEST_F(PostgresStoreTest, RenewingExtendsOnlyWhatIsStillHeld) {
  auto a = MustOpen(db_.url());
  ASSERT_TRUE(a);
  const auto ttl = std::chrono::milliseconds(800);
  MustRenew(*a, Server("a"), {"render", "comp"}, {}, ttl);
  ASSERT_EQ(MustTake(*a, "render", "a", ttl)->epoch, 1u);
  ASSERT_EQ(MustTake(*a, "comp", "a", ttl)->epoch, 1u);
  for (int i = 0; i < 4; ++i) {   // 1.2 s in all: render renewed, comp (claimed at epoch 7) not
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    MustRenew(*a, Server("a"), {"render", "comp"}, {{"render", 1}, {"comp", 7}}, ttl);
  }
  const LeaseView view = MustRenew(*a, Server("a"), {"render", "comp"}, {}, ttl);
  EXPECT_FALSE(FindLease(view, "render")->expired);
  EXPECT_TRUE(FindLease(view, "comp")->expired);
}

// Fencing in the append's transaction: placements made under an epoch that is no longer the
// lease's are refused as a whole, and nothing of them reaches the log or the events.
TEST_F(PostgresStoreTest, AnAppendFencedByAStaleEpochIsRefusedWhole) {
  auto a = MustOpen(db_.url());
  auto b = MustOpen(db_.url());
  ASSERT_TRUE(a && b);
  MustRenew(*a, Server("a"), {"render", "comp"}, {});
  ASSERT_TRUE(MustTake(*a, "render", "a"));
  ASSERT_TRUE(MustTake(*a, "comp", "a"));
  const Fence held{"a", {{"render", 1}, {"comp", 1}}};
  Result<uint64_t> ok = a->Append({"placed under epoch 1"}, Durability::kNow, {}, &held);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_TRUE(a->Release("render", "a", 1).ok());
  MustRenew(*b, Server("b"), {"render", "comp"}, {});
  ASSERT_EQ(MustTake(*b, "render", "b")->epoch, 2u);
  const std::vector<EventRecord> events = {{900, 1, R"({"seq":900})"}};
  Result<uint64_t> stale = a->Append({"placed under epoch 1 again"}, Durability::kNow, events, &held);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, "store_fenced");
  EXPECT_NE(stale.error().message.find("a no longer holds the leases it placed under"), std::string::npos)
      << stale.error().message;
  Result<std::vector<LogEntry>> log = b->ReadFrom(0, 10);
  ASSERT_TRUE(log.ok());
  std::vector<std::string> bytes;
  for (const LogEntry& e : *log) bytes.push_back(e.bytes);
  EXPECT_EQ(bytes, (std::vector<std::string>{"grant render a 1", "grant comp a 1", "placed under epoch 1",
                                             "grant render b 2"}));
  Result<std::vector<EventRecord>> stored = b->EventsSince(0, 10);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty()) << "the fenced append's events were stored";
  const Fence comp_only{"a", {{"comp", 1}}};
  EXPECT_TRUE(a->Append({"comp is still a's"}, Durability::kNow, {}, &comp_only).ok());
}

// The connection that holds a server's lock ends (pg_terminate_backend): the others see it dead
// until its next renewal, which locks again on a new connection.
TEST_F(PostgresStoreTest, ALostLockConnectionIsReplacedAtTheNextRenewal) {
  auto a = MustOpen(db_.url());
  auto b = MustOpen(db_.url());
  ASSERT_TRUE(a && b);
  MustRenew(*a, Server("a"), {"render"}, {});
  ASSERT_TRUE(FindServer(MustRenew(*b, Server("b"), {"render"}, {}), "a")->alive);
  {
    pqxx::connection c(db_.url());
    pqxx::nontransaction tx(c);
    ASSERT_EQ(tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rota-alive'"
                      " AND datname = current_database() AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory'"
                      " AND objid = hashtext('a')::oid)")
                  .size(),
              1u);
  }
  bool dead = false;
  for (int i = 0; i < 50 && !dead; ++i) {
    dead = !FindServer(MustRenew(*b, Server("b"), {"render"}, {}), "a")->alive;
    if (!dead) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(dead);
  MustRenew(*a, Server("a"), {"render"}, {});
  EXPECT_TRUE(FindServer(MustRenew(*b, Server("b"), {"render"}, {}), "a")->alive);
}

// Two servers of one name would both think they hold its leases: the second is refused.
TEST_F(PostgresStoreTest, TwoLiveServersOfOneNameAreRefused) {
  auto a = MustOpen(db_.url());
  auto again = MustOpen(db_.url());
  ASSERT_TRUE(a && again);
  MustRenew(*a, Server("a"), {"render"}, {});
  Result<LeaseView> second = again->Renew(Server("a"), {"render"}, {}, std::chrono::seconds(5));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "server_name");
  EXPECT_NE(second.error().message.find("another server named a is alive"), std::string::npos);
  a.reset();
  bool renewed = false;   // once the first is gone, the name is free again
  for (int i = 0; i < 50 && !renewed; ++i) {
    renewed = again->Renew(Server("a"), {"render"}, {}, std::chrono::seconds(5)).ok();
    if (!renewed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(renewed);
}

TEST(PostgresStoreOpenTest, SaysWhatItCouldNotReach) {
  Result<std::unique_ptr<PostgresStore>> opened = PostgresStore::Open("postgres://rota@127.0.0.1:1/nothing");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "store_io");
  EXPECT_NE(opened.error().message.find("could not connect to postgres://rota@127.0.0.1:1/nothing"),
            std::string::npos)
      << opened.error().message;
}

}  // namespace
}  // namespace rota
