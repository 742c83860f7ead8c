// Farm: a real `rota server` (or several) and real `rota agent`s on 127.0.0.1 for integration
// tests, each in its own directory under one scratch dir, plus the client verbs and raw HTTP
// against them. A server keeps one port for its whole life, so it can be killed (-9 included)
// and started again with agents and clients none the wiser. The store is an SQLite file, or,
// when FARM_STORE is "postgres" or there are several servers, a fresh database on the cluster of
// scripts/with-postgres (ctest runs the farm tests both ways).
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
  // `servers` > 1: several servers on one PostgreSQL database (always, whatever FARM_STORE
  // says), named s1, s2, ..., sharing one run-log directory (as they would share a file system).
  explicit Farm(std::vector<std::string> server_args = {}, int servers = 1) : server_args_(std::move(server_args)) {
    for (int i = 0; i < servers; ++i) {
      Server s;
      s.port = FreePort();
      s.url = "http://127.0.0.1:" + std::to_string(s.port);
      s.dir = dir_ / (i == 0 ? std::string("server") : "server-" + std::to_string(i + 1));
      std::filesystem::create_directories(s.dir);
      servers_.push_back(std::move(s));
    }
    std::filesystem::create_directories(dir_ / "client");
    const char* store = std::getenv("FARM_STORE");
    if (servers > 1 || (store != nullptr && std::string(store) == "postgres")) {
      postgres_ = std::make_unique<TestDatabase>();
    }
  }

  // Agents get SIGTERM first, so they take their children down with them.
  ~Farm() {
    for (auto& [name, agent] : agents_) agent->Signal(SIGTERM);
    for (auto& [name, agent] : agents_) agent->Wait(std::chrono::seconds(10));
  }

  // The first server's URL; urls(): every server's, as --server takes them ("URL,URL,...").
  const std::string& url(size_t i = 0) const { return servers_.at(i).url; }
  std::string urls() const {
    std::string list;
    for (const Server& s : servers_) list += (list.empty() ? "" : ",") + s.url;
    return list;
  }
  size_t server_count() const { return servers_.size(); }
  const ScratchDir& dir() const { return dir_; }
  std::filesystem::path client_dir() const { return dir_ / "client"; }

  // Starts server `i` and waits until /healthz answers. False if it did not come up in 10 s.
  bool StartServer(size_t i = 0) {
    Server& s = servers_.at(i);
    std::vector<std::string> args = {"server", "--listen", "127.0.0.1:" + std::to_string(s.port)};
    if (postgres_) {
      if (postgres_->url().empty()) {
        std::fprintf(stderr, "Farm: %s\n", postgres_->error().c_str());
        return false;
      }
      args.insert(args.end(), {"--store", postgres_->url(), "--log-dir", (dir_ / "server" / "logs").string()});
      if (servers_.size() > 1) args.insert(args.end(), {"--name", "s" + std::to_string(i + 1)});
    } else {
      args.insert(args.end(), {"--db", (dir_ / "server" / "rota.db").string()});
    }
    args.insert(args.end(), server_args_.begin(), server_args_.end());
    args.insert(args.end(), s.args.begin(), s.args.end());
    s.process = std::make_unique<RotaProcess>(s.dir, args);
    return WaitFor([&] {
      HttpClient client(*ParseServerUrl(s.url));
      Result<HttpReply> r = client.Request("GET", "/healthz", {}, "application/json",
                                           std::chrono::milliseconds(500));
      return r.ok() && r->status == 200;
    }, std::chrono::seconds(10));
  }
  bool StartServers() {
    for (size_t i = 0; i < servers_.size(); ++i) {
      if (!StartServer(i)) return false;
    }
    return true;
  }
  // Flags for server `i` alone, from its next start on (e.g. --exclude-pools).
  void SetServerArgs(size_t i, std::vector<std::string> args) { servers_.at(i).args = std::move(args); }
  pid_t server_pid(size_t i = 0) const { return servers_.at(i).process->pid(); }
  bool server_running(size_t i) const { return servers_.at(i).process != nullptr; }
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
  // The PostgreSQL database's URL ("" on SQLite).
  std::string database_url() const { return postgres_ ? postgres_->url() : std::string(); }
  void KillServer(size_t i = 0) { servers_.at(i).process.reset(); }   // SIGKILL
  void SignalServer(size_t i, int signal) { servers_.at(i).process->Signal(signal); }
  Outcome StopServer(size_t i = 0) {                                  // SIGTERM, then its outcome
    Server& s = servers_.at(i);
    s.process->Signal(SIGTERM);
    Outcome o = s.process->Wait(std::chrono::seconds(20));
    s.process.reset();
    return o;
  }

  // Starts an agent and waits until the server lists it alive.
  bool StartAgent(const std::string& name, std::vector<std::string> extra = {}) {
    std::filesystem::create_directories(dir_ / ("agent-" + name));
    std::vector<std::string> args = {"agent", "--server", urls(), "--name", name, "--work-dir", "work"};
    args.insert(args.end(), extra.begin(), extra.end());
    agents_[name] = std::make_unique<RotaProcess>(dir_ / ("agent-" + name), args);
    return WaitFor([&] { return HostState(name) == "alive"; }, std::chrono::seconds(10));
  }
  void KillAgent(const std::string& name) { agents_.erase(name); }   // SIGKILL
  pid_t agent_pid(const std::string& name) { return agents_.at(name)->pid(); }

  // `rota ARGS... --server URL[,URL...]` (every server) run in the client directory.
  Outcome Client(std::vector<std::string> args) {
    args.push_back("--server");
    args.push_back(urls());
    return RunRota(client_dir(), std::move(args));
  }

  // Raw HTTP to the first server, or to server `i`. A transport error gives status 0.
  HttpReply Http(const std::string& method, const std::string& target, const std::string& body = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return HttpTo(0, method, target, body, timeout);
  }
  HttpReply HttpTo(size_t i, const std::string& method, const std::string& target, const std::string& body = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    HttpClient client(*ParseServerUrl(servers_.at(i).url));
    Result<HttpReply> r = client.Request(method, target, body, "application/json", timeout);
    return r.ok() ? *r : HttpReply{};
  }
  nlohmann::json GetJson(const std::string& target, size_t i = 0) {
    HttpReply r = HttpTo(i, "GET", target);
    return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json();
  }

  // Writes `spec` to the client dir and submits it; the job id, or 0.
  uint64_t Submit(const std::string& file, const std::string& spec) {
    WriteFile(client_dir() / file, spec);
    Outcome o = Client({"submit", file});
    if (o.exit_code != 0) return 0;
    return std::stoull(o.out);
  }

  // "alive", "lost", or "" when the server (the first, or `i`) does not list it.
  std::string HostState(const std::string& name, size_t i = 0) {
    nlohmann::json hosts = GetJson("/v1/hosts", i);
    if (!hosts.is_object()) return "";
    for (const auto& h : hosts["hosts"]) {
      if (h["name"] == name) return h["state"].get<std::string>();
    }
    return "";
  }

  // Every stored event, in seq order (GET /v1/events?follow=0), from the first server or `i`.
  std::vector<nlohmann::json> Events(uint64_t since = 0, size_t i = 0) {
    HttpReply r = HttpTo(i, "GET", "/v1/events?follow=0&since=" + std::to_string(since));
    std::vector<nlohmann::json> out;
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("data: ", 0) == 0) out.push_back(nlohmann::json::parse(line.substr(6)));
    }
    return out;
  }

  // What the server and the agents printed, and the job's state: for failure messages.
  std::string Diagnostics(uint64_t job = 0) {
    std::string out;
    for (size_t i = 0; i < servers_.size(); ++i) {
      const std::string err = ReadFile(servers_[i].dir / ".rota-stderr");
      out += "--- server " + std::to_string(i + 1) + " stderr (last 3000 bytes):\n" +
             (err.size() > 3000 ? err.substr(err.size() - 3000) : err);
    }
    for (const auto& [name, agent] : agents_) {
      out += "--- agent " + name + " stderr (last 3000 bytes):\n";
      const std::string err = ReadFile(dir_ / ("agent-" + name) / ".rota-stderr");
      out += err.size() > 3000 ? err.substr(err.size() - 3000) : err;
    }
    if (job != 0) out += "--- rota show:\n" + Client({"show", std::to_string(job)}).out;
    return out;
  }

  // The job's state, as the first server (or server `i`) says.
  std::string JobState(uint64_t id, size_t i = 0) {
    nlohmann::json j = GetJson("/v1/jobs/" + std::to_string(id), i);
    return j.is_object() ? j["state"].get<std::string>() : "";
  }
  bool WaitForJob(uint64_t id, std::chrono::seconds limit = std::chrono::seconds(60), size_t i = 0) {
    return WaitFor([&] {
      const std::string s = JobState(id, i);
      return s == "succeeded" || s == "failed" || s == "cancelled";
    }, limit);
  }

 private:
  struct Server {
    uint16_t port = 0;   // kept for the server's whole life, restarts included
    std::string url;
    std::filesystem::path dir;
    std::vector<std::string> args;              // its own flags
    std::unique_ptr<RotaProcess> process;       // null while it is not running
  };
  ScratchDir dir_;
  std::vector<std::string> server_args_;
  std::vector<Server> servers_;
  std::unique_ptr<TestDatabase> postgres_;   // the servers' store, when on PostgreSQL
  std::map<std::string, std::unique_ptr<RotaProcess>> agents_;
};

}  // namespace rota::testing
