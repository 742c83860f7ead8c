// Small pieces the route files share (routes.cc, periodic_routes.cc): replies for a wrong
// method, an unknown route or a bad request, and the Answer that renders ServerCore's result.
// Internal to src/api.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "api/http_server.h"
#include "api/responses.h"
#include "api/server_answers.h"

namespace rota {

using ExchangePtr = std::shared_ptr<HttpExchange>;
using ordered_json = nlohmann::ordered_json;

inline void MethodNotAllowed(const HttpRequest& r, ExchangePtr& ex, const char* allow) {
  HttpResponse resp = ErrorResponse(405, "method_not_allowed",
                                    r.method + " is not allowed on " + r.path + "; use " + allow);
  resp.headers.emplace_back("Allow", allow);
  ex->Reply(std::move(resp));
}

inline void NotFound(const HttpRequest& r, ExchangePtr& ex) {
  ex->Reply(ErrorResponse(404, "not_found", "no such route: " + r.method + " " + r.path));
}

inline void BadRequest(ExchangePtr& ex, const std::string& message) {
  ex->Reply(ErrorResponse(400, "bad_request", message));
}

// The Answer that sends ServerCore's result on `ex`: `render(value)` as JSON with `status`, or
// the error with the status its code has; both labelled `route` for the metrics.
template <class T, class Render>
Answer<T> Respond(ExchangePtr ex, const char* route, Render render, int status = 200) {
  return [ex = std::move(ex), route, render = std::move(render), status](Result<T> result) {
    HttpResponse response = result.ok() ? render(*result) : ErrorResponse(result.error());
    if (result.ok()) response.status = status;
    response.route = route;
    ex->Reply(std::move(response));
  };
}

// Renders a JSON document.
template <class T, class ToJson>
Answer<T> RespondJson(ExchangePtr ex, const char* route, ToJson to_json, int status = 200) {
  return Respond<T>(
      std::move(ex), route,
      [to_json = std::move(to_json)](const T& value) { return JsonResponse(200, to_json(value), ""); }, status);
}

inline std::string Dump(const ordered_json& j) { return j.dump(); }

}  // namespace rota
