// A settings file (`rota server --config FILE`): YAML or JSON whose nested maps flatten into
// dotted keys, `queues: {film: {weight: 3}}` -> "queues.film.weight" = "3". Scalars only at the
// leaves; a list becomes its items joined with commas ("exclude.pools" = "a,b"). Errors name the
// file and line. Pure; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rota {

Result<std::map<std::string, std::string>> ParseConfigFile(std::string_view text,
                                                           std::string_view source);

}  // namespace rota
