// The HttpExchange of HttpServer: how a handler's replies and stream chunks, from any thread,
// reach the connection on the io thread. Private to src/api.
#pragma once

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http_server.h"

namespace rota {

class HttpConnection;

// Lets exchanges post to the io thread while the server exists.
struct HttpGate {
  std::mutex mu;
  boost::asio::io_context* ioc = nullptr;  // guarded by mu; null once the server is going away
};

// The HttpExchange handed to the handler for one request. Holds the connection weakly: once the
// connection is gone, every call is a no-op. Dropping an exchange that never replied answers 500;
// dropping a stream that never ended ends it.
//
// Order: a Reply is posted as it is (nothing can follow it). Stream calls go through a queue of
// their own that one posted Drain() empties on the io thread, because Asio does not keep posts
// from the io thread (StartStream inside the handler) in order with posts from other threads.
class HttpExchangeImpl final : public HttpExchange,
                               public std::enable_shared_from_this<HttpExchangeImpl> {
 public:
  HttpExchangeImpl(std::shared_ptr<HttpGate> gate, std::weak_ptr<HttpConnection> connection,
                   uint64_t seq)
      : gate_(std::move(gate)), connection_(std::move(connection)), seq_(seq) {}
  ~HttpExchangeImpl() override;

  void Reply(HttpResponse response) override;
  void StartStream(std::string content_type, std::string route) override;
  void Send(std::string chunk) override;
  void End() override;
  bool closed() const override { return closed_.load(std::memory_order_acquire); }
  void OnClose(std::function<void()> fn) override;

  // Io thread only. MarkClosed: the peer went away; runs the OnClose callback. Detach: the
  // response is complete; the callback is dropped without running.
  void MarkClosed();
  void Detach();

 private:
  struct StreamOp {
    enum class Kind { kStart, kSend, kEnd } kind;
    std::string text;   // content type or chunk
    std::string route;  // kStart
  };

  // Posts op(connection) to the io thread unless the connection or the server is gone; false
  // then. REQUIRES: mu_ held.
  template <class Op>
  bool PostLocked(Op op);
  // Queues a stream call and makes sure a Drain() is on its way. REQUIRES: mu_ held.
  void QueueLocked(StreamOp op);
  // Io thread: hands the queued stream calls to the connection, in order.
  void Drain(HttpConnection& connection);

  const std::shared_ptr<HttpGate> gate_;
  const std::weak_ptr<HttpConnection> connection_;
  const uint64_t seq_;  // which request of the connection this is

  mutable std::mutex mu_;
  bool started_ = false;    // Reply or StartStream taken
  bool streaming_ = false;  // StartStream taken
  bool ended_ = false;      // End taken
  bool detached_ = false;   // response complete
  std::vector<StreamOp> stream_ops_;
  bool drain_posted_ = false;
  std::function<void()> on_close_;
  std::atomic<bool> closed_{false};
};

}  // namespace rota
