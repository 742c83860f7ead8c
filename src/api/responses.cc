#include "api/responses.h"

#include "api/server_answers.h"

namespace rota {

HttpResponse JsonResponse(int status, std::string body, const char* route) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.route = route;
  return r;
}

HttpResponse TextResponse(std::string body, std::string content_type, const char* route) {
  HttpResponse r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.route = route;
  return r;
}

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  nlohmann::ordered_json body = {{"error", {{"code", code}, {"message", message}}}};
  return JsonResponse(status, body.dump(), "");
}

HttpResponse ErrorResponse(const Error& error) {
  const std::string& code = error.code;
  int status = 400;
  if (code == kNotFound) {
    status = 404;
  } else if (code == kStaleRun || code == kNotFinished || code == kNothingToRetry || code == kRetired ||
             code == kConflict) {
    status = 409;
  } else if (code == kStoreUnavailable) {
    status = 503;
  }
  return ErrorResponse(status, code, error.message);
}

}  // namespace rota
