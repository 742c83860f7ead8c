// VerbTable: the subcommands registered on the CLI11 app and what each one runs once argv has been
// parsed. Main thread only.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace rota {

class VerbTable {
 public:
  // `cmd` must outlive the table; `run` is called at most once, after a successful parse.
  void Add(CLI::App* cmd, std::function<int()> run) { verbs_.emplace_back(cmd, std::move(run)); }

  // The exit code of the parsed verb, or nullopt when none of these verbs was given.
  std::optional<int> RunParsed() const {
    for (const auto& [cmd, run] : verbs_) {
      if (cmd->parsed()) return run();
    }
    return std::nullopt;
  }

 private:
  std::vector<std::pair<CLI::App*, std::function<int()>>> verbs_;
};

}  // namespace rota
