#include "exec/run_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace rota {

int MakeDirs(const std::string& dir) {
  if (mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return errno;
  const size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return ENOENT;
  if (int err = MakeDirs(dir.substr(0, slash)); err != 0) return err;
  return (mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST) ? 0 : errno;
}

int RunOutput::Open() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return errno;
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  // The child's end blocks as a normal stdout does; only our end is non-blocking.
  fcntl(write_fd_, F_SETFL, fcntl(write_fd_, F_GETFL) & ~O_NONBLOCK);
  return 0;
}

void RunOutput::CloseWriteEnd() {
  if (write_fd_ >= 0) close(write_fd_);
  write_fd_ = -1;
}

bool RunOutput::Drain() {
  if (read_fd_ < 0) return false;
  char buf[64 << 10];
  for (;;) {
    const ssize_t n = read(read_fd_, buf, sizeof buf);
    if (n > 0) {
      Write(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN;
  }
}

void RunOutput::Write(const char* data, size_t size) {
  if (file_failed_ || log_path_.empty()) return;
  if (file_fd_ < 0) {
    const size_t slash = log_path_.find_last_of('/');
    if (slash != std::string::npos) MakeDirs(log_path_.substr(0, slash));
    file_fd_ = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (file_fd_ < 0) {
      file_failed_ = true;
      return;
    }
  }
  while (size > 0) {
    const ssize_t n = write(file_fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // disk full: the run goes on; its log is short
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void RunOutput::Close() {
  CloseWriteEnd();
  if (read_fd_ >= 0) close(read_fd_);
  if (file_fd_ >= 0) close(file_fd_);
  read_fd_ = file_fd_ = -1;
}

}  // namespace rota
