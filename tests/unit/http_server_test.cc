// HttpServer and HttpClient over real sockets on 127.0.0.1 (port 0). The server runs on its own
// thread; raw POSIX sockets play the misbehaving peers (silent, oversized, vanishing). Waits are
// on futures, condition variables and socket reads with deadlines, never sleeps.
#include "api/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/failover_client.h"
#include "net/http_client.h"

namespace rota {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

// A blocking client socket with a 5 s receive timeout, for speaking raw HTTP.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool Send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Everything until the server closes (or 5 s pass).
  std::string ReadUntilClosed() {
    while (ReadSome()) {
    }
    return std::exchange(buffer_, "");
  }
  // True when the server closed the connection within 5 s.
  bool WaitClosed() {
    while (ReadSome()) buffer_.clear();
    return eof_;
  }
  // One response with a Content-Length body; "" if the connection ended first.
  std::string ReadResponse() {
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadSome()) return "";
    }
    size_t length = 0;
    size_t at = buffer_.find("Content-Length: ");
    if (at != std::string::npos && at < head_end) length = std::stoul(buffer_.substr(at + 16));
    while (buffer_.size() < head_end + 4 + length) {
      if (!ReadSome()) return "";
    }
    std::string response = buffer_.substr(0, head_end + 4 + length);
    buffer_.erase(0, response.size());
    return response;
  }

 private:
  bool ReadSome() {
    char data[4096];
    ssize_t n = ::recv(fd_, data, sizeof data, 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    buffer_.append(data, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

// Exchanges handed over by a handler, for a test thread to answer.
class ExchangeQueue {
 public:
  void Push(std::shared_ptr<HttpExchange> exchange) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(exchange));
    cv_.notify_all();
  }
  std::shared_ptr<HttpExchange> Pop() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, 5s, [this] { return !queue_.empty(); })) return nullptr;
    auto exchange = std::move(queue_.front());
    queue_.pop_front();
    return exchange;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<HttpExchange>> queue_;
};

// Stops the server if the scope is still running after `limit`, so that a lost stream chunk
// fails the test (the client's Stream has no timeout) instead of hanging it.
class Watchdog {
 public:
  Watchdog(HttpServer& server, std::chrono::seconds limit)
      : thread_([this, &server, limit] {
          std::unique_lock lock(mu_);
          if (!cv_.wait_for(lock, limit, [this] { return done_; })) {
            ADD_FAILURE() << "still running after " << limit.count() << " s; stopping the server";
            server.Stop();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

HttpResponse Text(std::string body, int status = 200) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpHandler handler, HttpServerOptions options = {}, uint16_t port = 0) {
    options.host = "127.0.0.1";
    options.port = port;
    options.on_response = [this](const std::string& method, const std::string& route, int status,
                                 double seconds) {
      std::lock_guard lock(mu_);
      EXPECT_GE(seconds, 0.0);
      responses_.push_back(method + " " + route + " " + std::to_string(status));
      cv_.notify_all();
    };
    server_ = std::make_unique<HttpServer>(std::move(options), std::move(handler));
    Result<Unit> listening = server_->Listen();
    ASSERT_TRUE(listening.ok()) << listening.error().message;
    thread_ = std::thread([this] { server_->Run(); });
  }
  void StopServer() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
    server_.reset();
  }
  void TearDown() override { StopServer(); }

  uint16_t port() const { return server_->port(); }
  ServerUrl Url() const {
    return ServerUrl{"127.0.0.1", port(), "http://127.0.0.1:" + std::to_string(port())};
  }
  // The on_response records once `count` have arrived (they follow the bytes to the client).
  std::vector<std::string> Responses(size_t count) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return responses_.size() >= count; });
    return responses_;
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> responses_;
};

TEST_F(HttpServerTest, GetAndPostRoundTripWithDecodedPathQueryAndHeaders) {
  Start([](HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
    std::string query;
    for (const auto& [name, value] : request.query) query += name + "=" + value + ";";
    HttpResponse response = Text(request.method + "|" + request.path + "|" + query + "|" +
                                 request.Header("x-thing") + "|" + request.body);
    if (request.method == "POST") response.status = 201;
    if (request.method == "GET") response.route = "/echo/{name}";
    response.headers.push_back({"X-Extra", "1"});
    exchange->Reply(std::move(response));
  });
  HttpClient client(Url());

  Result<HttpReply> got = client.Request("GET", "/v1/a%20b?x=1&y=hello+world&z=%2Fp%26q&x=2", {},
                                         "", 5s, {{"X-Thing", "Yes"}});
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->content_type, "text/plain");
  EXPECT_EQ(got->body, "GET|/v1/a b|x=2;y=hello world;z=/p&q;|Yes|");

  Result<HttpReply> posted =
      client.Request("POST", "/v1/jobs?source=my%20file.yaml", "name: x\n", "application/yaml");
  ASSERT_TRUE(posted.ok()) << posted.error().message;
  EXPECT_EQ(posted->status, 201);
  EXPECT_EQ(posted->body, "POST|/v1/jobs|source=my file.yaml;||name: x\n");

  EXPECT_THAT(Responses(2), ::testing::ElementsAre("GET /echo/{name} 200", "POST /v1/jobs 201"));

  RawSocket raw(port());
  ASSERT_TRUE(raw.Send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string response = raw.ReadResponse();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nServer: rota\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nContent-Length: 9\r\n"));
  EXPECT_THAT(response, HasSubstr("\r\nX-Extra: 1\r\n"));
}

TEST_F(HttpServerTest, ReplyFromAnotherThreadAfterTheHandlerReturned) {
  ExchangeQueue pending;
  Start([&](HttpRequest, std::shared_ptr<HttpExchange> exchange) { pending.Push(exchange); });
  std::thread replier([&] {
    std::shared_ptr<HttpExchange> exchange = pending.Pop();
    ASSERT_NE(exchange, nullptr);
    exchange->Reply(Text(R"({"reached": true})"));
    exchange->Reply(Text("ignored: only the first reply counts", 500));
    exchange->StartStream("text/event-stream", "");  // ignored as well
  });
  HttpClient client(Url());
  Result<HttpReply> got = client.Request("GET", "/v1/jobs/1/wait?until=done&timeout=30s");
  replier.join();
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, R"({"reached": true})");
}

TEST_F(HttpServerTest, AfterRunsLaterOnTheIoThread) {
  Start([&](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
    auto io_thread = std::this_thread::get_id();
    server_->After(50ms, [exchange, io_thread] {
      exchange->Reply(Text(std::this_thread::get_id() == io_thread ? "io thread" : "elsewhere"));
    });
  });
  HttpClient client(Url());
  Clock::time_point start = Clock::now();
  Result<HttpReply> got = client.Request("GET", "/later");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_GE(Clock::now() - start, 50ms);
  EXPECT_EQ(got->body, "io thread");
}

TEST_F(HttpServerTest, ClientGoneMidLongPollRunsOnCloseAndOthersAreStillServed) {
  ExchangeQueue pending;
  auto closed = std::make_shared<std::promise<void>>();
  Start([&pending, closed](HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
    if (request.path != "/wait") {
      exchange->Reply(Text("ok"));
      return;
    }
    exchange->OnClose([closed] { closed->set_value(); });
    pending.Push(exchange);
  });
  RawSocket raw(port());
  ASSERT_TRUE(raw.Send("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::shared_ptr<HttpExchange> exchange = pending.Pop();
  ASSERT_NE(exchange, nullptr);
  EXPECT_FALSE(exchange->closed());

  raw.Close();
  ASSERT_EQ(closed->get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(exchange->closed());
  exchange->Reply(Text("too late"));  // dropped

  HttpClient client(Url());
  Result<HttpReply> got = client.Request("GET", "/other");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->body, "ok");
}

TEST_F(HttpServerTest, ContentLengthAboveTheLimitGets413WithoutReadingTheBody) {
  std::atomic<int> handled{0};
  HttpServerOptions options;
  options.max_body_bytes = 1u << 20;
  Start(
      [&](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
        ++handled;
        exchange->Reply(Text("no"));
      },
      options);

  RawSocket raw(port());
  Clock::time_point start = Clock::now();
  ASSERT_TRUE(raw.Send(
      "POST /v1/jobs HTTP/1.1\r\nHost: t\r\nContent-Length: 104857600\r\n\r\nname: big\n"));
  std::string response = raw.ReadUntilClosed();
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(response, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(response,
              ::testing::EndsWith("\r\n\r\n"
                                  R"({"error":{"code":"too_large","message":"request body is )"
                                  R"(104857600 bytes; the limit is 1048576"}})"));
  EXPECT_EQ(handled, 0);
  EXPECT_THAT(Responses(1), ::testing::ElementsAre("POST  413"));
}

TEST_F(HttpServerTest, ClientGetsThe413EvenThoughTheServerRefusedTheRestOfItsBody) {
  HttpServerOptions options;
  options.max_body_bytes = 1u << 20;
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) { exchange->Reply(Text("ok")); },
        options);
  HttpClient client(Url());
  Result<HttpReply> got =
      client.Request("POST", "/v1/runs/1/log", std::string(8u << 20, 'x'), "text/plain", 5s);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 413);
  EXPECT_EQ(got->body, R"({"error":{"code":"too_large","message":"request body is 8388608 )"
                       R"(bytes; the limit is 1048576"}})");
  Result<HttpReply> next = client.Request("GET", "/healthz");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->body, "ok");
}

TEST_F(HttpServerTest, OversizedHeaderGets431AndGarbageGets400) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) { exchange->Reply(Text("ok")); },
        options);

  RawSocket big(port());
  ASSERT_TRUE(
      big.Send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"));
  std::string response = big.ReadUntilClosed();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(response, HasSubstr(R"({"error":{"code":"header_too_large","message":"request )"
                                  R"(header is larger than the limit of 1024 bytes"}})"));

  RawSocket garbage(port());
  ASSERT_TRUE(garbage.Send("HELLO THERE\r\n\r\n"));
  response = garbage.ReadUntilClosed();
  EXPECT_THAT(response, StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(response, HasSubstr(R"({"error":{"code":"bad_request","message":"malformed HTTP)"));
}

TEST_F(HttpServerTest, FiveHundredSilentConnectionsDoNotDelayOthersAndAreClosed) {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < 2048 && files.rlim_max >= 2048) {
    files.rlim_cur = 2048;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  HttpServerOptions options;
  options.header_timeout = 1s;
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) { exchange->Reply(Text("ok")); },
        options);

  std::vector<std::unique_ptr<RawSocket>> silent;
  for (int i = 0; i < 500; ++i) {
    silent.push_back(std::make_unique<RawSocket>(port()));
    ASSERT_TRUE(silent.back()->connected()) << "socket " << i;
  }
  HttpClient client(Url());
  Clock::time_point start = Clock::now();
  Result<HttpReply> got = client.Request("GET", "/healthz", {}, "", 5s);
  EXPECT_LT(Clock::now() - start, 500ms);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->body, "ok");

  for (auto& socket : silent) EXPECT_TRUE(socket->WaitClosed());  // after header_timeout
  EXPECT_LE(server_->open_connections(), 1u);                     // the client's may remain
}

TEST_F(HttpServerTest, IdleKeptConnectionIsClosedAfterIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = 200ms;
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) { exchange->Reply(Text("ok")); },
        options);
  RawSocket raw(port());
  ASSERT_TRUE(raw.Send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_THAT(raw.ReadResponse(), StartsWith("HTTP/1.1 200 OK"));
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_GE(Clock::now() - start, 150ms);
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST_F(HttpServerTest, MoreThanMaxConnectionsAreClosedAtOnce) {
  HttpServerOptions options;
  options.max_connections = 2;
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) { exchange->Reply(Text("ok")); },
        options);
  RawSocket first(port());
  RawSocket second(port());
  ASSERT_TRUE(first.Send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(second.Send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_THAT(first.ReadResponse(), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(second.ReadResponse(), StartsWith("HTTP/1.1 200 OK"));
  RawSocket third(port());
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(third.WaitClosed());
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(server_->open_connections(), 2u);
}

TEST_F(HttpServerTest, PipelinedAndExpectContinueRequestsAreServed) {
  Start([](HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
    exchange->Reply(Text(request.path + ":" + request.body));
  });
  RawSocket raw(port());
  ASSERT_TRUE(raw.Send("GET /one HTTP/1.1\r\nHost: t\r\n\r\nGET /two HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_THAT(raw.ReadResponse(), ::testing::EndsWith("\r\n\r\n/one:"));
  EXPECT_THAT(raw.ReadResponse(), ::testing::EndsWith("\r\n\r\n/two:"));

  ASSERT_TRUE(raw.Send(
      "POST /three HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  EXPECT_EQ(raw.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(raw.Send("body"));
  EXPECT_THAT(raw.ReadResponse(), ::testing::EndsWith("\r\n\r\n/three:body"));
}

TEST_F(HttpServerTest, DroppedExchangeIsAnswered500) {
  Start([](HttpRequest, std::shared_ptr<HttpExchange>) {});
  HttpClient client(Url());
  Result<HttpReply> got = client.Request("GET", "/forgotten");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 500);
  EXPECT_THAT(got->body, HasSubstr(R"("code":"internal")"));
}

TEST_F(HttpServerTest, StreamSendsChunksInOrderUntilEnd) {
  ExchangeQueue pending;
  std::promise<void> sent;
  std::shared_future<void> all_sent = sent.get_future().share();
  Start([&pending, all_sent](HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
    if (request.path != "/v1/events") {
      exchange->Reply(Text("after"));
      return;
    }
    exchange->StartStream("text/event-stream", "/v1/events");
    pending.Push(exchange);
    // Still inside the handler while another thread streams: the start must go out first.
    all_sent.wait_for(5s);
  });
  std::string expected;
  for (int i = 1; i <= 20; ++i) expected += "id: " + std::to_string(i) + "\ndata: {}\n\n";
  std::thread sender([&] {
    std::shared_ptr<HttpExchange> exchange = pending.Pop();
    ASSERT_NE(exchange, nullptr);
    for (int i = 1; i <= 20; ++i) exchange->Send("id: " + std::to_string(i) + "\ndata: {}\n\n");
    exchange->Send("");  // nothing: must not end the chunked body
    exchange->End();
    exchange->Send("after the end is ignored");
    sent.set_value();
  });
  HttpClient client(Url());
  std::string received;
  Result<int> status = MakeError("none", "");
  {
    Watchdog watchdog(*server_, 10s);
    status = client.Stream("/v1/events?since=0", {}, [&](std::string_view data) {
      received.append(data);
      return true;
    });
  }
  sender.join();
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(received, expected);
  EXPECT_THAT(Responses(1), ::testing::ElementsAre("GET /v1/events 200"));

  Result<HttpReply> after = client.Request("GET", "/next");  // the connection is kept
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->body, "after");
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(HttpServerTest, StreamReaderThatStopsClosesTheStream) {
  ExchangeQueue pending;
  auto closed = std::make_shared<std::promise<void>>();
  Start([&pending, closed](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
    exchange->OnClose([closed] { closed->set_value(); });
    exchange->StartStream("text/event-stream", "");
    exchange->Send("data: first\n\n");
    pending.Push(exchange);
  });
  HttpClient client(Url());
  int pieces = 0;
  Result<int> status = client.Stream("/v1/events", {}, [&](std::string_view) {
    ++pieces;
    return false;
  });
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(*status, 200);
  EXPECT_EQ(pieces, 1);

  std::shared_ptr<HttpExchange> exchange = pending.Pop();
  ASSERT_NE(exchange, nullptr);
  ASSERT_EQ(closed->get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(exchange->closed());
  exchange->Send("data: dropped\n\n");
  exchange->End();
  EXPECT_THAT(Responses(1), ::testing::ElementsAre("GET /v1/events 200"));
}

TEST_F(HttpServerTest, StopClosesPendingExchangesAndRunReturns) {
  ExchangeQueue pending;
  auto closed = std::make_shared<std::atomic<bool>>(false);
  Start([&pending, closed](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
    exchange->OnClose([closed] { *closed = true; });
    pending.Push(exchange);
  });
  Result<HttpReply> got = MakeError("none", "");
  std::thread waiter([&, url = Url()] {
    HttpClient client(url);
    got = client.Request("GET", "/v1/agents/a/work?wait=30s");
  });
  std::shared_ptr<HttpExchange> exchange = pending.Pop();
  ASSERT_NE(exchange, nullptr);
  StopServer();  // Stop() + join: Run() returned
  waiter.join();
  EXPECT_TRUE(exchange->closed());
  EXPECT_TRUE(*closed);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "unreachable");
  exchange->Reply(Text("after the server is gone"));  // harmless
}

TEST_F(HttpServerTest, KeepAliveServesManySequentialRequestsOnOneConnection) {
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
    exchange->Reply(Text(R"({"status": "ok"})"));
  });
  HttpClient client(Url());
  for (int i = 0; i < 1000; ++i) {
    Result<HttpReply> got = client.Request("GET", "/healthz");
    ASSERT_TRUE(got.ok()) << "request " << i << ": " << got.error().message;
    ASSERT_EQ(got->status, 200);
  }
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(HttpServerTest, ClientReconnectsOnceWhenTheServerClosedTheKeptConnection) {
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) { exchange->Reply(Text("A")); });
  uint16_t kept_port = port();
  HttpClient client(Url());
  Result<HttpReply> first = client.Request("GET", "/");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->body, "A");

  StopServer();  // closes the client's kept connection
  Start([](HttpRequest, std::shared_ptr<HttpExchange> exchange) { exchange->Reply(Text("B")); }, {},
        kept_port);
  Result<HttpReply> second = client.Request("POST", "/v1/jobs", "{}");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->body, "B");
}

TEST_F(HttpServerTest, ClientTimesOutWhenNoReplyComes) {
  ExchangeQueue pending;
  Start([&](HttpRequest, std::shared_ptr<HttpExchange> exchange) { pending.Push(exchange); });
  HttpClient client(Url());
  Clock::time_point start = Clock::now();
  Result<HttpReply> got = client.Request("GET", "/slow", {}, "", 200ms);
  EXPECT_LT(Clock::now() - start, 2s);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "timeout");
  EXPECT_EQ(got.error().message, "no reply from " + Url().text + " within 200ms");
  StopServer();
}

TEST(HttpServerLifetimeTest, DestructorStopsARunningServerAndTheCallerJoins) {
  auto closed = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<HttpExchange> kept;  // outlives the server
  std::promise<void> handled;
  HttpServerOptions options;
  options.port = 0;
  auto server = std::make_unique<HttpServer>(
      options, [&](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
        exchange->OnClose([closed] { *closed = true; });
        kept = exchange;
        handled.set_value();
      });
  ASSERT_TRUE(server->Listen().ok());
  std::thread runner([running = server.get()] { running->Run(); });
  RawSocket raw(server->port());
  ASSERT_TRUE(raw.Send("GET /v1/agents/a/work?wait=30s HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_EQ(handled.get_future().wait_for(5s), std::future_status::ready);

  server.reset();  // Stop()s and waits for Run() to return
  runner.join();
  EXPECT_TRUE(*closed);
  EXPECT_TRUE(kept->closed());
  EXPECT_TRUE(raw.WaitClosed());
  kept->Reply(Text("the server is gone"));  // does nothing
}

// A port that was just free: bind, learn it, close.
ServerUrl ClosedPortUrl() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  Result<ServerUrl> url = ParseServerUrl("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
  EXPECT_TRUE(url.ok());
  return *url;
}

TEST(HttpClientTest, ClosedPortIsUnreachable) {
  const ServerUrl url = ClosedPortUrl();
  HttpClient client(url);
  Result<HttpReply> got = client.Request("GET", "/healthz", {}, "", 2s);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "unreachable");
  EXPECT_EQ(got.error().message, "cannot reach " + url.text + ": Connection refused");
  EXPECT_FALSE(client.delivered());
}

// ---- FailoverClient: several servers of one farm ----------------------------------------------

TEST_F(HttpServerTest, FailoverClientMovesToTheNextServerAndStaysThere) {
  std::atomic<int> served{0};
  Start([&](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
    ++served;
    exchange->Reply(Text("here"));
  });
  const ServerUrl down = ClosedPortUrl();
  auto current = std::make_shared<std::atomic<size_t>>(0);
  FailoverClient client({down, Url()}, current);
  Result<HttpReply> got = client.Request("POST", "/v1/jobs", "{}", "application/json", 2s, {},
                                         FailoverClient::Repeat::kUnsafe);   // never reached `down`
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->body, "here");
  EXPECT_EQ(client.server().text, Url().text);
  EXPECT_EQ(current->load(), 1u);
  FailoverClient sibling({down, Url()}, current);   // shares the choice: starts at the live one
  EXPECT_EQ(sibling.server().text, Url().text);
  ASSERT_TRUE(sibling.Request("GET", "/x").ok());
  EXPECT_EQ(served.load(), 2);
}

TEST_F(HttpServerTest, FailoverClientRepeatsElsewhereOnlyWhatIsSafeToRepeat) {
  ExchangeQueue pending;   // the first server takes requests and never answers
  Start([&](HttpRequest, std::shared_ptr<HttpExchange> exchange) { pending.Push(exchange); });
  std::atomic<int> second_served{0};
  HttpServerOptions options;
  options.host = "127.0.0.1";
  HttpServer second(options, [&](HttpRequest, std::shared_ptr<HttpExchange> exchange) {
    ++second_served;
    exchange->Reply(Text("second"));
  });
  ASSERT_TRUE(second.Listen().ok());
  std::thread second_thread([&] { second.Run(); });
  const ServerUrl second_url{"127.0.0.1", second.port(), "http://127.0.0.1:" + std::to_string(second.port())};

  FailoverClient unsafe({Url(), second_url});
  Result<HttpReply> got = unsafe.Request("POST", "/v1/jobs", "{}", "application/json", 200ms, {},
                                         FailoverClient::Repeat::kUnsafe);
  ASSERT_FALSE(got.ok()) << "a submit the first server may have taken was sent again";
  EXPECT_EQ(got.error().code, "timeout");
  EXPECT_EQ(second_served.load(), 0);

  FailoverClient safe({Url(), second_url});
  got = safe.Request("GET", "/v1/jobs/1/wait", {}, "", 200ms);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->body, "second");
  EXPECT_EQ(safe.server().text, second_url.text);
  second.Stop();
  second_thread.join();
  StopServer();
}

TEST(FailoverClientTest, NamesEveryServerItCouldNotReach) {
  const ServerUrl a = ClosedPortUrl(), b = ClosedPortUrl();
  FailoverClient client({a, b});
  Result<HttpReply> got = client.Request("GET", "/healthz", {}, "", 2s);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, "unreachable");
  EXPECT_EQ(got.error().message,
            "cannot reach " + a.text + " (Connection refused), " + b.text + " (Connection refused)");
}

TEST(HttpClientTest, ParsesServerLists) {
  Result<std::vector<ServerUrl>> list = ParseServerList("http://a:7070, b:7071 ,http://c");
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].host, "a");
  EXPECT_EQ((*list)[1].port, 7071);
  EXPECT_EQ((*list)[2].port, 80);
  EXPECT_EQ(ServerListText(*list), "http://a:7070,b:7071,http://c");
  struct Bad {
    std::string text;
    std::string message;
  };
  for (const Bad& b : std::vector<Bad>{
           {"http://a:7070,", "bad server list \"http://a:7070,\": server 2 is empty (expected URL[,URL...])"},
           {"a:1,,b:2", "bad server list \"a:1,,b:2\": server 2 is empty (expected URL[,URL...])"},
           {"a:1,http://a:1", "bad server list \"a:1,http://a:1\": http://a:1 is in it twice"},
           {"a:1,b", "bad server URL \"b\": expected http://HOST:PORT or HOST:PORT"}}) {
    Result<std::vector<ServerUrl>> bad = ParseServerList(b.text);
    ASSERT_FALSE(bad.ok()) << b.text;
    EXPECT_EQ(bad.error().code, "bad_url");
    EXPECT_EQ(bad.error().message, b.message);
  }
}

TEST(HttpClientTest, ParsesServerUrls) {
  struct Case {
    std::string text;
    std::string host;
    uint16_t port;
  };
  for (const Case& c : std::vector<Case>{{"http://127.0.0.1:7070", "127.0.0.1", 7070},
                                         {"127.0.0.1:7070", "127.0.0.1", 7070},
                                         {"HTTP://Example.com", "Example.com", 80},
                                         {"http://example.com/", "example.com", 80},
                                         {"localhost:8080", "localhost", 8080},
                                         {"http://[::1]:7070", "::1", 7070}}) {
    Result<ServerUrl> url = ParseServerUrl(c.text);
    ASSERT_TRUE(url.ok()) << c.text << ": " << url.error().message;
    EXPECT_EQ(url->host, c.host) << c.text;
    EXPECT_EQ(url->port, c.port) << c.text;
    EXPECT_EQ(url->text, c.text);
  }
  struct Bad {
    std::string text;
    std::string message;
  };
  for (const Bad& b :
       std::vector<Bad>{{"https://rota:7070",
                         "https is not supported; rota speaks plain HTTP (use http://HOST:PORT)"},
                        {"rota", "expected http://HOST:PORT or HOST:PORT"},
                        {"ftp://rota:21", "only http:// is supported (expected http://HOST:PORT)"},
                        {"http://rota:0", "the port must be a number from 1 to 65535"},
                        {"http://rota:70000", "the port must be a number from 1 to 65535"},
                        {"rota:70a", "the port must be a number from 1 to 65535"},
                        {"http://:7070", "the host is missing"},
                        {"http://rota:7070/v1", "expected http://HOST:PORT, with no path"},
                        {"::1:7070", "put an IPv6 address in brackets: http://[::1]:7070"}}) {
    Result<ServerUrl> url = ParseServerUrl(b.text);
    ASSERT_FALSE(url.ok()) << b.text;
    EXPECT_EQ(url.error().code, "bad_url");
    EXPECT_EQ(url.error().message, "bad server URL \"" + b.text + "\": " + b.message);
  }
}

}  // namespace
}  // namespace rota
