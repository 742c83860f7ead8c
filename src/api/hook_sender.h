// HookSender: delivers the events each webhook wants (issue 11), at least once, from a durable
// outbox. The outbox is the event log itself (the store keeps every event with its global seq)
// plus each hook's cursor in the engine's state (HookDelivered changes): after a crash, a restart
// or a failover, whoever holds the schedules lease resumes from the cursor, so an event is never
// lost and may come twice. The receiver tells repeats apart by the Idempotency-Key header
// ("<hook>/<seq>", the same on every server and every attempt), and checks Rota-Signature
// ("sha256=" + hex HMAC-SHA256 of the body under the hook's secret, as GitHub signs its hooks).
//
// A failed delivery (no answer, or a status other than 2xx) is tried again after 1 s, 2 s, 4 s, ...
// up to 5 minutes, the hook's later events waiting behind it: events reach a hook in seq order.
//
// Runs its own thread (deliveries block on the network). The loop thread tells it the hooks and
// whether this server holds the lease (Update) and that events were stored (Wake); it tells the
// loop each hook's new cursor through `advance`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/periodic_state.h"
#include "net/http_client.h"
#include "store/store.h"

namespace rota {

struct HookSenderOptions {
  std::chrono::milliseconds first_retry{1000};
  std::chrono::milliseconds max_retry{300000};
  std::chrono::milliseconds timeout{10000};   // per delivery
};

class HookSender {
 public:
  using Advance = std::function<void(const std::string& hook, uint64_t seq)>;
  HookSender(Store& store, Advance advance, HookSenderOptions options = {});
  ~HookSender();   // stops the thread (a delivery under way finishes or times out first)
  HookSender(const HookSender&) = delete;
  HookSender& operator=(const HookSender&) = delete;

  // The hooks as the engine has them now, and whether this server delivers.
  void Update(const std::map<std::string, HookState>& hooks, bool holder);
  // New events may be in the store.
  void Wake();
  // Prometheus lines: rota_hook_outbox_depth{hook} and rota_hook_deliveries_total{hook,result}.
  std::string Metrics() const;

 private:
  struct Hook {
    HookState state;
    uint64_t scanned = 0;          // every event up to here was delivered or is not wanted
    uint64_t reported = 0;         // the cursor last handed to `advance`
    uint64_t depth = 0;            // wanted events read and not delivered yet
    int failures = 0;              // in a row, for the backoff
    std::chrono::steady_clock::time_point retry_at{};
    uint64_t delivered = 0, failed = 0;
  };
  void Run();
  // One pass over one hook: delivers what it can; false when it must wait (a failure, a backoff).
  void Pass(const std::string& name, Hook hook_copy);

  Store& store_;
  Advance advance_;
  HookSenderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, Hook> hooks_;   // GUARDED_BY(mu_)
  std::map<std::string, std::unique_ptr<HttpClient>> clients_;   // the sender's thread only
  bool holder_ = false;                 // GUARDED_BY(mu_)
  bool woken_ = false;                  // GUARDED_BY(mu_)
  bool stop_ = false;                   // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace rota
