#include "cli/client_api.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace rota {
namespace {

constexpr const char* kUnreachableHint = " (is `rota server` running? set --server or ROTA_SERVER)";

std::string FirstLine(std::string_view text, size_t max = 200) {
  text = text.substr(0, text.find('\n'));
  if (text.size() > max) return std::string(text.substr(0, max)) + "...";
  return std::string(text);
}

std::string CodeForStatus(int status) {
  if (status == 400 || status == 413) return "usage";
  if (status == 404) return "not_found";
  if (status == 409) return "conflict";
  return "server";
}

}  // namespace

Result<std::vector<ServerUrl>> ResolveServer(const std::string& flag) {
  std::string text = flag;
  const char* from = "--server";
  if (text.empty()) {
    const char* env = std::getenv("ROTA_SERVER");
    if (env != nullptr && *env != '\0') {
      text = env;
      from = "ROTA_SERVER";
    } else {
      text = kDefaultServer;
    }
  }
  Result<std::vector<ServerUrl>> servers = ParseServerList(text);
  if (!servers.ok()) return MakeError("usage", std::string(from) + ": " + servers.error().message);
  return servers;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

int ExitCodeFor(const Error& error) {
  if (error.code == "usage") return 2;
  if (error.code == "not_found" || error.code == "conflict") return 1;
  return 3;
}

Error ErrorFromReply(const HttpReply& reply, const std::string& not_found) {
  const std::string code = CodeForStatus(reply.status);
  if (reply.status == 404 && !not_found.empty()) return MakeError(code, not_found);
  nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const nlohmann::json& e = body["error"];
    if (e.contains("message") && e["message"].is_string() &&
        !e["message"].get<std::string>().empty()) {
      return MakeError(code, e["message"].get<std::string>());
    }
  }
  std::string message = "the server answered HTTP " + std::to_string(reply.status);
  if (!reply.body.empty()) message += ": " + FirstLine(reply.body);
  return MakeError(code, message);
}

Error TransportError(const Error& error) {
  if (error.code == "unreachable")
    return MakeError("unreachable", error.message + kUnreachableHint);
  return MakeError("unreachable", error.message);
}

int Fail(const Error& error) {
  std::fflush(stdout);
  std::string_view rest = error.message;  // one "error: " per line, as `rota validate` prints
  do {
    const size_t nl = rest.find('\n');
    std::cerr << "error: " << rest.substr(0, nl) << "\n";
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  } while (!rest.empty());
  return ExitCodeFor(error);
}

Result<HttpReply> ApiClient::Send(const ApiRequest& request) {
  Result<HttpReply> reply =
      http_.Request(request.method, request.target, request.body, request.content_type, request.timeout, {},
                    request.repeatable ? FailoverClient::Repeat::kSafe : FailoverClient::Repeat::kUnsafe);
  if (!reply.ok()) return TransportError(reply.error());
  if (reply->status < 200 || reply->status > 299) {
    return ErrorFromReply(*reply, request.not_found);
  }
  return reply;
}

Result<nlohmann::json> ApiClient::SendJson(const ApiRequest& request) {
  Result<HttpReply> reply = Send(request);
  if (!reply.ok()) return reply.error();
  nlohmann::json body = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return MakeError("server", "unreadable reply from " + http_.server().text + " to " +
                                   request.method + " " + request.target + ": " +
                                   FirstLine(reply->body));
  }
  return body;
}

Result<nlohmann::json> ApiClient::GetJson(const std::string& target, const std::string& not_found) {
  ApiRequest request;
  request.target = target;
  request.not_found = not_found;
  return SendJson(request);
}

}  // namespace rota
