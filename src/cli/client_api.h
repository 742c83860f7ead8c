// ApiClient: how the client verbs (submit, jobs, show, ...) talk to `rota server` (docs/api.md):
// which servers (one, or several sharing a farm: the next is tried when one is down), JSON requests, and every failure turned into the "error: ..." message and exit
// code of DESIGN section 4. Blocking; one client per thread (the verbs use the main thread).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "net/failover_client.h"
#include "core/result.h"

namespace rota {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:7070";

// The servers the client verbs use: `flag` when given, else $ROTA_SERVER, else kDefaultServer;
// each may be a list, URL[,URL...], of servers sharing one farm. Error code "usage" for a
// malformed address.
Result<std::vector<ServerUrl>> ResolveServer(const std::string& flag);

// Percent-encodes all but RFC 3986's unreserved characters, for one path segment or query value:
// "hub/ready" -> "hub%2Fready".
std::string PercentEncode(std::string_view text);

// A failed call says in Error.code what the verb exits with:
//   "usage"       400 bad_request / invalid_spec, 413 too_large    -> 2
//   "not_found"   404                                              -> 1
//   "conflict"    409                                              -> 1
//   "unreachable" no connection, the connection broke, no reply    -> 3
//   "server"      5xx, or any other status or an unreadable reply  -> 3
int ExitCodeFor(const Error& error);

// The Error for a reply whose status is not 2xx: the server's "error.message" when the body has
// one, else a sentence naming the status. `not_found`, when not empty, replaces the message of a
// 404 ("no job 42").
Error ErrorFromReply(const HttpReply& reply, const std::string& not_found = "");

// Prints "error: <message>" on stderr and returns ExitCodeFor(error).
int Fail(const Error& error);

struct ApiRequest {
  std::string method = "GET";
  std::string target;  // "/v1/jobs/42", already percent-encoded
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds timeout{60000};
  std::string not_found;  // see ErrorFromReply
  // Sending it twice does no harm (as for every verb but submit): when the server fails after
  // taking it whole, it is sent to the next server of the list.
  bool repeatable = true;
};

class ApiClient {
 public:
  explicit ApiClient(std::vector<ServerUrl> servers) : http_(std::move(servers)) {}

  // The reply when its status is 2xx, else the Error of ErrorFromReply or of the transport (an
  // unreachable server's message ends with a hint about `rota server`, --server and ROTA_SERVER).
  Result<HttpReply> Send(const ApiRequest& request);
  // Send, and parse the body as JSON (error code "server" when it is not JSON).
  Result<nlohmann::json> SendJson(const ApiRequest& request);
  Result<nlohmann::json> GetJson(const std::string& target, const std::string& not_found = "");

  FailoverClient& http() { return http_; }

 private:
  FailoverClient http_;
};

// Turns a transport failure of HttpClient into the client's Error (see ExitCodeFor).
Error TransportError(const Error& error);

}  // namespace rota
