#include "cli/run_command.h"

#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <thread>

#include "cli/events_file.h"
#include "core/exit_codes.h"
#include "exec/interrupts.h"
#include "cli/progress.h"
#include "cli/spec_file.h"
#include "core/dag.h"
#include "core/teardown.h"
#include "engine/engine_loop.h"
#include "exec/process_launcher.h"

namespace rota {
namespace {

int DefaultWorkers(int jobs) {
  if (jobs > 0) return jobs;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void PrintPlan(const JobSpec& job) {
  const TaskGraph graph = BuildTaskGraph(job);
  std::printf("%s: %zu tasks, in this order:\n", job.name.c_str(), job.tasks.size());
  for (int t : TopologicalOrder(graph)) {
    const TaskSpec& task = job.tasks[t];
    std::string frames;
    if (!task.frames.empty()) {
      frames = " frames " + task.frames;
      if (task.chunk > 1) frames += " chunk " + std::to_string(task.chunk);
    }
    std::printf("  %s/%s%s\n", task.pool.c_str(), task.name.c_str(), frames.c_str());
  }
}

}  // namespace

int RunWorkflow(const RunOptions& options) {
  ValidateOptions validate;
  validate.given_signals = options.signals;
  validate.default_max_workers = DefaultWorkers(options.jobs);
  // Reading, parsing and validating a big spec takes a burst of CPU (~0.1 s for 10,000 tasks). Done
  // on this thread, that burst stays in the thread's CFS vruntime for the whole run: woken by an
  // exit, the loop then loses the CPU to the freshly spawned children instead of preempting them,
  // and slots sit idle (measured: a 300 ms burst made a 10,000-task run ~40% slower). A short-lived
  // thread takes the burst instead, and the loop thread starts the run with a clean history.
  std::optional<JobSpec> loaded;
  std::thread([&] { loaded = LoadSpecFile(options.spec_path, validate); }).join();
  if (!loaded) return kExitUsage;
  JobSpec job = options.teardown ? MakeTeardownJob(*loaded) : std::move(*loaded);
  if (options.keep_going) job.on_failure = FailurePolicy::kContinue;
  if (options.dry_run) {
    PrintPlan(job);
    return kExitOk;
  }

  EventsFile events_file;
  if (!options.events_path.empty() && !events_file.Open(options.events_path)) {
    PrintError("cannot write the events file " + options.events_path + ": " +
               std::strerror(errno));
    return kExitUsage;
  }
  ProgressOptions progress_options;
  progress_options.tty = isatty(STDOUT_FILENO) != 0;
  progress_options.quiet = options.quiet;
  progress_options.log_dir = options.teardown ? options.log_dir + "/stop" : options.log_dir;
  Progress progress(stdout, progress_options);
  FanoutSink sinks;
  sinks.Add(&events_file);
  sinks.Add(&progress);

  EngineLoop loop;
  Interrupts interrupts;  // before anything could start a thread
  SystemClock clock;
  // The loop reaps exits itself (no reaper thread, no hop). Exits reaped in ReapReady are handed
  // to the engine right after; a launch failure, reported from inside Launch (inside the engine),
  // goes through the inbox so that the engine is never re-entered.
  std::vector<RunExit> reaped;
  bool reaping = false;
  ExitSink to_inbox = loop.exit_sink();
  ProcessLauncher launcher(
      [&](RunExit exit) {
        if (reaping) {
          reaped.push_back(std::move(exit));
        } else {
          to_inbox(std::move(exit));
        }
      },
      ProcessLauncher::Reaping::kByCaller, ProcessLauncher::OutputCapture::kThroughPipe);
  EngineOptions engine_options;
  engine_options.default_max_workers = validate.default_max_workers;
  engine_options.kill_grace = options.kill_grace;
  engine_options.signals_only_from_tasks = true;
  Engine engine(clock, launcher, sinks, engine_options);
  progress.Attach(&engine);

  for (const std::string& key : options.signals) engine.PostSignal(key);
  SubmitOptions submit;
  // A teardown logs apart, so `rota stop` never overwrites the logs of the run it undoes.
  submit.log_dir = options.teardown ? options.log_dir + "/stop" : options.log_dir;
  submit.teardown = options.teardown;
  const JobId id = engine.Submit(std::move(job), submit);
  // Parsing a large spec leaves tens of MB of freed heap behind; hand it back before the run.
  malloc_trim(0);
  EngineLoop::Source exits{launcher.exit_fd(), [&](Engine& e) {
                             reaping = true;
                             launcher.ReapReady();
                             reaping = false;
                             for (const RunExit& exit : reaped) e.OnRunExit(exit);
                             reaped.clear();
                           }};
  // Ctrl-C once: cancel (SIGTERM to every run, SIGKILL after the grace); twice: SIGKILL now.
  EngineLoop::Source ctrl_c{interrupts.fd(), [&](Engine& e) {
                              const int before = interrupts.count();
                              if (interrupts.Take() == 0) return;
                              if (before == 0) e.CancelAll("interrupted");
                              if (interrupts.count() > 1) e.KillAll();
                            }};
  loop.Run(
      engine, [](const Engine& e) { return e.AllFinished() && e.running() == 0; },
      [&] {
        sinks.Flush();
        progress.Tick();
      },
      std::chrono::milliseconds(100), {exits, ctrl_c});
  sinks.Flush();
  progress.Finish();

  if (interrupts.count() > 0) return kExitInterrupted;
  const JobState& state = engine.job(id);
  return state.Succeeded() ? kExitOk : kExitFailed;
}

}  // namespace rota
