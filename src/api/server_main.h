// `rota server`: the scheduler daemon (DESIGN sections 4 and 6). Wires the store, the engine loop
// and the HTTP API together and runs until SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "api/lease_keeper.h"
#include "api/snapshotter.h"

namespace rota {

struct ServerOptions {
  std::string listen = "127.0.0.1:7070";
  std::string db = "rota.db";                 // SQLite file, when `store` is empty
  std::string store;                          // postgres://... or sqlite:FILE (open_store.h)
  std::string config_file;                    // optional YAML/JSON with the same keys as the flags
  std::string log_dir;                        // run logs; "" = "<db>.logs" (SQLite), "rota-logs"
  std::chrono::milliseconds heartbeat_timeout{30000};  // an agent silent this long is lost
  size_t max_body_bytes = 16u << 20;
  SnapshotterOptions snapshots;
  bool quiet = false;
  // Scheduler settings from the config file (keys of DESIGN section 6, e.g. "policy"): applied at
  // every start over what the store holds; `PUT /v1/config` changes them until the next start.
  std::map<std::string, std::string> config;
  // Several servers on one PostgreSQL (docs/scale-out.md).
  std::string name;                           // unique among them; "" = HOST:PORT it listens on
  std::string advertise;                      // the URL the others show for it; "" = http://listen
  std::vector<std::string> exclude_pools;     // pools it never leases
  std::vector<std::string> exclude_queues;    // queues it never places
  LeaseOptions leases;
  bool lease_lock = true;                     // hold an advisory lock: peers see a kill -9 at once
};

// Returns the process exit code: 0 after a clean stop, 2 for bad options or config, 3 when the
// address cannot be bound or the store cannot be opened (message on stderr starting "error:").
int RunServer(const ServerOptions& options);

}  // namespace rota
