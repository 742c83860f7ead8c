// JSON answers of ServerCore, labelled with their route for the latency metrics. Internal to
// src/api (server_core.cc, server_agents.cc).
#pragma once

#include <nlohmann/json.hpp>

#include "api/replies.h"

namespace rota {

inline HttpResponse JsonAt(int status, const nlohmann::ordered_json& body, const char* route) {
  HttpResponse r = JsonResponse(status, body.dump());
  r.route = route;
  return r;
}

}  // namespace rota
