// PostgresStore's own behaviour, on a real PostgreSQL 15 (a fresh database on the cluster that
// scripts/with-postgres starts): several stores on one database, as several servers, append to
// one log in commit order without gaps; the schema is made once and a newer one is refused.
// The Store contract itself runs in store_contract_test.cc.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

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
