#include "cli/commands.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "cli/client_commands.h"
#include "cli/run_command.h"
#include "cli/server_verbs.h"
#include "cli/spec_file.h"
#include "cli/verb_table.h"
#include "core/dot_graph.h"
#include "core/exit_codes.h"
#include "core/frame_set.h"
#include "core/units.h"

namespace rota {
namespace {

int FramesVerb(const std::string& expr, int chunk) {
  Result<std::vector<Frame>> frames = ParseFrameSet(expr);
  if (!frames.ok()) {
    PrintError(frames.error().message);
    return kExitUsage;
  }
  if (chunk < 1) {
    PrintError("--chunk must be at least 1, got " + std::to_string(chunk));
    return kExitUsage;
  }
  std::string out;
  for (std::span<const Frame> c : ChunkFrames(*frames, chunk)) out += FormatFrames(c) + "\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

int ValidateVerb(const std::string& path, const std::vector<std::string>& signals) {
  ValidateOptions options;
  options.given_signals = signals;
  std::optional<JobSpec> job = LoadSpecFile(path, options);
  if (!job) return kExitUsage;
  size_t instances = 0;
  for (const TaskSpec& t : job->tasks) {
    if (t.frames.empty()) {
      ++instances;
    } else if (auto f = ParseFrameSet(t.frames); f.ok()) {
      instances += (f->size() + t.chunk - 1) / t.chunk;
    }
  }
  std::printf("%s: ok: job %s, %zu tasks, %zu instances\n", path.c_str(), job->name.c_str(),
              job->tasks.size(), instances);
  return 0;
}

int GraphVerb(const std::string& path) {
  ValidateOptions options;
  options.local = false;  // a picture of a spec with external signals is still useful
  std::optional<JobSpec> job = LoadSpecFile(path, options);
  if (!job) return kExitUsage;
  std::fputs(JobToDot(*job).c_str(), stdout);
  return 0;
}

void AddRunFlags(CLI::App* cmd, RunOptions& o, std::string& grace) {
  cmd->add_option("SPEC", o.spec_path, "workflow spec, YAML or JSON")->required();
  cmd->add_option("--events", o.events_path, "write every event as a JSON line to FILE");
  cmd->add_option("-j,--jobs", o.jobs, "max_workers of pools the spec does not list (default: CPUs)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--signal", o.signals, "post signal KEY at start (repeatable)");
  cmd->add_flag("-q,--quiet", o.quiet, "print only failures and the summary");
  cmd->add_option("--log-dir", o.log_dir, "where run logs go")->capture_default_str();
  cmd->add_option("--kill-grace", grace, "time between SIGTERM and SIGKILL")->capture_default_str();
}

}  // namespace

int RotaMain(int argc, char** argv) {
  CLI::App app{"rota: a dependency-aware batch job scheduler.\n"
               "Runs a DAG of shell commands with per-pool limits, frames, retries and timeouts."};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  rota run examples/render.yaml --events events.jsonl\n"
      "  rota graph examples/clusters.yaml | dot -Tpng > dag.png\n"
      "  rota frames 1-100x5 --chunk 4\n"
      "  rota submit shot.yaml --server http://farm:7070 --wait\n"
      "Exit codes: 0 all succeeded, 1 a task failed, 2 invalid spec or usage, 3 server\n"
      "unreachable, 130 interrupted.");

  RunOptions run;
  std::string run_grace = "5s";
  CLI::App* run_cmd = app.add_subcommand("run", "run a workflow on this machine");
  AddRunFlags(run_cmd, run, run_grace);
  run_cmd->add_flag("-k,--keep-going", run.keep_going,
                    "after a failure, keep running unrelated branches (on_failure: continue)");
  run_cmd->add_flag("-n,--dry-run", run.dry_run, "validate and print the order; run nothing");
  run_cmd->footer(
      "Example:\n  rota run pipeline.yaml --jobs 8 --events events.jsonl --signal hub/ready\n"
      "Logs of every run go to .rota/logs/<job>/<task>/<instance>.<attempt>.log.\n"
      "Ctrl-C stops every running command (SIGTERM, then SIGKILL) and exits 130.");

  RunOptions stop;
  stop.teardown = true;
  std::string stop_grace = "5s";
  CLI::App* stop_cmd =
      app.add_subcommand("stop", "run each task's stop: command, in reverse dependency order");
  AddRunFlags(stop_cmd, stop, stop_grace);
  stop_cmd->footer("Example:\n  rota stop clusters.yaml   # tears down what `rota run` brought up");

  std::string validate_path;
  std::vector<std::string> validate_signals;
  CLI::App* validate_cmd = app.add_subcommand("validate", "check a spec; run nothing");
  validate_cmd->add_option("SPEC", validate_path, "workflow spec")->required();
  validate_cmd->add_option("--signal", validate_signals, "a signal that will be given at start");
  validate_cmd->footer("Example:\n  rota validate shot.yaml && echo ok");

  std::string graph_path;
  CLI::App* graph_cmd = app.add_subcommand("graph", "print the DAG as Graphviz DOT");
  graph_cmd->add_option("SPEC", graph_path, "workflow spec")->required();
  graph_cmd->footer("Example:\n  rota graph shot.yaml | dot -Tpng > shot.png");

  std::string frames_expr;
  int frames_chunk = 1;
  CLI::App* frames_cmd =
      app.add_subcommand("frames", "expand a frame set into chunks, one per line");
  frames_cmd->add_option("EXPR", frames_expr, "frame set, e.g. 1-100x5,200")->required();
  frames_cmd->add_option("-c,--chunk", frames_chunk, "frames per chunk")->capture_default_str();
  frames_cmd->footer("Example:\n  rota frames 1-10 --chunk 4    # prints 1-4, 5-8, 9-10");

  VerbTable verbs;  // server, agent and the client verbs
  AddServerVerbs(app, verbs);
  AddClientVerbs(app, verbs);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    PrintError(what + " (see rota --help)");
    return kExitUsage;
  }

  auto with_grace = [](RunOptions& o, const std::string& text) {
    Result<Duration> d = ParseDuration(text);
    if (!d.ok()) {
      PrintError("--kill-grace: " + d.error().message);
      return kExitUsage;
    }
    o.kill_grace = *d;
    return RunWorkflow(o);
  };
  if (*run_cmd) return with_grace(run, run_grace);
  if (*stop_cmd) return with_grace(stop, stop_grace);
  if (*validate_cmd) return ValidateVerb(validate_path, validate_signals);
  if (*graph_cmd) return GraphVerb(graph_path);
  if (*frames_cmd) return FramesVerb(frames_expr, frames_chunk);
  if (std::optional<int> code = verbs.RunParsed()) return *code;
  return kExitUsage;
}

}  // namespace rota
