#include "api/http_exchange.h"

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <boost/asio/post.hpp>

#include "api/http_connection.h"
#include "api/http_wire.h"

namespace rota {
namespace {
namespace asio = boost::asio;
}  // namespace

using http_wire::InternalError;

template <class Op>
bool HttpExchangeImpl::PostLocked(Op op) {
  std::lock_guard gate_lock(gate_->mu);
  if (gate_->ioc == nullptr) return false;
  std::shared_ptr<HttpConnection> connection = connection_.lock();
  if (!connection) return false;
  asio::post(*gate_->ioc, [connection = std::move(connection), op = std::move(op)]() mutable {
    op(*connection);
  });
  return true;
}

void HttpExchangeImpl::QueueLocked(StreamOp op) {
  stream_ops_.push_back(std::move(op));
  if (drain_posted_) return;
  drain_posted_ = PostLocked([self = shared_from_this()](HttpConnection& c) { self->Drain(c); });
  if (!drain_posted_) stream_ops_.clear();  // nobody left to write to
}

void HttpExchangeImpl::Drain(HttpConnection& connection) {
  std::vector<StreamOp> ops;
  {
    std::lock_guard lock(mu_);
    ops.swap(stream_ops_);
    drain_posted_ = false;
  }
  for (StreamOp& op : ops) {
    switch (op.kind) {
      case StreamOp::Kind::kStart:
        connection.DoStartStream(seq_, std::move(op.text), std::move(op.route));
        break;
      case StreamOp::Kind::kSend: connection.DoSend(seq_, std::move(op.text)); break;
      case StreamOp::Kind::kEnd: connection.DoEnd(seq_); break;
    }
  }
}

HttpExchangeImpl::~HttpExchangeImpl() {
  std::lock_guard lock(mu_);
  if (detached_ || closed_.load(std::memory_order_relaxed)) return;
  if (!started_) {
    PostLocked([seq = seq_](HttpConnection& c) {
      c.DoReply(seq, InternalError("it dropped the request without replying"));
    });
  } else if (streaming_ && !ended_) {
    // Every queued stream call has been drained: a pending Drain() would still own us.
    PostLocked([seq = seq_](HttpConnection& c) { c.DoEnd(seq); });
  }
}

void HttpExchangeImpl::Reply(HttpResponse response) {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  if (closed_.load(std::memory_order_relaxed)) return;
  PostLocked([seq = seq_, response = std::move(response)](HttpConnection& c) mutable {
    c.DoReply(seq, std::move(response));
  });
}

void HttpExchangeImpl::StartStream(std::string content_type, std::string route) {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  streaming_ = true;
  if (closed_.load(std::memory_order_relaxed)) return;
  QueueLocked({StreamOp::Kind::kStart, std::move(content_type), std::move(route)});
}

void HttpExchangeImpl::Send(std::string chunk) {
  std::lock_guard lock(mu_);
  if (!streaming_ || ended_ || closed_.load(std::memory_order_relaxed)) return;
  QueueLocked({StreamOp::Kind::kSend, std::move(chunk), {}});
}

void HttpExchangeImpl::End() {
  std::lock_guard lock(mu_);
  if (!streaming_ || ended_) return;
  ended_ = true;
  if (closed_.load(std::memory_order_relaxed)) return;
  QueueLocked({StreamOp::Kind::kEnd, {}, {}});
}

void HttpExchangeImpl::OnClose(std::function<void()> fn) {
  std::function<void()> previous;  // destroyed outside the lock
  std::lock_guard lock(mu_);
  if (detached_) return;
  if (!closed_.load(std::memory_order_relaxed)) {
    previous = std::exchange(on_close_, std::move(fn));
    return;
  }
  std::lock_guard gate_lock(gate_->mu);
  if (gate_->ioc != nullptr) asio::post(*gate_->ioc, std::move(fn));
}

void HttpExchangeImpl::MarkClosed() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    if (closed_.load(std::memory_order_relaxed)) return;
    closed_.store(true, std::memory_order_release);
    fn = std::move(on_close_);
    on_close_ = nullptr;
  }
  if (fn) fn();
}

void HttpExchangeImpl::Detach() {
  std::function<void()> fn;
  std::lock_guard lock(mu_);
  detached_ = true;
  fn = std::move(on_close_);
  on_close_ = nullptr;
}

}  // namespace rota
