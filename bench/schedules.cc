// schedules: the cost of periodic schedules (issue 11; target: slot -> schedule.fired p99 < 100 ms
// with 100,000 schedules).
//
// Usage: schedules [--schedules N] [--seconds S] [--server ROTA_BIN]
//
// (a) In process, the engine alone: N schedules (a quarter each: every minute at second i % 60
//     UTC; hourly in Europe/Berlin; daily in America/New_York; weekdays in Australia/Lord_Howe)
//     are set; then S seconds of simulated time pass in 10 ms loop turns, each turn proposing what
//     is due (DueChanges) and applying it. Prints the cost of setting one, the cost of a loop turn
//     (p50, p99, max: what is due is found in time order, so a turn costs what fires in it), the
//     cost of one next-fire computation, the snapshot's size and load time.
// (b) The peer, in the same invocation: systemd's calendar code (`systemd-analyze calendar
//     --iterations=1000`) computing the next 1,000 elapses of the same kinds of expression, against
//     rota's NextFires over the same 1,000. (No scheduler peer fires periodic jobs on its own clock
//     in a way one can time from outside: Slurm's scrontab and cron tick once a minute.)
// (c) A real server (ROTA_BIN, SQLite in a scratch dir, no agents: each slot's job stays pending):
//     the N schedules are POSTed by 8 clients, then the live event stream is read for S seconds:
//     for every schedule.fired, the delay from the slot's time to the event's time (when the server
//     proposed it) and to its arrival at the stream's client; p50, p99, max.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "calendar/next_fire.h"
#include "calendar/rfc3339.h"
#include "engine/engine.h"
#include "engine/null_ports.h"
#include "net/http_client.h"
#include "net/server_url.h"

namespace rota {
namespace {

using Steady = std::chrono::steady_clock;

double Since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

void Die(const std::string& what) {
  std::fprintf(stderr, "schedules: %s\n", what.c_str());
  std::exit(1);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

constexpr const char* kJob = "name: x\ntasks:\n  - {name: t, command: \"true\"}\n";

// Schedule i of the mix.
nlohmann::json Body(int i) {
  char when[96];
  nlohmann::json body = {{"name", "s" + std::to_string(i)}, {"job", kJob}};
  switch (i % 4) {
    case 0:
      std::snprintf(when, sizeof when, "*:*:%02d", (i / 4) % 60);
      body["calendar"] = when;
      break;
    case 1:
      std::snprintf(when, sizeof when, "%d * * * *", (i / 4) % 60);
      body["cron"] = when;
      body["timezone"] = "Europe/Berlin";
      break;
    case 2:
      std::snprintf(when, sizeof when, "%d %d * * *", (i / 4) % 60, (i / 240) % 24);
      body["cron"] = when;
      body["timezone"] = "America/New_York";
      break;
    default:
      std::snprintf(when, sizeof when, "Mon..Fri *-*-* %02d:%02d:00", (i / 240) % 24, (i / 4) % 60);
      body["calendar"] = when;
      body["timezone"] = "Australia/Lord_Howe";
      break;
  }
  return body;
}

class TurnClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::microseconds(us_)); }
  int64_t UnixMicros() const override { return us_; }
  int64_t us_ = 0;
};

void InProcess(int n, int seconds) {
  TurnClock clock;
  NullLauncher launcher;
  NullEventSink events;
  EngineOptions options;
  options.placement = true;
  Engine engine(clock, launcher, events, options);
  const int64_t start = (std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count() / 60 + 1) * 60;
  clock.us_ = start * 1000000;
  std::vector<std::shared_ptr<const ScheduleDef>> defs;
  defs.reserve(n);
  auto t = Steady::now();
  for (int i = 0; i < n; ++i) {
    Result<ScheduleDef> def = ParseScheduleDef(Body(i).dump());
    if (!def.ok()) Die(def.error().message);
    defs.push_back(std::make_shared<const ScheduleDef>(std::move(*def)));
  }
  const double parse = Since(t);
  t = Steady::now();
  for (const auto& def : defs) engine.Apply(Change{clock.us_, change::ScheduleSet{def, ScheduleDefJson(*def), ""}});
  const double set = Since(t);
  std::printf("(a) engine, %d schedules: parse %.1f us each (zone files cached by the OS), set %.1f us each "
              "(its first next-fire included)\n",
              n, parse / n * 1e6, set / n * 1e6);

  std::vector<double> turns, busy_turns;
  uint64_t fired = 0;
  double fire_seconds = 0;
  t = Steady::now();
  for (int64_t us = start * 1000000; us < (start + seconds) * 1000000; us += 10000) {
    clock.us_ = us;
    const auto turn = Steady::now();
    std::vector<Change> due = engine.DueChanges(us, clock.Now());
    const auto applying = Steady::now();
    for (const Change& c : due) engine.Apply(c);
    fire_seconds += Since(applying);
    fired += due.size();
    turns.push_back(Since(turn));
    if (!due.empty()) busy_turns.push_back(turns.back());
  }
  std::printf("    %d s simulated in 10 ms turns: %llu slots fired (jobs submitted); a turn %.1f us p50, %.1f us p99, "
              "%.1f us max; a turn that fired %.0f us p50, %.0f us p99 (%zu such turns, %.1f us per slot fired incl. "
              "its job's submission and the next-fire computation)\n",
              seconds, static_cast<unsigned long long>(fired), Percentile(turns, 0.5) * 1e6, Percentile(turns, 0.99) * 1e6,
              *std::max_element(turns.begin(), turns.end()) * 1e6, Percentile(busy_turns, 0.5) * 1e6,
              Percentile(busy_turns, 0.99) * 1e6, busy_turns.size(), fired ? fire_seconds / fired * 1e6 : 0);
  t = Steady::now();
  const std::string snapshot = engine.EncodeSnapshot();
  const double encode = Since(t);
  TurnClock clock2;
  Engine restored(clock2, launcher, events, options);
  t = Steady::now();
  if (Result<Unit> loaded = restored.LoadSnapshot(snapshot); !loaded.ok()) Die(loaded.error().message);
  std::printf("    snapshot: %.1f MB (%.0f B per schedule with the jobs fired), encoded in %.2f s, loaded in %.2f s\n",
              static_cast<double>(snapshot.size()) / 1e6, static_cast<double>(snapshot.size()) / n, encode, Since(t));
  engine.StopCycles();
  restored.StopCycles();
}

// (b) systemd-analyze against NextFires on the same expressions, 1,000 iterations each.
void Peer() {
  struct Expr {
    const char* systemd;
    const char* zone;
  } exprs[] = {{"*:*:17", "UTC"},
               {"*-*-* *:42:00 Europe/Berlin", "Europe/Berlin"},
               {"*-*-* 03:30:00 America/New_York", "America/New_York"},
               {"Mon..Fri *-*-* 09:15:00 Australia/Lord_Howe", "Australia/Lord_Howe"}};
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) {
    std::printf("(b) peer: systemd-analyze not found; skipped\n");
    return;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  double rota_total = 0, systemd_total = 0;
  for (const Expr& e : exprs) {
    std::string calendar = e.systemd;
    if (std::string(e.zone) != "UTC") calendar = calendar.substr(0, calendar.rfind(' '));
    Result<TimeRule> rule = CompileTimeRule("", calendar, e.zone);
    if (!rule.ok()) Die(rule.error().message);
    auto t = Steady::now();
    size_t count = 0;
    for (int rep = 0; rep < 20; ++rep) count += NextFires(rule->spec, *rule->zone, now, 1000).size();
    const double ours = Since(t) / 20;
    const std::string command = std::string("systemd-analyze calendar --iterations=1000 '") + e.systemd + "' >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) Die("systemd-analyze failed on " + std::string(e.systemd));   // warm
    t = Steady::now();
    for (int rep = 0; rep < 5; ++rep) {
      if (std::system(command.c_str()) != 0) Die("systemd-analyze failed on " + std::string(e.systemd));
    }
    const double theirs = Since(t) / 5;
    std::printf("(b) 1,000 next elapses of '%s': rota %.2f ms, systemd-analyze %.2f ms (a process, its start included)\n",
                e.systemd, ours * 1e3, theirs * 1e3);
    rota_total += ours;
    systemd_total += theirs;
    (void)count;
  }
  std::printf("    ratio systemd-analyze / rota: %.1fx (systemd's figure includes starting a process, ~1-2 ms)\n",
              systemd_total / rota_total);
}

// (c) A real server.
void RealServer(const std::string& rota, int n, int seconds) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("rota-bench-schedules-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const int port = 17000 + getpid() % 20000;
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const pid_t server = fork();
  if (server == 0) {
    const std::string db = (dir / "rota.db").string(), log = (dir / "server.log").string();
    if (freopen(log.c_str(), "w", stderr) == nullptr) _exit(126);
    execl(rota.c_str(), rota.c_str(), "server", "--listen", listen.c_str(), "--db", db.c_str(), "--quiet", nullptr);
    _exit(127);
  }
  const ServerUrl url = *ParseServerUrl("http://" + listen);
  for (int i = 0;; ++i) {
    HttpClient probe(url);
    Result<HttpReply> r = probe.Request("GET", "/healthz", {}, "application/json", std::chrono::milliseconds(500));
    if (r.ok() && r->status == 200) break;
    if (i > 100) Die("the server did not come up; see " + (dir / "server.log").string());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto t = Steady::now();
  std::atomic<int> next{0};
  std::vector<std::thread> posters;
  for (int k = 0; k < 8; ++k) {
    posters.emplace_back([&] {
      HttpClient client(url);
      for (int i = next++; i < n; i = next++) {
        Result<HttpReply> r = client.Request("POST", "/v1/schedules", Body(i).dump());
        if (!r.ok() || r->status != 201) Die("POST /v1/schedules: " + (r.ok() ? r->body : r.error().message));
      }
    });
  }
  for (std::thread& p : posters) p.join();
  std::printf("(c) real server: %d schedules POSTed by 8 clients in %.1f s (%.0f/s)\n", n, Since(t), n / Since(t));

  std::vector<double> proposed, arrived;
  const auto end = Steady::now() + std::chrono::seconds(seconds);
  const int64_t measure_from_us = (std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count() + 1) * 1000000;
  HttpClient stream(url);
  std::string buffer;
  Result<int> streamed = stream.Stream("/v1/events?since=0", {}, [&](std::string_view data) {
    buffer.append(data);
    const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
    for (size_t nl; (nl = buffer.find('\n')) != std::string::npos; buffer.erase(0, nl + 1)) {
      const std::string line = buffer.substr(0, nl);
      if (!line.starts_with("data: ") || line.find("\"schedule.fired\"") == std::string::npos) continue;
      const nlohmann::json e = nlohmann::json::parse(line.substr(6), nullptr, false);
      if (e.is_discarded()) continue;
      const int64_t slot_us = *ParseRfc3339(e["slot"].get<std::string>()) * 1000000;
      if (slot_us < measure_from_us) continue;   // fired while the schedules were being POSTed: read back, not live
      proposed.push_back((e["ts_us"].get<int64_t>() - slot_us) / 1e6);
      arrived.push_back((now_us - slot_us) / 1e6);
    }
    return Steady::now() < end;
  });
  if (!streamed.ok()) Die("the event stream: " + streamed.error().message);
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);
  std::filesystem::remove_all(dir);
  if (proposed.empty()) Die("no schedule.fired event came");
  std::printf("    %zu slots fired in %d s; delay from the slot's time to schedule.fired: proposed %.1f ms p50, "
              "%.1f ms p99, %.1f ms max; at the stream's client %.1f ms p50, %.1f ms p99, %.1f ms max (target p99 < 100 ms)\n",
              proposed.size(), seconds, Percentile(proposed, 0.5) * 1e3, Percentile(proposed, 0.99) * 1e3,
              *std::max_element(proposed.begin(), proposed.end()) * 1e3, Percentile(arrived, 0.5) * 1e3,
              Percentile(arrived, 0.99) * 1e3, *std::max_element(arrived.begin(), arrived.end()) * 1e3);
}

}  // namespace
}  // namespace rota

int main(int argc, char** argv) {
  int n = 100000, seconds = 30;
  std::string server;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--schedules") {
      n = std::atoi(argv[i + 1]);
    } else if (flag == "--seconds") {
      seconds = std::atoi(argv[i + 1]);
    } else if (flag == "--server") {
      server = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: schedules [--schedules N] [--seconds S] [--server ROTA_BIN]\n");
      return 2;
    }
  }
  rota::InProcess(n, seconds);
  rota::Peer();
  if (!server.empty()) rota::RealServer(server, n, seconds);
  return 0;
}
