#include "net/failover_client.h"

namespace rota {
namespace {

bool TransportFailure(const Error& e) { return e.code == "unreachable" || e.code == "timeout"; }

// "cannot reach http://a:7070: Connection refused" -> "Connection refused".
std::string Why(const Error& e, const ServerUrl& server) {
  const std::string prefix = "cannot reach " + server.text + ": ";
  if (e.message.starts_with(prefix)) return e.message.substr(prefix.size());
  return e.message;
}

}  // namespace

FailoverClient::FailoverClient(std::vector<ServerUrl> servers, std::shared_ptr<std::atomic<size_t>> current)
    : servers_(std::move(servers)),
      clients_(servers_.size()),
      current_(current ? std::move(current) : std::make_shared<std::atomic<size_t>>(0)) {}

FailoverClient::~FailoverClient() = default;

const ServerUrl& FailoverClient::server() const { return servers_[current_->load() % servers_.size()]; }

template <class T>
Result<T> FailoverClient::OnEach(const std::function<Result<T>(HttpClient&)>& attempt,
                                 const std::function<bool(const Error&, const HttpClient&)>& may_move_on) {
  const size_t first = current_->load() % servers_.size();
  std::vector<std::pair<size_t, Error>> failures;
  for (size_t k = 0; k < servers_.size(); ++k) {
    const size_t i = (first + k) % servers_.size();
    if (!clients_[i]) clients_[i] = std::make_unique<HttpClient>(servers_[i]);
    Result<T> result = attempt(*clients_[i]);
    if (result.ok() || !may_move_on(result.error(), *clients_[i]) || servers_.size() == 1) {
      if (result.ok() && i != first) current_->store(i);
      if (result.ok() || failures.empty()) return result;
      failures.emplace_back(i, result.error());
      break;
    }
    failures.emplace_back(i, result.error());
    // The next one is the current one from now on, unless another thread moved it already.
    size_t expected = i;
    current_->compare_exchange_strong(expected, (i + 1) % servers_.size());
  }
  if (failures.size() == 1) return failures.front().second;
  // Every server tried: "cannot reach http://a:7070 (Connection refused), http://b:7070 (...)".
  std::string message = "cannot reach ";
  std::string code = "unreachable";
  for (size_t n = 0; n < failures.size(); ++n) {
    const auto& [i, error] = failures[n];
    message += (n ? ", " : "") + servers_[i].text + " (" + Why(error, servers_[i]) + ")";
    if (!TransportFailure(error)) code = error.code;
  }
  return MakeError(code, message);
}

Result<HttpReply> FailoverClient::Request(std::string_view method, std::string_view target, std::string_view body,
                                          std::string_view content_type, std::chrono::milliseconds timeout,
                                          const Headers& headers, Repeat repeat) {
  return OnEach<HttpReply>(
      [&](HttpClient& c) { return c.Request(method, target, body, content_type, timeout, headers); },
      [&](const Error& e, const HttpClient& c) {
        return TransportFailure(e) && (repeat == Repeat::kSafe || !c.delivered());
      });
}

Result<int> FailoverClient::Stream(std::string_view target, const Headers& headers,
                                   const std::function<bool(std::string_view data)>& on_data) {
  bool began = false;
  return OnEach<int>(
      [&](HttpClient& c) {
        return c.Stream(target, headers, [&](std::string_view data) {
          began = true;
          return on_data(data);
        });
      },
      [&](const Error& e, const HttpClient&) { return TransportFailure(e) && !began; });
}

}  // namespace rota
