#include "exec/log_path.h"

namespace rota {

std::string RunLogPath(std::string_view log_dir, std::string_view job, std::string_view task,
                       int instance, int attempt) {
  std::string out;
  out.reserve(log_dir.size() + job.size() + task.size() + 24);
  out.append(log_dir).append("/").append(job).append("/").append(task).append("/");
  out.append(std::to_string(instance)).append(".").append(std::to_string(attempt)).append(".log");
  return out;
}

}  // namespace rota
