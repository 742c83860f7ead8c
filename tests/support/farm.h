// Farm: a real `rota server` and real `rota agent`s on 127.0.0.1 for integration tests, each in
// its own directory under one scratch dir, plus the client verbs and raw HTTP against them. The
// server keeps one port for its whole life, so it can be killed (-9 included) and started again
// with agents and clients none the wiser. Its store is an SQLite file, or, when FARM_STORE
// is "postgres", a fresh database on the cluster of scripts/with-postgres (ctest runs the farm
// tests both ways).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include <sqlite3.h>

#include <cstdlib>
#include <pqxx/pqxx>

#include "net/http_client.h"
#include "support/postgres.h"
#include "support/rota_process.h"

namespace rota::testing {

// A port nobody listens on right now (the kernel's pick; another process could take it, rarely).
inline uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class Farm {
 public:
  explicit Farm(std::vector<std::string> server_args = {})
      : port_(FreePort()),
        url_("http://127.0.0.1:" + std::to_string(port_)),
        server_args_(std::move(server_args)) {
    std::filesystem::create_directories(dir_ / "server");
    std::filesystem::create_directories(dir_ / "client");
    const char* store = std::getenv("FARM_STORE");
    if (store != nullptr && std::string(store) == "postgres") postgres_ = std::make_unique<TestDatabase>();
  }

  // Agents get SIGTERM first, so they take their children down with them.
  ~Farm() {
    for (auto& [name, agent] : agents_) agent->Signal(SIGTERM);
    for (auto& [name, agent] : agents_) agent->Wait(std::chrono::seconds(10));
  }

  const std::string& url() const { return url_; }
  const ScratchDir& dir() const { return dir_; }
  std::filesystem::path client_dir() const { return dir_ / "client"; }

  // Starts the server and waits until /healthz answers. False if it did not come up in 10 s.
  bool StartServer() {
    std::vector<std::string> args = {"server", "--listen", "127.0.0.1:" + std::to_string(port_)};
    if (postgres_) {
      if (postgres_->url().empty()) {
        std::fprintf(stderr, "Farm: %s\n", postgres_->error().c_str());
        return false;
      }
      args.insert(args.end(), {"--store", postgres_->url(), "--log-dir", (dir_ / "server" / "logs").string()});
    } else {
      args.insert(args.end(), {"--db", (dir_ / "server" / "rota.db").string()});
    }
    args.insert(args.end(), server_args_.begin(), server_args_.end());
    server_ = std::make_unique<RotaProcess>(dir_ / "server", args);
    return WaitFor([&] {
      HttpClient client(*ParseServerUrl(url_));
      Result<HttpReply> r = client.Request("GET", "/healthz", {}, "application/json",
                                           std::chrono::milliseconds(500));
      return r.ok() && r->status == 200;
    }, std::chrono::seconds(10));
  }
  pid_t server_pid() const { return server_->pid(); }
  // One number from the server's store (SQLite or PostgreSQL: the tables have the same names),
  // read behind its back: an SQLite file only while the server is stopped (it holds the file).
  // -1 when it cannot be read.
  int64_t StoreNumber(const std::string& sql) const {
    if (postgres_) {
      try {
        pqxx::connection c(postgres_->url());
        pqxx::nontransaction tx(c);
        const pqxx::row row = tx.exec1(sql);
        return row[0].is_null() ? -1 : row[0].as<int64_t>();
      } catch (const std::exception&) {
        return -1;
      }
    }
    sqlite3* conn = nullptr;
    int64_t value = -1;
    const std::string db = (dir_ / "server" / "rota.db").string();
    if (sqlite3_open_v2(db.c_str(), &conn, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(conn, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        value = sqlite3_column_int64(st, 0);
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(conn);
    return value;
  }
  bool on_postgres() const { return postgres_ != nullptr; }
  void KillServer() { server_.reset(); }           // SIGKILL
  Outcome StopServer() {                             // SIGTERM, then its outcome
    server_->Signal(SIGTERM);
    Outcome o = server_->Wait(std::chrono::seconds(20));
    server_.reset();
    return o;
  }

  // Starts an agent and waits until the server lists it alive.
  bool StartAgent(const std::string& name, std::vector<std::string> extra = {}) {
    std::filesystem::create_directories(dir_ / ("agent-" + name));
    std::vector<std::string> args = {"agent", "--server", url_, "--name", name, "--work-dir", "work"};
    args.insert(args.end(), extra.begin(), extra.end());
    agents_[name] = std::make_unique<RotaProcess>(dir_ / ("agent-" + name), args);
    return WaitFor([&] { return HostState(name) == "alive"; }, std::chrono::seconds(10));
  }
  void KillAgent(const std::string& name) { agents_.erase(name); }   // SIGKILL
  pid_t agent_pid(const std::string& name) { return agents_.at(name)->pid(); }

  // `rota ARGS... --server URL` run in the client directory.
  Outcome Client(std::vector<std::string> args) {
    args.push_back("--server");
    args.push_back(url_);
    return RunRota(client_dir(), std::move(args));
  }

  // Raw HTTP. A transport error gives status 0.
  HttpReply Http(const std::string& method, const std::string& target, const std::string& body = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    HttpClient client(*ParseServerUrl(url_));
    Result<HttpReply> r = client.Request(method, target, body, "application/json", timeout);
    return r.ok() ? *r : HttpReply{};
  }
  nlohmann::json GetJson(const std::string& target) {
    HttpReply r = Http("GET", target);
    return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json();
  }

  // Writes `spec` to the client dir and submits it; the job id, or 0.
  uint64_t Submit(const std::string& file, const std::string& spec) {
    WriteFile(client_dir() / file, spec);
    Outcome o = Client({"submit", file});
    if (o.exit_code != 0) return 0;
    return std::stoull(o.out);
  }

  // "alive", "lost", or "" when the server does not list it.
  std::string HostState(const std::string& name) {
    nlohmann::json hosts = GetJson("/v1/hosts");
    if (!hosts.is_object()) return "";
    for (const auto& h : hosts["hosts"]) {
      if (h["name"] == name) return h["state"].get<std::string>();
    }
    return "";
  }

  // Every stored event, in seq order (GET /v1/events?follow=0).
  std::vector<nlohmann::json> Events(uint64_t since = 0) {
    HttpReply r = Http("GET", "/v1/events?follow=0&since=" + std::to_string(since));
    std::vector<nlohmann::json> out;
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("data: ", 0) == 0) out.push_back(nlohmann::json::parse(line.substr(6)));
    }
    return out;
  }

  // What the server and the agents printed, and the job's state: for failure messages.
  std::string Diagnostics(uint64_t job = 0) {
    std::string out = "--- server stderr:\n" + ReadFile(dir_ / "server" / ".rota-stderr");
    for (const auto& [name, agent] : agents_) {
      out += "--- agent " + name + " stderr (last 3000 bytes):\n";
      const std::string err = ReadFile(dir_ / ("agent-" + name) / ".rota-stderr");
      out += err.size() > 3000 ? err.substr(err.size() - 3000) : err;
    }
    if (job != 0) out += "--- rota show:\n" + Client({"show", std::to_string(job)}).out;
    return out;
  }

  std::string JobState(uint64_t id) {
    nlohmann::json j = GetJson("/v1/jobs/" + std::to_string(id));
    return j.is_object() ? j["state"].get<std::string>() : "";
  }
  bool WaitForJob(uint64_t id, std::chrono::seconds limit = std::chrono::seconds(60)) {
    return WaitFor([&] {
      const std::string s = JobState(id);
      return s == "succeeded" || s == "failed" || s == "cancelled";
    }, limit);
  }

 private:
  ScratchDir dir_;
  uint16_t port_;
  std::string url_;
  std::vector<std::string> server_args_;
  std::unique_ptr<TestDatabase> postgres_;   // the server's store, when on PostgreSQL
  std::unique_ptr<RotaProcess> server_;
  std::map<std::string, std::unique_ptr<RotaProcess>> agents_;
};

}  // namespace rota::testing
