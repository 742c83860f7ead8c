#include "agent/run_journal.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "exec/run_output.h"

namespace rota::agent {
namespace {

constexpr const char* kFile = "/journal";

Error JournalError(const std::string& what, int err) {
  return MakeError("journal", what + ": " + std::generic_category().message(err));
}

// The next space-separated field of `line`, consumed.
std::string_view Field(std::string_view& line) {
  const size_t space = line.find(' ');
  std::string_view field = line.substr(0, space);
  line.remove_prefix(space == std::string_view::npos ? line.size() : space + 1);
  return field;
}

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Replays a journal's lines: what is started and not done. Unreadable lines are skipped.
std::map<RunId, JournalEntry> LiveRuns(const std::string& text) {
  std::map<RunId, JournalEntry> live;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) break;   // cut short by a crash
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline + 1);
    if (line.starts_with("start ")) {
      if (Result<JournalEntry> entry = ParseJournalLine(line)) live[entry->run] = *entry;
    } else if (line.starts_with("done ")) {
      line.remove_prefix(5);
      RunId run = 0;
      if (ParseNumber(line, run)) live.erase(run);
    }
  }
  return live;
}

Result<std::vector<JournalEntry>> ReadLive(const std::string& dir) {
  std::ifstream in(dir + kFile);
  std::stringstream text;
  if (in) text << in.rdbuf();
  std::vector<JournalEntry> entries;
  for (auto& [run, entry] : LiveRuns(text.str())) entries.push_back(std::move(entry));
  return entries;
}

}  // namespace

std::string FormatJournalLine(const JournalEntry& e) {
  std::string line = "start ";
  line += std::to_string(e.run) + ' ' + std::to_string(e.epoch) + ' ' + std::to_string(e.pgid) +
          ' ' + std::to_string(e.leader_start) + ' ' + std::to_string(e.started_us) + ' ';
  line += e.log_path;   // last: it may hold spaces (a newline cannot pass the name rules)
  line += '\n';
  return line;
}

Result<JournalEntry> ParseJournalLine(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  JournalEntry e;
  std::string_view rest = line;
  const bool ok = Field(rest) == "start" && ParseNumber(Field(rest), e.run) &&
                  ParseNumber(Field(rest), e.epoch) && ParseNumber(Field(rest), e.pgid) &&
                  ParseNumber(Field(rest), e.leader_start) &&
                  ParseNumber(Field(rest), e.started_us) && e.run != 0;
  if (!ok) return MakeError("journal", "not a run journal line: \"" + std::string(line) + "\"");
  e.log_path = rest;
  return e;
}

RunJournal::~RunJournal() {
  if (fd_ >= 0) close(fd_);
}

Result<std::vector<JournalEntry>> RunJournal::Open() {
  if (int err = MakeDirs(dir_); err != 0) return JournalError("cannot create " + dir_, err);
  Result<std::vector<JournalEntry>> entries = ReadLive(dir_);
  std::lock_guard lock(mu_);
  live_.clear();
  for (const JournalEntry& e : *entries) live_[e.run] = FormatJournalLine(e);
  if (Result<Unit> rewritten = Rewrite(); !rewritten) return rewritten.error();
  return entries;
}

Result<std::vector<JournalEntry>> RunJournal::Read(const std::string& dir) { return ReadLive(dir); }

Result<Unit> RunJournal::Rewrite() {
  const std::string path = dir_ + kFile;
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return JournalError("cannot write " + tmp, errno);
  std::string text;
  for (const auto& [run, line] : live_) text += line;
  if (!WriteAll(fd, text)) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return JournalError("cannot write " + tmp, err);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return JournalError("cannot write " + path, err);
  }
  const int appender = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (appender < 0) return JournalError("cannot open " + path, errno);
  if (fd_ >= 0) close(fd_);
  fd_ = appender;
  done_lines_ = 0;
  return Unit{};
}

Result<Unit> RunJournal::Record(const JournalEntry& entry) {
  std::string line = FormatJournalLine(entry);
  std::lock_guard lock(mu_);
  if (fd_ < 0 || !WriteAll(fd_, line)) {
    return JournalError("cannot write " + dir_ + kFile, fd_ < 0 ? EBADF : errno);
  }
  live_[entry.run] = std::move(line);
  return Unit{};
}

void RunJournal::Remove(RunId run) {
  std::lock_guard lock(mu_);
  if (fd_ < 0 || live_.erase(run) == 0) return;
  WriteAll(fd_, "done " + std::to_string(run) + "\n");
  // A failed rewrite keeps the old file and its appender: the next try comes after as many lines.
  if (++done_lines_ >= kRewriteAfter) (void)Rewrite();
}

}  // namespace rota::agent
