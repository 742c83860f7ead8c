// The inside of HttpServer: one accepted socket (HttpConnection) reading requests, handing them
// to the handler and writing replies and streams. Private to src/api.
//
// Threads: everything in HttpConnection and HttpServerState runs on the server's io thread.
// Handlers' calls reach it through HttpExchangeImpl (http_exchange.h).
#pragma once

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "api/http_exchange.h"
#include "api/http_server.h"

namespace rota {

// What connections share with the server. Owned by HttpServer::Impl; outlives every connection
// that is still open (the server closes them all before destroying this).
struct HttpServerState {
  explicit HttpServerState(HttpServerOptions o, HttpHandler h)
      : options(std::move(o)), handler(std::move(h)) {}

  HttpServerOptions options;
  HttpHandler handler;
  boost::asio::io_context ioc{1};  // one thread runs it
  std::shared_ptr<HttpGate> gate = std::make_shared<HttpGate>();
  std::unordered_set<std::shared_ptr<HttpConnection>> connections;  // open ones; io thread only
  std::atomic<size_t> open{0};                                      // connections.size()
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpServerState& server, boost::asio::ip::tcp::socket socket);

  void Start();
  // Closes the socket, marks the current exchange closed (running its OnClose) and leaves the
  // server's set. Idempotent.
  void Close();

  // Completions posted by HttpExchangeImpl. `seq` names the request; stale ones are ignored.
  void DoReply(uint64_t seq, HttpResponse response);
  void DoStartStream(uint64_t seq, std::string content_type, std::string route);
  void DoSend(uint64_t seq, std::string chunk);
  void DoEnd(uint64_t seq);

 private:
  using Clock = std::chrono::steady_clock;
  enum class State {
    kReading,    // parsing a request
    kHandling,   // the handler has it; reads continue only to notice a disconnect
    kWriting,    // writing a whole reply
    kStreaming,  // writing a chunked stream
    kLingering,  // after an error reply: our side shut, draining what the peer still sends
    kClosed,
  };

  void BeginRequest();
  void StartRead();
  // The bytes not parsed yet. While a read is pending its area must stay put, so consumption
  // is deferred until the read completes.
  boost::asio::const_buffer Unparsed() const;
  size_t UnparsedSize() const;
  void Consume(size_t bytes);
  void OnRead(boost::system::error_code ec, size_t bytes);
  void ParseBuffered();
  void MaybeSendContinue();
  void Dispatch();
  void FailParse(boost::system::error_code ec);
  void Queue(std::string bytes);
  void Pump();
  void OnWritten(boost::system::error_code ec);
  void Finish();
  void StartLinger();
  void Report();
  void SetDeadline(Clock::time_point deadline);
  void OnTimer(uint64_t generation);

  HttpServerState& server_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  State state_ = State::kReading;

  // Reading. One read is always pending while the connection is open (reading_).
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  bool reading_ = false;
  size_t deferred_consume_ = 0;
  bool header_deadline_set_ = false;  // the deadline is the request's, not the idle one
  bool continue_sent_ = false;
  size_t lingered_bytes_ = 0;

  // The request being served.
  uint64_t seq_ = 0;
  std::weak_ptr<HttpExchangeImpl> exchange_;
  std::string method_;
  std::string route_;  // the path until a response names its route
  Clock::time_point received_;
  int status_ = 0;
  bool keep_alive_ = true;
  bool http10_ = false;            // HTTP/1.0 peer: no chunked encoding
  bool head_only_ = false;         // HEAD: no body bytes
  bool response_started_ = false;  // on_response still owed
  bool linger_after_ = false;      // error reply: drain, then close
  bool finish_when_drained_ = false;
  bool stream_ending_ = false;

  // Writing: never two async_writes at once.
  std::vector<std::string> pending_;
  std::vector<std::string> inflight_;
  std::vector<boost::asio::const_buffer> buffers_;
  size_t pending_bytes_ = 0;
  bool writing_ = false;

  // One timer, re-armed lazily: deadline_ may be later than the armed expiry.
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timer_armed_ = false;
  uint64_t timer_generation_ = 0;
};

}  // namespace rota
