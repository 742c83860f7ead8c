// HttpServer: an HTTP/1.1 server on Boost.Beast with one io_context on one thread (no thread per
// connection). It reads a request (headers and body, within the limits below), hands it to the
// Handler, and writes the Response whenever the handler completes the Exchange, from any thread.
// An exchange may instead become a stream (Server-Sent Events): headers first, then chunks.
//
// Beast and Asio stay inside http_server.cc, so including this header is cheap.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace rota {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as sent: "/v1/jobs?state=running"
  std::string path;                            // decoded path without the query: "/v1/jobs"
  std::map<std::string, std::string> query;    // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::chrono::steady_clock::time_point received;  // when the whole request had been read

  // The header's value, "" when absent. `name` is lower case.
  std::string Header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (e.g. Allow)
  std::string route;   // label for metrics ("/v1/jobs/{id}"); "" = the request path
};

// One request in flight. Every method is thread-safe; completions are posted to the server's
// io thread. Exactly one of Reply() or StartStream() takes effect; later calls are ignored.
// An exchange may outlive the server (its calls then do nothing). Dropping the last reference
// without replying answers 500; dropping a stream without End() ends it.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual void Reply(HttpResponse response) = 0;

  // Streaming: sends status 200 with `content_type` and no Content-Length (chunked), then each
  // Send() as a chunk, in order. End() finishes the response (the connection may be reused).
  virtual void StartStream(std::string content_type, std::string route) = 0;
  virtual void Send(std::string chunk) = 0;
  virtual void End() = 0;

  // True once the peer has gone (read error, reset, or the server is stopping) while this
  // exchange's response was pending or streaming. A peer that half-closes counts as gone.
  virtual bool closed() const = 0;
  // Runs `fn` on the io thread when the peer goes away (at once if it already has). One callback:
  // a later call replaces it. Once the response is completely written the callback is dropped
  // without running.
  virtual void OnClose(std::function<void()> fn) = 0;
};

using HttpHandler = std::function<void(HttpRequest request, std::shared_ptr<HttpExchange> exchange)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;                                  // 0: any free port (see port())
  size_t max_body_bytes = 16u << 20;                     // larger: 413, connection closed
  size_t max_header_bytes = 64u << 10;                   // larger: 431, connection closed
  std::chrono::milliseconds header_timeout{10000};       // a request must arrive within this
  std::chrono::milliseconds idle_timeout{60000};         // keep-alive connections idle longer close
  size_t max_connections = 10000;                        // above: new connections closed at once
  // Called on the io thread after each response (or stream) ends, also when the peer left in the
  // middle of it: for latency metrics. Route is "" for requests refused while parsing (400, 413,
  // 431). Must not throw.
  std::function<void(const std::string& method, const std::string& route, int status,
                     double seconds)> on_response;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  // Stop()s, then waits until Run() has returned if another thread is in it; the caller joins that
  // thread afterwards (or calls Stop() and joins before destroying). Never from the io thread, and
  // not while Run() is about to be entered. OnClose callbacks of exchanges still open run here if
  // Run() never got to close them.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Error code "listen" with the address and the reason.
  Result<Unit> Listen();
  uint16_t port() const;          // the bound port, after Listen()

  void Run();                     // runs the io_context on the calling thread until Stop()
  void Stop();                    // thread-safe; closes every connection; Run() returns
                                  // (a Run() after Stop() returns at once)

  // Thread-safe: runs `fn` on the io thread.
  void Post(std::function<void()> fn);
  // Thread-safe: runs `fn` on the io thread after `delay` (unless the server stops first).
  void After(std::chrono::milliseconds delay, std::function<void()> fn);

  size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rota
