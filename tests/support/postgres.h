// A fresh PostgreSQL database per test, on the private cluster that scripts/with-postgres starts
// for the test run (POSTGRES_TEST_URL names it): created empty, dropped when the test ends.
// Nothing mocks the database: without the cluster, the test fails and says how to get one.
#pragma once

#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace rota::testing {

class TestDatabase {
 public:
  TestDatabase() {
    const char* cluster = std::getenv("POSTGRES_TEST_URL");
    if (cluster == nullptr || *cluster == '\0') {
      error_ = "POSTGRES_TEST_URL is not set: run the tests through scripts/with-postgres (make test does)";
      return;
    }
    admin_ = cluster;
    static std::atomic<int> next{0};
    name_ = "rota_test_" + std::to_string(getpid()) + "_" + std::to_string(next++);
    try {
      pqxx::connection c(admin_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + name_);
      tx.exec("CREATE DATABASE " + name_);
    } catch (const std::exception& e) {
      error_ = std::string("cannot create a test database on ") + admin_ + ": " + e.what();
      return;
    }
    const size_t slash = admin_.rfind('/');
    url_ = admin_.substr(0, slash + 1) + name_;
  }
  ~TestDatabase() {
    if (url_.empty()) return;
    try {
      pqxx::connection c(admin_);
      pqxx::nontransaction tx(c);
      tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception&) {
      // The cluster goes away with the test run anyway.
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // postgres://rota@127.0.0.1:PORT/rota_test_...; "" when the database could not be made.
  const std::string& url() const { return url_; }
  // Why not, when url() is "".
  const std::string& error() const { return error_; }

 private:
  std::string admin_;
  std::string name_;
  std::string url_;
  std::string error_;
};

}  // namespace rota::testing
