// `rota server`: opens the store, rebuilds the state it holds, then runs two threads: the HTTP
// io thread (ApiRoutes on HttpServer) and the loop thread (this one: EngineLoop + ServerCore).
#include "api/server_main.h"
#include "api/hook_sender.h"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <memory>
#include <thread>

#include "api/event_stream.h"
#include "api/routes.h"
#include "api/server_core.h"
#include "core/exit_codes.h"
#include "engine/engine_loop.h"
#include "exec/interrupts.h"
#include "sched/sched_config.h"
#include "store/open_store.h"

namespace rota {

namespace {

constexpr auto kKeepAliveEvery = std::chrono::seconds(15);
// How often a server on a shared log looks for what others appended when nothing woke it.
constexpr auto kFollowEvery = std::chrono::milliseconds(1000);

void Fail(const std::string& message) { std::fprintf(stderr, "error: %s\n", message.c_str()); }

bool SplitListen(const std::string& listen, std::string& host, uint16_t& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  const std::string p = listen.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

void ScheduleKeepAlive(HttpServer& server, EventStream& events) {
  server.After(std::chrono::duration_cast<std::chrono::milliseconds>(kKeepAliveEvery),
               [&server, &events] {
                 events.KeepAlive();
                 ScheduleKeepAlive(server, events);
               });
}

}  // namespace

int RunServer(const ServerOptions& options) {
  HttpServerOptions http;
  if (!SplitListen(options.listen, http.host, http.port)) {
    Fail("--listen " + options.listen + ": expected HOST:PORT, e.g. 127.0.0.1:7070");
    return kExitUsage;
  }
  http.max_body_bytes = options.max_body_bytes;
  {  // the config file's scheduler settings: refuse a bad one before touching the store
    sched::SchedConfig check;
    std::map<std::string, std::string> settings;
    for (const auto& [key, value] : options.config) {
      if (!key.starts_with("server.")) settings[key] = value;
    }
    if (std::string problem = sched::ApplySettings(check, settings); !problem.empty()) {
      Fail("--config: " + problem);
      return kExitUsage;
    }
  }
  Interrupts interrupts;   // before any thread starts, so every thread has SIGINT/SIGTERM blocked

  const std::string store_name = options.store.empty() ? options.db : options.store;
  Result<std::unique_ptr<Store>> opened = OpenStore(store_name);
  if (!opened.ok()) {
    Fail(opened.error().message);
    return kExitUnreachable;
  }
  Store& store = **opened;
  std::map<std::string, std::string> startup_settings;
  for (const auto& [key, value] : options.config) {
    if (!key.starts_with("server.")) startup_settings[key] = value;
  }

  SystemClock clock;
  ServerCoreOptions core_options;
  core_options.engine.heartbeat_timeout = options.heartbeat_timeout;
  core_options.engine.host = "";   // instance events name the run's host; job events none
  const bool file = !IsPostgresUrl(store_name);
  const std::string db_file = store_name.starts_with("sqlite:") ? store_name.substr(7) : store_name;
  core_options.log_dir = !options.log_dir.empty() ? options.log_dir : file ? db_file + ".logs" : "rota-logs";
  core_options.snapshots = options.snapshots;
  core_options.heartbeat_interval =
      std::max(std::chrono::milliseconds(100), options.heartbeat_timeout / 4);
  LeaseTable* lease_table = dynamic_cast<LeaseTable*>(&store);   // several servers, when not null
  core_options.leases = options.leases;
  core_options.server.exclude_pools = options.exclude_pools;
  core_options.server.exclude_queues = options.exclude_queues;
  core_options.server.locks = options.lease_lock;
  core_options.server.started_us = clock.UnixMicros();

  EngineLoop loop;
  std::unique_ptr<ServerCore> core_holder;   // made once the server listens: its name has the port
  EventStream events(store);
  Histogram http_latency;
  http.on_response = [&http_latency](const std::string& method, const std::string& route,
                                     int status, double seconds) {
    http_latency.Observe("method=\"" + method + "\",route=\"" + route + "\",code=\"" +
                             std::to_string(status) + "\"",
                         seconds);
  };
  std::unique_ptr<ApiRoutes> routes;
  HttpServer server(http, [&routes](HttpRequest request, std::shared_ptr<HttpExchange> ex) {
    routes->Handle(std::move(request), std::move(ex));
  });
  routes = std::make_unique<ApiRoutes>(
      server,
      [&loop, &core_holder](std::function<void(ServerCore&)> fn) {
        loop.Post([&core_holder, fn = std::move(fn)](Engine&) { fn(*core_holder); });
      },
      events, http_latency);
  if (Result<Unit> listening = server.Listen(); !listening.ok()) {
    Fail(listening.error().message);
    return kExitUnreachable;
  }
  // Requests wait in the listen queue until the io thread runs, after Restore.
  const std::string address = http.host + ":" + std::to_string(server.port());
  core_options.server.name = options.name.empty() ? address : options.name;
  core_options.server.url = options.advertise.empty() ? "http://" + address : options.advertise;
  core_holder = std::make_unique<ServerCore>(store, clock, core_options, lease_table);
  ServerCore& core = *core_holder;
  if (Result<Unit> restored = core.Restore(startup_settings); !restored.ok()) {
    Fail(restored.error().message);
    return kExitUnreachable;
  }
  // An async cycle's result wakes the loop, whose next batch applies it.
  core.engine().set_cycle_wake([&loop] { loop.Post([](Engine&) {}); });
  ScheduleKeepAlive(server, events);
  std::thread io([&server] { server.Run(); });

  if (!options.quiet) {
    std::fprintf(stderr,
                 "rota server: listening on http://%s:%u, store %s (%zu jobs, %zu hosts), epoch %llu\n",
                 http.host.c_str(), unsigned(server.port()), store_name.c_str(),
                 core.engine().job_count(), core.engine().hosts().size(),
                 static_cast<unsigned long long>(core.engine().epoch()));
  }

  // On a shared log, what other servers append: a notification (or a second without one) wakes
  // the loop to apply it.
  std::atomic<bool> tailing{store.Shared()};
  std::thread tailer;
  if (tailing) {
    tailer = std::thread([&] {
      while (tailing) {
        // Unreachable: wait as long as a quiet second would, then look anyway.
        if (!store.AwaitAppend(kFollowEvery).ok()) std::this_thread::sleep_for(kFollowEvery);
        if (tailing) loop.Post([&core](Engine&) { core.FollowOthers(); });
      }
    });
  }

  // Webhooks: their own thread; each hook's cursor comes back through the loop as a change.
  HookSender hooks(store, [&loop, &core](const std::string& hook, uint64_t seq) {
    loop.Post([&core, hook, seq](Engine&) { core.HookDelivered(hook, seq); });
  });
  core.set_extra_metrics([&hooks] { return hooks.Metrics(); });

  bool stop = false;
  core.set_event_publisher([&server, &events, &hooks](std::vector<EventRecord> batch, uint64_t stored_through) {
    // Kept on this thread; the io thread is woken only when a stream follows.
    if (events.Record(batch, stored_through)) server.Post([&events] { events.SendNew(); });
    hooks.Wake();
  });
  auto publish = [&] {
    core.AfterBatch();
    hooks.Update(core.engine().hooks(), core.HoldsSchedules());
    if (!core.fatal().empty()) stop = true;
  };
  loop.Run(
      core.engine(), [&stop](const Engine&) { return stop; }, publish,
      std::chrono::milliseconds(200),
      {EngineLoop::Source{interrupts.fd(), [&](Engine&) {
                            if (interrupts.Take() > 0) stop = true;
                          }}},
      /*fire_timers=*/false);   // AfterBatch proposes what is due through the log
  core.engine().StopCycles();   // its thread may wake `loop`, which goes away first
  tailing = false;
  if (tailer.joinable()) tailer.join();
  publish();
  core.Flush();
  server.Stop();
  io.join();
  if (!core.fatal().empty()) {
    Fail(core.fatal());
    return kExitUnreachable;
  }
  if (!options.quiet) std::fprintf(stderr, "rota server: stopped\n");
  return 0;
}

}  // namespace rota
