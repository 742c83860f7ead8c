// RunOutput: one run's stdout and stderr, read through a pipe by the launcher and appended to the
// run's log file, which is created (directory and all) only when the first byte arrives. A run that
// prints nothing costs no file system work at all: on a fast DAG of quiet commands, creating a
// directory and a file per run costs more CPU than the run itself (ninja likewise reads output
// through pipes and writes no file).
// Not thread-safe: the launcher calls it with its mutex held.
#pragma once

#include <string>

namespace rota {

class RunOutput {
 public:
  explicit RunOutput(std::string log_path) : log_path_(std::move(log_path)) {}
  ~RunOutput() { Close(); }
  RunOutput(const RunOutput&) = delete;
  RunOutput& operator=(const RunOutput&) = delete;

  // Creates the pipe (both ends close-on-exec). Returns 0 or an errno.
  int Open();
  // The end the child writes to (its 1 and 2), and the end the launcher watches.
  int write_fd() const { return write_fd_; }
  int read_fd() const { return read_fd_; }
  // After the spawn: only the child may keep the write end, so EOF comes when it is done.
  void CloseWriteEnd();

  // Appends what the pipe holds now to the log, without blocking. Returns false at end of file.
  bool Drain();
  // Closes the pipe and the log. Output a daemonised grandchild writes later is dropped (EPIPE).
  void Close();

  const std::string& log_path() const { return log_path_; }
  bool wrote_anything() const { return file_fd_ >= 0; }

 private:
  void Write(const char* data, size_t size);

  std::string log_path_;
  int read_fd_ = -1;
  int write_fd_ = -1;
  int file_fd_ = -1;
  bool file_failed_ = false;  // the log could not be created: output is read and dropped
};

// mkdir -p. Returns 0, or the errno of the mkdir that failed.
int MakeDirs(const std::string& dir);

}  // namespace rota
