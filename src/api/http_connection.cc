#include "api/http_connection.h"

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>
#include <exception>

#include "api/http_query.h"
#include "api/http_wire.h"

namespace rota {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kMinRead = 2048;
constexpr size_t kMaxRead = 64 * 1024;
constexpr size_t kInlineBodyBytes = 16 * 1024;  // smaller bodies are copied behind the head
constexpr size_t kMaxQueuedStreamBytes = 64u << 20;
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 1u << 20;

std::string ToString(beast::string_view text) { return std::string(text.data(), text.size()); }

}  // namespace

using http_wire::AppendHead;
using http_wire::AppendHeader;
using http_wire::AppendNumber;
using http_wire::ErrorBody;
using http_wire::InternalError;
using http_wire::StatusHasBody;

// ---- HttpConnection: reading -----------------------------------------------------------------

HttpConnection::HttpConnection(HttpServerState& server, tcp::socket socket)
    : server_(server), socket_(std::move(socket)), timer_(server.ioc) {}

void HttpConnection::Start() {
  beast::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  BeginRequest();
  header_deadline_set_ = true;  // the first request's clock starts at accept
  SetDeadline(Clock::now() + server_.options.header_timeout);
  StartRead();
}

void HttpConnection::BeginRequest() {
  state_ = State::kReading;
  header_deadline_set_ = false;
  continue_sent_ = false;
  parser_.emplace();
  parser_->header_limit(
      static_cast<uint32_t>(std::min<size_t>(server_.options.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(static_cast<uint64_t>(server_.options.max_body_bytes));
  parser_->eager(true);
}

asio::const_buffer HttpConnection::Unparsed() const {
  asio::const_buffer data = buffer_.data();
  return asio::const_buffer(static_cast<const char*>(data.data()) + deferred_consume_,
                            data.size() - deferred_consume_);
}

size_t HttpConnection::UnparsedSize() const { return buffer_.size() - deferred_consume_; }

void HttpConnection::Consume(size_t bytes) {
  if (reading_) {
    deferred_consume_ += bytes;  // consuming everything would move the area the read fills
  } else {
    buffer_.consume(bytes);
  }
}

void HttpConnection::StartRead() {
  reading_ = true;
  size_t room = buffer_.capacity() - buffer_.size();
  size_t size = std::clamp(room, kMinRead, kMaxRead);
  socket_.async_read_some(
      buffer_.prepare(size),
      [self = shared_from_this()](beast::error_code ec, size_t bytes) { self->OnRead(ec, bytes); });
}

void HttpConnection::OnRead(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (state_ == State::kClosed) return;
  if (ec) {  // end of stream, reset, or aborted: the peer is gone
    Close();
    return;
  }
  buffer_.commit(bytes);
  buffer_.consume(std::exchange(deferred_consume_, 0));
  if (state_ == State::kReading) {
    ParseBuffered();
  } else if (state_ == State::kLingering || linger_after_) {
    if (state_ == State::kLingering) lingered_bytes_ += buffer_.size();
    buffer_.consume(buffer_.size());
    if (lingered_bytes_ > kLingerBytes) Close();
  } else if (buffer_.size() > server_.options.max_header_bytes + server_.options.max_body_bytes) {
    Close();  // pipelining more than one whole request ahead: not a client we serve
  }
  if (state_ != State::kClosed && !reading_) StartRead();
}

void HttpConnection::ParseBuffered() {
  while (state_ == State::kReading && UnparsedSize() > 0) {
    beast::error_code ec;
    size_t used = parser_->put(Unparsed(), ec);
    Consume(used);
    if (ec && ec != http::error::need_more) {
      FailParse(ec);
      return;
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    MaybeSendContinue();
    if (ec || used == 0) break;
  }
  if (state_ == State::kReading && !header_deadline_set_ && parser_->got_some()) {
    header_deadline_set_ = true;  // the request has begun: it must be complete in time
    SetDeadline(Clock::now() + server_.options.header_timeout);
  }
}

void HttpConnection::MaybeSendContinue() {
  if (continue_sent_ || !parser_->is_header_done()) return;
  const auto& message = parser_->get();
  if (message.version() < 11 || !beast::iequals(message[http::field::expect], "100-continue")) {
    return;
  }
  continue_sent_ = true;
  Queue("HTTP/1.1 100 Continue\r\n\r\n");
  Pump();
}

void HttpConnection::Dispatch() {
  auto& message = parser_->get();
  HttpRequest request;
  request.method = ToString(message.method_string());
  request.target = ToString(message.target());
  DecodedTarget decoded = DecodeTarget(request.target);
  request.path = std::move(decoded.path);
  request.query = std::move(decoded.query);
  for (const auto& field : message) {
    std::string name = ToString(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    beast::string_view value = field.value();
    auto [it, inserted] = request.headers.try_emplace(std::move(name));
    if (!inserted) it->second += ", ";
    it->second.append(value.data(), value.size());
  }
  request.body = std::move(message.body());
  request.received = Clock::now();

  keep_alive_ = message.keep_alive();
  http10_ = message.version() < 11;
  head_only_ = message.method() == http::verb::head;
  method_ = request.method;
  route_ = request.path;
  received_ = request.received;
  status_ = 0;
  linger_after_ = false;
  parser_.reset();
  state_ = State::kHandling;
  SetDeadline(Clock::time_point::max());  // a handler may take its time (long-poll)

  auto exchange = std::make_shared<HttpExchangeImpl>(server_.gate, weak_from_this(), ++seq_);
  exchange_ = exchange;
  try {
    server_.handler(std::move(request), exchange);
  } catch (const std::exception& e) {
    exchange->Reply(InternalError(e.what()));
  } catch (...) {
    exchange->Reply(InternalError("unknown exception"));
  }
}

void HttpConnection::FailParse(beast::error_code ec) {
  const HttpServerOptions& options = server_.options;
  int status = 400;
  std::string body;
  if (ec == http::error::body_limit) {
    status = 413;
    uint64_t length = 0;
    std::string limit = std::to_string(options.max_body_bytes);
    beast::string_view declared = parser_->get()[http::field::content_length];
    if (http_wire::ParseNumber(std::string_view(declared.data(), declared.size()), &length)) {
      body = ErrorBody("too_large", "request body is " + std::to_string(length) +
                                        " bytes; the limit is " + limit);
    } else {
      body = ErrorBody("too_large", "request body is larger than the limit of " + limit + " bytes");
    }
  } else if (ec == http::error::header_limit) {
    status = 431;
    body = ErrorBody("header_too_large", "request header is larger than the limit of " +
                                             std::to_string(options.max_header_bytes) + " bytes");
  } else {
    body = ErrorBody("bad_request", "malformed HTTP request: " + ec.message());
  }
  method_ = ToString(parser_->get().method_string());
  route_.clear();
  received_ = Clock::now();
  status_ = status;
  response_started_ = true;
  keep_alive_ = false;
  http10_ = false;
  head_only_ = false;
  linger_after_ = true;
  parser_.reset();

  std::string out;
  AppendHead(out, status, /*keep_alive=*/false, /*http10=*/false);
  out += "Content-Type: application/json\r\nContent-Length: ";
  AppendNumber(out, body.size());
  out += "\r\n\r\n";
  out += body;
  state_ = State::kWriting;
  finish_when_drained_ = true;
  Queue(std::move(out));
  Pump();
}

// ---- HttpConnection: replies and streams -----------------------------------------------------

void HttpConnection::DoReply(uint64_t seq, HttpResponse response) {
  if (state_ != State::kHandling || seq != seq_) return;
  status_ = response.status;
  if (!response.route.empty()) route_ = std::move(response.route);
  response_started_ = true;

  bool has_body = StatusHasBody(response.status);
  std::string out;
  out.reserve(160 + (response.body.size() <= kInlineBodyBytes ? response.body.size() : 0));
  AppendHead(out, response.status, keep_alive_, http10_);
  if (!response.content_type.empty()) AppendHeader(out, "Content-Type", response.content_type);
  if (has_body) {
    out += "Content-Length: ";
    AppendNumber(out, response.body.size());
    out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) AppendHeader(out, name, value);
  out += "\r\n";
  state_ = State::kWriting;
  finish_when_drained_ = true;
  if (has_body && !head_only_ && !response.body.empty()) {
    if (response.body.size() <= kInlineBodyBytes) {
      out += response.body;
      Queue(std::move(out));
    } else {
      Queue(std::move(out));
      Queue(std::move(response.body));
    }
  } else {
    Queue(std::move(out));
  }
  Pump();
}

void HttpConnection::DoStartStream(uint64_t seq, std::string content_type, std::string route) {
  if (state_ != State::kHandling || seq != seq_) return;
  status_ = 200;
  if (!route.empty()) route_ = std::move(route);
  response_started_ = true;
  if (http10_) keep_alive_ = false;  // no chunked encoding: the end of the stream is the close

  std::string out;
  AppendHead(out, 200, keep_alive_, http10_);
  AppendHeader(out, "Content-Type", content_type);
  out += "Cache-Control: no-cache\r\n";
  if (!http10_) out += "Transfer-Encoding: chunked\r\n";
  out += "\r\n";
  state_ = State::kStreaming;
  Queue(std::move(out));
  if (head_only_) {
    stream_ending_ = true;
    finish_when_drained_ = true;
  }
  Pump();
}

void HttpConnection::DoSend(uint64_t seq, std::string chunk) {
  if (state_ != State::kStreaming || seq != seq_ || stream_ending_ || chunk.empty()) return;
  if (pending_bytes_ + chunk.size() > kMaxQueuedStreamBytes) {
    Close();  // the peer stopped reading long ago
    return;
  }
  if (http10_) {
    Queue(std::move(chunk));
  } else {
    std::string framed;
    framed.reserve(chunk.size() + 24);
    AppendNumber(framed, chunk.size(), 16);
    framed += "\r\n";
    framed += chunk;
    framed += "\r\n";
    Queue(std::move(framed));
  }
  Pump();
}

void HttpConnection::DoEnd(uint64_t seq) {
  if (state_ != State::kStreaming || seq != seq_ || stream_ending_) return;
  stream_ending_ = true;
  finish_when_drained_ = true;
  if (!http10_) Queue("0\r\n\r\n");
  if (!writing_ && pending_.empty()) {
    Finish();
  } else {
    Pump();
  }
}

// ---- HttpConnection: writing -----------------------------------------------------------------

void HttpConnection::Queue(std::string bytes) {
  pending_bytes_ += bytes.size();
  pending_.push_back(std::move(bytes));
}

void HttpConnection::Pump() {
  if (writing_ || pending_.empty() || state_ == State::kClosed) return;
  inflight_.swap(pending_);
  pending_bytes_ = 0;
  writing_ = true;
  if (state_ == State::kWriting || state_ == State::kStreaming) {
    SetDeadline(Clock::now() + server_.options.idle_timeout);  // a write must make progress
  }
  auto done = [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWritten(ec); };
  if (inflight_.size() == 1) {
    asio::async_write(socket_, asio::buffer(inflight_.front()), std::move(done));
    return;
  }
  buffers_.clear();
  for (const std::string& bytes : inflight_) buffers_.emplace_back(bytes.data(), bytes.size());
  asio::async_write(socket_, buffers_, std::move(done));
}

void HttpConnection::OnWritten(beast::error_code ec) {
  writing_ = false;
  inflight_.clear();
  if (state_ == State::kClosed) return;
  if (ec) {
    Close();
    return;
  }
  if (!pending_.empty()) {
    Pump();
  } else if (finish_when_drained_) {
    Finish();
  } else if (state_ == State::kStreaming) {
    SetDeadline(Clock::time_point::max());  // an idle stream is fine; the peer is watched by reads
  }
}

void HttpConnection::Finish() {
  finish_when_drained_ = false;
  stream_ending_ = false;
  Report();
  if (std::shared_ptr<HttpExchangeImpl> exchange = exchange_.lock()) exchange->Detach();
  exchange_.reset();
  if (linger_after_) {
    StartLinger();
    return;
  }
  if (!keep_alive_) {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    Close();
    return;
  }
  BeginRequest();
  SetDeadline(Clock::now() + server_.options.idle_timeout);
  if (UnparsedSize() > 0) ParseBuffered();  // the client sent the next request early
}

// After an error reply the peer may still be sending (a body we refused). Closing with unread
// input would reset the connection and could destroy the reply before the peer reads it, so shut
// our side and drain for a little while.
void HttpConnection::StartLinger() {
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  state_ = State::kLingering;
  lingered_bytes_ = 0;
  auto linger = std::min<Clock::duration>(kLingerTime, server_.options.header_timeout);
  SetDeadline(Clock::now() + linger);
}

void HttpConnection::Report() {
  if (!response_started_) return;
  response_started_ = false;
  if (!server_.options.on_response) return;
  double seconds = std::chrono::duration<double>(Clock::now() - received_).count();
  server_.options.on_response(method_, route_, status_, seconds);
}

void HttpConnection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  std::shared_ptr<HttpConnection> self = shared_from_this();  // alive until we return
  // Count the connection gone before the peer can see it gone.
  if (server_.connections.erase(self) > 0) server_.open.fetch_sub(1, std::memory_order_relaxed);
  beast::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  timer_armed_ = false;
  pending_.clear();
  Report();
  if (std::shared_ptr<HttpExchangeImpl> exchange = exchange_.lock()) {
    exchange_.reset();
    exchange->MarkClosed();
  }
}

// ---- HttpConnection: the deadline ------------------------------------------------------------

void HttpConnection::SetDeadline(Clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline == Clock::time_point::max() || state_ == State::kClosed) return;
  if (timer_armed_ && timer_.expiry() <= deadline) return;  // OnTimer re-arms for the rest
  timer_armed_ = true;
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this(), generation = ++timer_generation_](
                        beast::error_code) { self->OnTimer(generation); });
}

void HttpConnection::OnTimer(uint64_t generation) {
  if (generation != timer_generation_ || state_ == State::kClosed) return;
  timer_armed_ = false;
  if (deadline_ == Clock::time_point::max()) return;
  if (Clock::now() < deadline_) {
    SetDeadline(deadline_);
    return;
  }
  Close();  // too slow to send a request, idle too long, or not reading what we write
}

}  // namespace rota