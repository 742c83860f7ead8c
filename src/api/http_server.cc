#include "api/http_server.h"

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <condition_variable>
#include <mutex>

#include "api/http_connection.h"

namespace rota {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Accept errors that say "out of resources": retrying at once would spin.
bool IsResourceShortage(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory ||
         (ec.category() == boost::system::system_category() && ec.value() == ENFILE);
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpServer::Impl {
  Impl(HttpServerOptions options, HttpHandler handler)
      : state(std::move(options), std::move(handler)),
        work(asio::make_work_guard(state.ioc)),
        acceptor(state.ioc),
        accept_retry(state.ioc) {
    state.gate->ioc = &state.ioc;
  }

  void Accept();
  void OnAccept(const error_code& ec, tcp::socket socket);
  void CloseAll();

  HttpServerState state;  // first: the io_context outlives the objects below
  asio::executor_work_guard<asio::io_context::executor_type> work;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::atomic<uint16_t> port{0};
  bool closed_all = false;  // io thread; the destructor's once Run has returned

  std::mutex run_mu;
  std::condition_variable run_cv;
  bool running = false;  // guarded by run_mu: Run() is inside io_context::run()
};

void HttpServer::Impl::Accept() {
  acceptor.async_accept(
      [this](const error_code& ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void HttpServer::Impl::OnAccept(const error_code& ec, tcp::socket socket) {
  if (closed_all || ec == asio::error::operation_aborted) return;
  if (ec) {
    if (!IsResourceShortage(ec)) {
      Accept();
      return;
    }
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](const error_code& wait_ec) {
      if (!wait_ec && !closed_all) Accept();
    });
    return;
  }
  if (state.open.load(std::memory_order_relaxed) >= state.options.max_connections) {
    error_code ignored;
    socket.close(ignored);
  } else {
    auto connection = std::make_shared<HttpConnection>(state, std::move(socket));
    state.connections.insert(connection);
    state.open.fetch_add(1, std::memory_order_relaxed);
    connection->Start();
  }
  Accept();
}

void HttpServer::Impl::CloseAll() {
  if (closed_all) return;
  closed_all = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  std::vector<std::shared_ptr<HttpConnection>> open(state.connections.begin(),
                                                    state.connections.end());
  for (const auto& connection : open) connection->Close();
  work.reset();
  state.ioc.stop();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  Stop();
  {
    std::unique_lock lock(impl_->run_mu);
    impl_->run_cv.wait(lock, [this] { return !impl_->running; });
  }
  // Nobody runs the io_context now: finish closing on this thread if Run never got to it.
  impl_->CloseAll();
  std::lock_guard lock(impl_->state.gate->mu);
  impl_->state.gate->ioc = nullptr;  // exchanges that outlive us stop posting
}

Result<Unit> HttpServer::Listen() {
  const HttpServerOptions& options = impl_->state.options;
  std::string host = options.host.empty() ? "0.0.0.0" : options.host;
  std::string where = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                      std::to_string(options.port);
  auto fail = [&](const error_code& ec) {
    error_code ignored;
    impl_->acceptor.close(ignored);
    return MakeError("listen", "cannot listen on " + where + ": " + ec.message());
  };

  error_code ec;
  tcp::endpoint endpoint;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options.port);
  } else {
    tcp::resolver resolver(impl_->state.ioc);
    auto results = resolver.resolve(host, std::to_string(options.port), ec);
    if (ec) return fail(ec);
    if (results.empty()) return fail(asio::error::host_not_found);
    endpoint = results.begin()->endpoint();
  }
  tcp::acceptor& acceptor = impl_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec)) return fail(ec);
  if (acceptor.set_option(tcp::acceptor::reuse_address(true), ec)) return fail(ec);
  if (acceptor.bind(endpoint, ec)) return fail(ec);
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec)) return fail(ec);
  impl_->port.store(acceptor.local_endpoint(ec).port());
  asio::post(impl_->state.ioc, [impl = impl_.get()] { impl->Accept(); });
  return Unit{};
}

uint16_t HttpServer::port() const { return impl_->port.load(); }

void HttpServer::Run() {
  {
    std::lock_guard lock(impl_->run_mu);
    impl_->running = true;
  }
  struct Done {
    Impl* impl;
    ~Done() {
      std::lock_guard lock(impl->run_mu);
      impl->running = false;
      impl->run_cv.notify_all();  // under the lock: the destructor may free the cv right after
    }
  } done{impl_.get()};
  impl_->state.ioc.run();
}

void HttpServer::Stop() {
  asio::post(impl_->state.ioc, [impl = impl_.get()] { impl->CloseAll(); });
}

void HttpServer::Post(std::function<void()> fn) { asio::post(impl_->state.ioc, std::move(fn)); }

void HttpServer::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto deadline = std::chrono::steady_clock::now() + delay;
  asio::post(impl_->state.ioc, [impl = impl_.get(), deadline, fn = std::move(fn)]() mutable {
    auto timer = std::make_shared<asio::steady_timer>(impl->state.ioc, deadline);
    timer->async_wait([timer, fn = std::move(fn)](const error_code& ec) {
      if (!ec) fn();
    });
  });
}

size_t HttpServer::open_connections() const {
  return impl_->state.open.load(std::memory_order_relaxed);
}

}  // namespace rota
