#include "net/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>

#include "net/ascii.h"

namespace rota {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStreamOpenTimeout = std::chrono::seconds(60);  // connect + reply header
constexpr size_t kReplyHeaderLimit = 1u << 20;
constexpr size_t kReadPiece = 64 * 1024;

std::string FormatTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + "s";
  return std::to_string(timeout.count()) + "ms";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Why a read or write failed, as the user reads it.
enum class Fail { kNone, kTimeout, kClosed, kClosedMidReply, kErrno, kBadReply };

}  // namespace

// ---- HttpClient ------------------------------------------------------------------------------
//
// Plain blocking sockets, non-blocking underneath so that poll() can keep every deadline: a
// request costs a send, a poll and a recv or two, where an event loop per call cost a dozen
// system calls more (the agent sends one per run).

struct HttpClient::Impl {
  explicit Impl(const ServerUrl& s) : server(s) {}
  ~Impl() { Disconnect(); }

  // The reply's head, as far as this client needs it.
  struct Head {
    int status = 0;
    std::string content_type;
    std::optional<uint64_t> content_length;
    bool chunked = false;
    bool keep_alive = true;
  };

  void Disconnect() {
    if (fd >= 0) close(fd);
    fd = -1;
    buffer.clear();
  }

  // Waits for `events` on the socket until `deadline` (none: forever). False on timeout.
  bool Wait(short events, std::optional<Clock::time_point> deadline) {
    for (;;) {
      int timeout = -1;
      if (deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
        if (left <= 0) return false;
        timeout = static_cast<int>(std::min<int64_t>(left, std::numeric_limits<int>::max()));
      }
      pollfd p{fd, events, 0};
      const int n = poll(&p, 1, timeout);
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return true;   // let the read or write say what is wrong
    }
  }

  Fail Connect(Clock::time_point deadline) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(server.port);
    if (const int rc = getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      error = gai_strerror(rc);
      return Fail::kErrno;
    }
    Fail result = Fail::kErrno;
    error = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
      if (fd < 0) {
        error = std::strerror(errno);
        continue;
      }
      int rc = connect(fd, a->ai_addr, a->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        if (!Wait(POLLOUT, deadline)) {
          result = Fail::kTimeout;
          Disconnect();
          break;
        }
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err == 0 ? 0 : -1;
        errno = err;
      }
      if (rc == 0) {
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        result = Fail::kNone;
        break;
      }
      error = std::strerror(errno);
      Disconnect();
    }
    freeaddrinfo(found);
    return result;
  }

  // Reads what the socket has into `buffer`. kNone: got some bytes.
  Fail ReadSome(std::optional<Clock::time_point> deadline) {
    char piece[kReadPiece];
    for (;;) {
      const ssize_t n = recv(fd, piece, sizeof piece, 0);
      if (n > 0) {
        buffer.append(piece, static_cast<size_t>(n));
        got_some = true;
        return Fail::kNone;
      }
      if (n == 0) return Fail::kClosed;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        error = std::strerror(errno);
        return Fail::kErrno;
      }
      if (!Wait(POLLIN, deadline)) return Fail::kTimeout;
    }
  }

  // Writes `request` whole, unless the server answers (or goes) first: it may refuse a body
  // early (413) and close, and that reply must not be lost to the broken pipe. Then
  // `request_cut` is set and the connection is closed after the reply.
  Fail Write(std::string_view request, Clock::time_point deadline) {
    request_cut = false;
    while (!request.empty()) {
      const ssize_t n = send(fd, request.data(), request.size(), MSG_NOSIGNAL);
      if (n > 0) {
        request.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        request_cut = true;
        // An answer may already be waiting (413 then close): read it rather than fail.
        if (errno == EPIPE || errno == ECONNRESET) return Fail::kNone;
        error = std::strerror(errno);
        return Fail::kErrno;
      }
      pollfd p{fd, POLLIN | POLLOUT, 0};
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Fail::kTimeout;
      if (poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30))) > 0 && (p.revents & POLLIN)) {
        request_cut = true;   // answered before taking the whole request
        return Fail::kNone;
      }
    }
    return Fail::kNone;
  }

  // Reads the reply's head into `head`; what follows it stays in `buffer`.
  Fail ReadHead(Head& head, std::optional<Clock::time_point> deadline) {
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kReplyHeaderLimit) return Fail::kBadReply;
      const Fail f = ReadSome(deadline);
      if (f == Fail::kClosed) return got_some ? Fail::kClosedMidReply : Fail::kClosed;
      if (f != Fail::kNone) return f;
    }
    std::string_view text(buffer.data(), end);
    const size_t line_end = text.find("\r\n");
    std::string_view status_line = text.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    if (!StartsWithNoCase(status_line, "HTTP/1.")) return Fail::kBadReply;
    const bool http10 = status_line.size() > 7 && status_line[7] == '0';
    head.keep_alive = !http10;
    const size_t space = status_line.find(' ');
    if (space == std::string_view::npos || status_line.size() < space + 4) return Fail::kBadReply;
    auto [ptr, ec] = std::from_chars(status_line.data() + space + 1, status_line.data() + space + 4, head.status);
    if (ec != std::errc() || head.status < 100 || head.status > 999) return Fail::kBadReply;
    std::string_view rest = line_end == std::string_view::npos ? "" : text.substr(line_end + 2);
    while (!rest.empty()) {
      const size_t eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = Trim(line.substr(0, colon));
      std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsNoCase(name, "content-type")) {
        head.content_type = value;
      } else if (EqualsNoCase(name, "content-length")) {
        uint64_t length = 0;
        auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (e != std::errc() || p != value.data() + value.size()) return Fail::kBadReply;
        head.content_length = length;
      } else if (EqualsNoCase(name, "transfer-encoding")) {
        head.chunked = value.find("chunked") != std::string_view::npos;
      } else if (EqualsNoCase(name, "connection")) {
        if (EqualsNoCase(value, "close")) head.keep_alive = false;
        if (EqualsNoCase(value, "keep-alive")) head.keep_alive = true;
      }
    }
    buffer.erase(0, end + 4);
    if (head.status / 100 == 1 || head.status == 204 || head.status == 304) head.content_length = 0;
    return Fail::kNone;
  }

  // Reads the body per `head`, handing each piece to `sink` (false: stop, the connection is then
  // not reusable). `deadline` none: no limit.
  Fail ReadBody(const Head& head, std::optional<Clock::time_point> deadline,
                const std::function<bool(std::string_view)>& sink, bool& stopped) {
    stopped = false;
    auto deliver = [&](std::string_view piece) {
      if (!piece.empty() && !sink(piece)) stopped = true;
      return !stopped;
    };
    if (head.chunked) {
      for (;;) {
        size_t eol;
        while ((eol = buffer.find("\r\n")) == std::string::npos) {
          if (buffer.size() > kReplyHeaderLimit) return Fail::kBadReply;
          if (const Fail f = ReadSome(deadline); f != Fail::kNone) return f == Fail::kClosed ? Fail::kClosedMidReply : f;
        }
        uint64_t size = 0;
        std::string_view size_text(buffer.data(), eol);
        size_text = size_text.substr(0, size_text.find(';'));
        auto [p, e] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
        if (e != std::errc() || size_text.empty()) return Fail::kBadReply;
        buffer.erase(0, eol + 2);
        if (size == 0) {   // the last chunk; then (no trailers here) an empty line
          while ((eol = buffer.find("\r\n")) == std::string::npos) {
            if (const Fail f = ReadSome(deadline); f != Fail::kNone) return f == Fail::kClosed ? Fail::kNone : f;
          }
          buffer.erase(0, eol + 2);
          return Fail::kNone;
        }
        while (buffer.size() < size + 2) {
          // Hand over what has come so far: a stream's chunk may be slow to finish.
          if (buffer.size() > 0 && buffer.size() <= size) {
            const size_t n = buffer.size();
            if (!deliver(std::string_view(buffer.data(), n))) return Fail::kNone;
            buffer.clear();
            size -= n;
            continue;
          }
          if (const Fail f = ReadSome(deadline); f != Fail::kNone) return f == Fail::kClosed ? Fail::kClosedMidReply : f;
        }
        if (!deliver(std::string_view(buffer.data(), size))) return Fail::kNone;
        buffer.erase(0, size + 2);
      }
    }
    if (head.content_length) {
      uint64_t left = *head.content_length;
      for (;;) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
        if (!deliver(std::string_view(buffer.data(), n))) return Fail::kNone;
        buffer.erase(0, n);
        left -= n;
        if (left == 0) return Fail::kNone;
        if (const Fail f = ReadSome(deadline); f != Fail::kNone) return f == Fail::kClosed ? Fail::kClosedMidReply : f;
      }
    }
    // Neither: the body runs to the end of the connection.
    for (;;) {
      if (!deliver(buffer)) return Fail::kNone;
      buffer.clear();
      const Fail f = ReadSome(deadline);
      if (f == Fail::kClosed) return Fail::kNone;
      if (f != Fail::kNone) return f;
    }
  }

  std::string NewRequest(std::string_view method, std::string_view target, std::string_view body,
                         std::string_view content_type,
                         const std::vector<std::pair<std::string, std::string>>& headers, bool stream) const {
    std::string r;
    r.reserve(256 + body.size());
    r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
    const bool ipv6 = server.host.find(':') != std::string::npos;
    r.append(ipv6 ? "[" + server.host + "]" : server.host).append(":").append(std::to_string(server.port));
    r.append("\r\nUser-Agent: rota\r\n");
    bool has_accept = false;
    for (const auto& [name, value] : headers) {
      // A CR or LF would let a value smuggle headers.
      if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) continue;
      has_accept = has_accept || EqualsNoCase(name, "accept");
      r.append(name).append(": ").append(value).append("\r\n");
    }
    if (stream && !has_accept) r.append("Accept: text/event-stream\r\n");
    if (!body.empty() && !content_type.empty()) r.append("Content-Type: ").append(content_type).append("\r\n");
    if (!body.empty() || method == "POST" || method == "PUT") {
      r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    r.append("\r\n").append(body);
    return r;
  }

  // Sends `request` and reads the reply's head. On a kept connection that the server had closed
  // meanwhile (a failure before any byte of the reply), reconnects once.
  Fail SendAndReadHead(std::string_view request, Head& head, Clock::time_point deadline,
                       std::optional<Clock::time_point> head_deadline) {
    for (int attempt = 0;; ++attempt) {
      const bool reused = fd >= 0;
      got_some = false;
      delivered = false;
      Fail f = fd >= 0 ? Fail::kNone : Connect(deadline);
      if (f == Fail::kNone) f = Write(request, deadline);
      delivered = f == Fail::kNone && !request_cut;
      if (f == Fail::kNone) f = ReadHead(head, head_deadline);
      if (f == Fail::kNone) return f;
      Disconnect();
      const bool stale = reused && f != Fail::kTimeout && !got_some;
      if (attempt > 0 || !stale) return f;
    }
  }

  Error Failure(Fail f, std::chrono::milliseconds timeout) const {
    if (f == Fail::kTimeout) {
      return MakeError("timeout", "no reply from " + server.text + " within " + FormatTimeout(timeout));
    }
    std::string why = error;
    if (f == Fail::kClosed) why = "the server closed the connection";
    if (f == Fail::kClosedMidReply) why = "the server closed the connection mid-reply";
    if (f == Fail::kBadReply) why = "the reply is not HTTP/1.1 that rota can read";
    return MakeError("unreachable", "cannot reach " + server.text + ": " + why);
  }

  const ServerUrl& server;
  int fd = -1;
  std::string buffer;        // read and not yet consumed
  std::string error;         // strerror of the last failure
  bool got_some = false;     // a byte of the reply arrived
  bool request_cut = false;  // the last request was not written whole
  bool delivered = false;    // the last request was written whole: the server may have acted on it
};

HttpClient::HttpClient(ServerUrl server)
    : server_(std::move(server)), impl_(std::make_unique<Impl>(server_)) {}

HttpClient::~HttpClient() = default;

bool HttpClient::delivered() const { return impl_->delivered; }

Result<HttpReply> HttpClient::Request(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view content_type, std::chrono::milliseconds timeout,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string request = impl_->NewRequest(method, target, body, content_type, headers, false);
  Impl::Head head;
  Fail f = impl_->SendAndReadHead(request, head, deadline, deadline);
  HttpReply reply;
  if (f == Fail::kNone) {
    bool stopped = false;
    f = impl_->ReadBody(head, deadline, [&](std::string_view piece) {
      reply.body.append(piece);
      return true;
    }, stopped);
  }
  if (f != Fail::kNone) {
    impl_->Disconnect();
    return impl_->Failure(f, timeout);
  }
  if (impl_->request_cut || !head.keep_alive) impl_->Disconnect();
  reply.status = head.status;
  reply.content_type = std::move(head.content_type);
  return reply;
}

Result<int> HttpClient::Stream(std::string_view target,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::function<bool(std::string_view data)>& on_data) {
  const std::string request = impl_->NewRequest("GET", target, {}, {}, headers, true);
  Impl::Head head;
  const Clock::time_point open_deadline = Clock::now() + kStreamOpenTimeout;
  Fail f = impl_->SendAndReadHead(request, head, open_deadline, open_deadline);
  if (f != Fail::kNone) {
    impl_->Disconnect();
    return impl_->Failure(f, std::chrono::duration_cast<std::chrono::milliseconds>(kStreamOpenTimeout));
  }
  const bool ok = head.status == 200;
  std::string whole;   // a non-200 reply's body, handed over at the end
  bool stopped = false;
  // A stream may stay quiet for as long as the server likes: no deadline on the body.
  f = impl_->ReadBody(head, std::nullopt, [&](std::string_view piece) {
    if (!ok) {
      whole.append(piece);
      return true;
    }
    return on_data(piece);
  }, stopped);
  if (stopped) {
    impl_->Disconnect();   // mid-body: the connection cannot be reused
    return head.status;
  }
  if (f != Fail::kNone) {
    impl_->Disconnect();
    return impl_->Failure(f, std::chrono::milliseconds(0));
  }
  if (!ok && !whole.empty()) on_data(whole);
  if (impl_->request_cut || !head.keep_alive) impl_->Disconnect();
  return head.status;
}

}  // namespace rota
