#include "net/http_client.h"

// clang-format off
#include "net/http_asio.h"  // first: before any Boost header
// clang-format on

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace rota {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kStreamOpenTimeout = std::chrono::seconds(60);  // connect + reply header
constexpr uint32_t kReplyHeaderLimit = 1u << 20;

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string FormatTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + "s";
  return std::to_string(timeout.count()) + "ms";
}

std::string Describe(const error_code& ec) {
  if (ec == http::error::end_of_stream || ec == asio::error::eof) {
    return "the server closed the connection";
  }
  if (ec == http::error::partial_message) return "the server closed the connection mid-reply";
  return ec.message();
}

}  // namespace

Result<ServerUrl> ParseServerUrl(std::string_view url) {
  auto bad = [&](const std::string& why) {
    return MakeError("bad_url", "bad server URL \"" + std::string(url) + "\": " + why);
  };
  std::string_view rest = url;
  bool has_scheme = false;
  if (StartsWithNoCase(rest, "https://")) {
    return bad("https is not supported; rota speaks plain HTTP (use http://HOST:PORT)");
  }
  if (StartsWithNoCase(rest, "http://")) {
    rest.remove_prefix(7);
    has_scheme = true;
  } else if (rest.find("://") != std::string_view::npos) {
    return bad("only http:// is supported (expected http://HOST:PORT)");
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ \t") != std::string_view::npos) {
    return bad("expected http://HOST:PORT, with no path");
  }

  std::string_view host = rest;
  std::string_view port_text;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:7070
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("the IPv6 address has no closing ']'");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected ':PORT' after the IPv6 address");
      port_text = after.substr(1);
      has_port = true;
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (rest.find(':') != colon) return bad("put an IPv6 address in brackets: http://[::1]:7070");
    host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return bad("the host is missing");

  uint16_t port = 80;
  if (has_port) {
    unsigned value = 0;
    const char* end = port_text.data() + port_text.size();
    auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
    if (port_text.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
      return bad("the port must be a number from 1 to 65535");
    }
    port = static_cast<uint16_t>(value);
  } else if (!has_scheme) {
    return bad("expected http://HOST:PORT or HOST:PORT");
  }
  return ServerUrl{std::string(host), port, std::string(url)};
}

// ---- HttpClient ------------------------------------------------------------------------------

struct HttpClient::Impl {
  explicit Impl(const ServerUrl& s) : server(s) {}

  // Starts an async operation with a completion handler and runs the io_context until it is done.
  template <class Start>
  error_code Await(Start&& start) {
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  error_code Connect(Clock::time_point deadline) {
    error_code ec;
    if (endpoints.empty()) {
      asio::ip::address address = asio::ip::make_address(server.host, ec);
      if (!ec) {
        endpoints.emplace_back(address, server.port);
      } else {
        tcp::resolver resolver(ioc);
        tcp::resolver::results_type results;
        ec = Await([&](auto handler) {
          resolver.async_resolve(server.host, std::to_string(server.port),
                                 [&results, handler](error_code e, tcp::resolver::results_type r) {
                                   results = std::move(r);
                                   handler(e);
                                 });
        });
        if (ec) return ec;
        for (const auto& entry : results) endpoints.push_back(entry.endpoint());
        if (endpoints.empty()) return asio::error::host_not_found;
      }
    }
    stream.expires_at(deadline);
    ec = Await([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (!ec) {
      connected = true;
      error_code ignored;
      stream.socket().set_option(tcp::no_delay(true), ignored);
    }
    return ec;
  }

  void Disconnect() {
    stream.close();
    buffer.consume(buffer.size());
    connected = false;
  }

  // Sends `request` and reads the reply's header into `parser`. On a kept connection that the
  // server had closed meanwhile (an error before any byte of the reply), reconnects once.
  // The header is read while the request is still being written: a server may refuse a body
  // early (413) and close, and that reply must not be lost to the broken pipe. Then
  // `request_cut` is set and the connection must be closed after the reply.
  template <class Parser>
  error_code SendAndReadHeader(http::request<http::string_body>& request,
                               std::optional<Parser>& parser, Clock::time_point deadline) {
    for (int attempt = 0;; ++attempt) {
      bool reused = connected;
      parser.emplace();
      parser->header_limit(kReplyHeaderLimit);
      parser->body_limit(std::numeric_limits<uint64_t>::max());
      error_code ec;
      if (!connected) ec = Connect(deadline);
      if (!ec) {
        ec = WriteAndReadHeader(request, *parser, deadline);
        if (!ec) return ec;
      }
      Disconnect();
      bool stale = reused && ec != beast::error::timeout && !parser->got_some();
      if (attempt > 0 || !stale) return ec;
    }
  }

  template <class Parser>
  error_code WriteAndReadHeader(http::request<http::string_body>& request, Parser& parser,
                                Clock::time_point deadline) {
    buffer.consume(buffer.size());
    stream.expires_at(deadline);
    std::optional<error_code> wrote;
    std::optional<error_code> read;
    http::async_write(stream, request, [&](error_code ec, size_t) { wrote = ec; });
    http::async_read_header(stream, buffer, parser, [&](error_code ec, size_t) {
      read = ec;
      if (!wrote) stream.cancel();  // answered (or gone) before taking the whole request
    });
    ioc.restart();
    ioc.run();
    request_cut = !wrote || *wrote;
    if (*read && *wrote && *wrote != asio::error::operation_aborted) return *wrote;
    return *read;
  }

  Error Failure(const error_code& ec, std::chrono::milliseconds timeout) const {
    if (ec == beast::error::timeout) {
      return MakeError("timeout",
                       "no reply from " + server.text + " within " + FormatTimeout(timeout));
    }
    return MakeError("unreachable", "cannot reach " + server.text + ": " + Describe(ec));
  }

  http::request<http::string_body> NewRequest(
      http::verb verb, std::string_view method, std::string_view target,
      const std::vector<std::pair<std::string, std::string>>& headers) const {
    http::request<http::string_body> request;
    if (verb == http::verb::unknown) {
      request.method_string(beast::string_view(method.data(), method.size()));
    } else {
      request.method(verb);
    }
    request.target(beast::string_view(target.data(), target.size()));
    request.version(11);
    bool ipv6 = server.host.find(':') != std::string::npos;
    request.set(http::field::host,
                (ipv6 ? "[" + server.host + "]" : server.host) + ":" + std::to_string(server.port));
    request.set(http::field::user_agent, "rota");
    for (const auto& [name, value] : headers) request.set(name, value);
    return request;
  }

  const ServerUrl& server;
  asio::io_context ioc{1};
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::vector<tcp::endpoint> endpoints;  // resolved once
  bool connected = false;
  bool request_cut = false;  // the last request was not written whole
};

HttpClient::HttpClient(ServerUrl server)
    : server_(std::move(server)), impl_(std::make_unique<Impl>(server_)) {}

HttpClient::~HttpClient() = default;

Result<HttpReply> HttpClient::Request(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view content_type, std::chrono::milliseconds timeout,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  Clock::time_point deadline = Clock::now() + timeout;
  http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  http::request<http::string_body> request = impl_->NewRequest(verb, method, target, headers);
  if (!body.empty()) {
    if (!content_type.empty()) {
      request.set(http::field::content_type,
                  beast::string_view(content_type.data(), content_type.size()));
    }
    request.body().assign(body.data(), body.size());
  }
  request.prepare_payload();

  std::optional<http::response_parser<http::string_body>> parser;
  error_code ec = impl_->SendAndReadHeader(request, parser, deadline);
  if (!ec) {
    ec = impl_->Await(
        [&](auto handler) { http::async_read(impl_->stream, impl_->buffer, *parser, handler); });
  }
  if (ec) {
    impl_->Disconnect();
    return impl_->Failure(ec, timeout);
  }
  auto& response = parser->get();
  if (impl_->request_cut) impl_->Disconnect();
  HttpReply reply;
  reply.status = static_cast<int>(response.result_int());
  beast::string_view type = response[http::field::content_type];
  reply.content_type.assign(type.data(), type.size());
  reply.body = std::move(response.body());
  if (!response.keep_alive()) impl_->Disconnect();
  return reply;
}

Result<int> HttpClient::Stream(std::string_view target,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::function<bool(std::string_view data)>& on_data) {
  http::request<http::string_body> request =
      impl_->NewRequest(http::verb::get, "GET", target, headers);
  if (request.find(http::field::accept) == request.end()) {
    request.set(http::field::accept, "text/event-stream");
  }

  std::optional<http::response_parser<http::buffer_body>> parser;
  error_code ec = impl_->SendAndReadHeader(request, parser, Clock::now() + kStreamOpenTimeout);
  if (ec) {
    impl_->Disconnect();
    return impl_->Failure(
        ec, std::chrono::duration_cast<std::chrono::milliseconds>(kStreamOpenTimeout));
  }
  int status = static_cast<int>(parser->get().result_int());
  bool ok = status == 200;
  std::string whole;  // a non-200 reply's body, handed over at the end
  char piece[16 * 1024];
  impl_->stream.expires_never();  // a stream may stay quiet for as long as the server likes
  while (!parser->is_done()) {
    parser->get().body().data = piece;
    parser->get().body().size = sizeof piece;
    ec = impl_->Await([&](auto handler) {
      http::async_read_some(impl_->stream, impl_->buffer, *parser, std::move(handler));
    });
    if (ec == http::error::need_buffer) ec = {};
    size_t size = sizeof piece - parser->get().body().size;
    if (size > 0 && ok && !on_data(std::string_view(piece, size))) {
      impl_->Disconnect();  // mid-body: the connection cannot be reused
      return status;
    }
    if (size > 0 && !ok) whole.append(piece, size);
    if (ec) {
      impl_->Disconnect();
      return impl_->Failure(ec, std::chrono::milliseconds(0));
    }
  }
  if (!ok && !whole.empty()) on_data(whole);
  if (impl_->request_cut || !parser->get().keep_alive()) impl_->Disconnect();
  return status;
}

}  // namespace rota
