// The HTTP responses of the API (docs/api.md): JSON bodies labelled with their route for the
// latency metrics, the error body, and the status each error code of ServerCore is given.
// Pure; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "api/http_server.h"
#include "core/result.h"

namespace rota {

// `body` must already be JSON.
HttpResponse JsonResponse(int status, std::string body, const char* route);
inline HttpResponse JsonAt(int status, const nlohmann::ordered_json& body, const char* route) {
  return JsonResponse(status, body.dump(), route);
}
HttpResponse TextResponse(std::string body, std::string content_type, const char* route);

// {"error": {"code": ..., "message": ...}}.
HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message);
// An Error of ServerCore (api/server_answers.h) or of a decoder, with the status its code has:
// not_found 404; stale_run, not_finished, nothing_to_retry and retired 409; store_unavailable 503;
// other codes (bad_request, bad_config, invalid_spec) 400.
HttpResponse ErrorResponse(const Error& error);

}  // namespace rota
