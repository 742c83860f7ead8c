// Where a run's output goes: <log_dir>/<job>/<task>/<instance>.<attempt>.log (DESIGN, issue 2).
#pragma once

#include <string>
#include <string_view>

namespace rota {

std::string RunLogPath(std::string_view log_dir, std::string_view job, std::string_view task,
                       int instance, int attempt);

}  // namespace rota
