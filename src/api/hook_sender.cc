#include "api/hook_sender.h"

#include "api/metrics.h"
#include "core/sha256.h"
#include "net/http_client.h"
#include "net/server_url.h"

namespace rota {
namespace {

constexpr size_t kReadBatch = 500;
// A hook that wants few of many events still moves its durable cursor now and then, so that a
// restart does not read them all again.
constexpr uint64_t kReportUnwantedEvery = 1000;
constexpr auto kPoll = std::chrono::milliseconds(200);

// The event's type, read from the stored JSON ({"seq":..,"ts_us":..,"type":"..."}).
std::string_view TypeOf(std::string_view json) {
  constexpr std::string_view kKey = "\"type\":\"";
  const size_t at = json.find(kKey);
  if (at == std::string_view::npos) return {};
  const size_t start = at + kKey.size();
  const size_t end = json.find('"', start);
  return end == std::string_view::npos ? std::string_view() : json.substr(start, end - start);
}

std::string Label(const std::string& hook) {
  std::string out;
  for (char c : hook) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

HookSender::HookSender(Store& store, Advance advance, HookSenderOptions options)
    : store_(store), advance_(std::move(advance)), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

HookSender::~HookSender() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void HookSender::Update(const std::map<std::string, HookState>& hooks, bool holder) {
  std::lock_guard lock(mu_);
  bool changed = holder != holder_;
  holder_ = holder;
  for (auto it = hooks_.begin(); it != hooks_.end();) {
    auto now = hooks.find(it->first);
    if (now == hooks.end() || now->second.text != it->second.state.text) {
      it = hooks_.erase(it);
      changed = true;
    } else {
      it->second.state.delivered = std::max(it->second.state.delivered, now->second.delivered);
      ++it;
    }
  }
  for (const auto& [name, state] : hooks) {
    if (hooks_.count(name)) continue;
    Hook& hook = hooks_[name];
    hook.state = state;
    hook.reported = state.delivered;
    changed = true;
  }
  if (changed) {
    woken_ = true;
    wake_.notify_all();
  }
}

void HookSender::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  wake_.notify_all();
}

void HookSender::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    woken_ = false;
    auto next = std::chrono::steady_clock::now() + kPoll;
    if (holder_ && !hooks_.empty()) {
      std::vector<std::pair<std::string, Hook>> work(hooks_.begin(), hooks_.end());
      lock.unlock();
      for (auto& [name, hook] : work) {
        if (std::chrono::steady_clock::now() >= hook.retry_at) Pass(name, hook);
      }
      lock.lock();
    }
    if (!woken_ && !stop_) wake_.wait_until(lock, next);
  }
}

void HookSender::Pass(const std::string& name, Hook hook) {
  const HookDef& def = *hook.state.def;
  const size_t path = def.url.find('/', 7);
  Result<ServerUrl> server = ParseServerUrl(def.url.substr(0, path));
  const std::string target = path == std::string::npos ? "/" : def.url.substr(path);
  bool failed = !server.ok();
  bool sent = false;
  hook.depth = 0;
  // One keep-alive connection per hook, made when it first has something to send.
  std::unique_ptr<HttpClient>& client = clients_[name];
  if (client != nullptr && (!server.ok() || client->server().text != server->text)) client.reset();
  while (!failed) {
    Result<std::vector<EventRecord>> events =
        store_.EventsSince(std::max(hook.state.delivered, hook.scanned), kReadBatch);
    if (!events.ok() || events->empty()) break;
    for (size_t i = 0; i < events->size(); ++i) {
      const EventRecord& e = (*events)[i];
      const std::string_view type = TypeOf(e.json);
      if (!def.Wants(type)) {
        hook.scanned = e.seq;
        continue;
      }
      if (client == nullptr) client = std::make_unique<HttpClient>(*server);
      const std::string signature = "sha256=" + HexLower(HmacSha256(def.secret, e.json));
      Result<HttpReply> reply = client->Request(
          "POST", target, e.json, "application/json", options_.timeout,
          {{"Rota-Event", std::string(type)},
           {"Rota-Signature", signature},
           {"Idempotency-Key", name + "/" + std::to_string(e.seq)},
           {"Rota-Delivery-Attempt", std::to_string(hook.failures + 1)}});
      if (!reply.ok() || reply->status < 200 || reply->status > 299) {
        failed = true;
        for (size_t k = i; k < events->size(); ++k) hook.depth += def.Wants(TypeOf((*events)[k].json)) ? 1 : 0;
        break;
      }
      hook.scanned = e.seq;
      hook.failures = 0;
      ++hook.delivered;
      sent = true;
    }
    if (events->size() < kReadBatch) break;
  }
  if (failed) {
    ++hook.failed;
    ++hook.failures;
    auto backoff = options_.first_retry * (1LL << std::min(hook.failures - 1, 20));
    hook.retry_at = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(backoff, options_.max_retry);
  }
  const bool report = hook.scanned > hook.reported && (sent || hook.scanned - hook.reported >= kReportUnwantedEvery);
  if (report) hook.reported = hook.scanned;
  {
    std::lock_guard lock(mu_);
    auto it = hooks_.find(name);
    if (it == hooks_.end() || it->second.state.text != hook.state.text) return;   // changed meanwhile
    hook.state.delivered = std::max(hook.state.delivered, it->second.state.delivered);
    it->second = hook;
  }
  if (report) advance_(name, hook.scanned);
}

std::string HookSender::Metrics() const {
  std::lock_guard lock(mu_);
  std::string out;
  MetricHeader("rota_hook_outbox_depth", "gauge", "Events a webhook wants that have not reached it yet.", out);
  for (const auto& [name, hook] : hooks_) MetricLine("rota_hook_outbox_depth", "hook=\"" + Label(name) + "\"", double(hook.depth), out);
  MetricHeader("rota_hook_deliveries_total", "counter", "Webhook deliveries by this server, by result.", out);
  for (const auto& [name, hook] : hooks_) {
    MetricLine("rota_hook_deliveries_total", "hook=\"" + Label(name) + "\",result=\"ok\"", double(hook.delivered), out);
    MetricLine("rota_hook_deliveries_total", "hook=\"" + Label(name) + "\",result=\"failed\"", double(hook.failed), out);
  }
  return out;
}

}  // namespace rota
