// ConnectionWatch: says once that the server went away and once that it is back, however many
// threads keep failing or succeeding meanwhile. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rota::agent {

using NoteSink = std::function<void(std::string_view line)>;  // one line for the user

class ConnectionWatch {
 public:
  // `note` may be empty (quiet).
  ConnectionWatch(std::string server, NoteSink note)
      : server_(std::move(server)), note_(std::move(note)) {}

  void Failed(const Error& error);
  void Succeeded();

 private:
  const std::string server_;
  const NoteSink note_;
  std::mutex mu_;
  bool lost_ = false;  // GUARDED_BY(mu_)
};

}  // namespace rota::agent
