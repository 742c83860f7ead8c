#include "agent/run_journal.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "exec/run_output.h"

namespace rota::agent {
namespace {

constexpr const char* kFile = "/journal";
// The first slot: what the file is. A journal that does not start with it is of the older kind.
constexpr std::string_view kHeader = "rota run journal: one run per 1024-byte line, '-' marks a free one";
constexpr size_t kInitialSlots = 64;
constexpr char kUsed = 's';   // the first letter of "start", written last
constexpr char kFree = '-';

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

// `line` (newline included) as one slot: padded with spaces, newline last, and its first byte
// (which marks a slot used) written after the rest. False when it does not fit.
bool FillSlot(std::string_view line, char* slot) {
  if (line.size() > RunJournal::kSlot || line.size() < 2) return false;
  std::memcpy(slot + 1, line.data() + 1, line.size() - 2);
  std::memset(slot + line.size() - 1, ' ', RunJournal::kSlot - line.size());
  slot[RunJournal::kSlot - 1] = '\n';
  // A process killed here leaves a slot that is not marked: stores reach the page cache in
  // program order (x86), and this keeps the compiler from reordering them.
  std::atomic_signal_fence(std::memory_order_seq_cst);
  slot[0] = line[0];
  return true;
}

// What the older journal's lines say is started and not done. Unreadable lines are skipped.
void ReadLines(std::string_view rest, std::map<RunId, JournalEntry>& live) {
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
}

// The slots marked used. A slot being filled when the agent died is not marked yet.
void ReadSlots(std::string_view text, std::map<RunId, JournalEntry>& live) {
  for (size_t at = RunJournal::kSlot; at + RunJournal::kSlot <= text.size(); at += RunJournal::kSlot) {
    if (text[at] != kUsed) continue;
    if (Result<JournalEntry> entry = ParseJournalLine(text.substr(at, RunJournal::kSlot))) {
      live[entry->run] = *entry;
    }
  }
}

Result<std::vector<JournalEntry>> ReadLive(const std::string& dir) {
  std::ifstream in(dir + kFile, std::ios::binary);
  std::stringstream buffer;
  if (in) buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::map<RunId, JournalEntry> live;
  if (text.starts_with(kHeader)) {
    ReadSlots(text, live);
  } else {
    ReadLines(text, live);
  }
  std::vector<JournalEntry> entries;
  for (auto& [run, entry] : live) entries.push_back(std::move(entry));
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
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
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
  Unmap();
  if (fd_ >= 0) close(fd_);
}

void RunJournal::Unmap() {
  if (map_ != nullptr) munmap(map_, (slots_ + 1) * kSlot);
  map_ = nullptr;
}

Result<std::vector<JournalEntry>> RunJournal::Open() {
  if (int err = MakeDirs(dir_); err != 0) return JournalError("cannot create " + dir_, err);
  Result<std::vector<JournalEntry>> entries = ReadLive(dir_);
  // Afresh: the header and the live runs, written whole under another name, then renamed.
  const std::string path = dir_ + kFile;
  const std::string tmp = path + ".tmp";
  const size_t slots = std::max(kInitialSlots, 2 * entries->size());
  std::string text(kSlot * (slots + 1), '\0');
  FillSlot(std::string(kHeader) + "\n", text.data());
  std::vector<std::pair<RunId, size_t>> used;
  for (size_t i = 0; i < entries->size(); ++i) {
    char* slot = text.data() + kSlot * (i + 1);
    if (FillSlot(FormatJournalLine((*entries)[i]), slot)) {
      used.emplace_back((*entries)[i].run, i + 1);
    } else {   // a log path too long for a slot: keep the run, not its log
      JournalEntry shorter = (*entries)[i];
      shorter.log_path.clear();
      FillSlot(FormatJournalLine(shorter), slot);
      used.emplace_back(shorter.run, i + 1);
    }
  }
  const int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return JournalError("cannot write " + tmp, errno);
  if (!WriteAll(fd, text) || rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return JournalError("cannot write " + path, err);
  }
  std::lock_guard lock(mu_);
  Unmap();
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  slots_ = 0;
  if (Result<Unit> mapped = Map(slots); !mapped) return mapped.error();
  slot_of_.clear();
  for (const auto& [run, slot] : used) slot_of_[run] = slot;
  free_.clear();
  for (size_t slot = slots; slot > used.size(); --slot) free_.push_back(slot);
  return entries;
}

Result<std::vector<JournalEntry>> RunJournal::Read(const std::string& dir) { return ReadLive(dir); }

Result<Unit> RunJournal::Map(size_t slots) {
  const size_t bytes = (slots + 1) * kSlot;
  if (ftruncate(fd_, static_cast<off_t>(bytes)) != 0) return JournalError("cannot grow " + dir_ + kFile, errno);
  void* map = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (map == MAP_FAILED) return JournalError("cannot map " + dir_ + kFile, errno);
  Unmap();
  map_ = static_cast<char*>(map);
  slots_ = slots;
  return Unit{};
}

Result<Unit> RunJournal::Record(const JournalEntry& entry) {
  std::string line = FormatJournalLine(entry);
  if (line.size() > kSlot) {   // keep the run, not its log
    JournalEntry shorter = entry;
    shorter.log_path.clear();
    line = FormatJournalLine(shorter);
  }
  std::lock_guard lock(mu_);
  if (map_ == nullptr) return JournalError("cannot write " + dir_ + kFile, EBADF);
  if (auto it = slot_of_.find(entry.run); it != slot_of_.end()) {   // recorded again: same slot
    map_[it->second * kSlot] = kFree;
    free_.push_back(it->second);
    slot_of_.erase(it);
  }
  if (free_.empty()) {
    const size_t old = slots_;
    if (Result<Unit> grown = Map(2 * old); !grown) return grown;
    for (size_t slot = slots_; slot > old; --slot) free_.push_back(slot);
  }
  const size_t slot = free_.back();
  free_.pop_back();
  FillSlot(line, map_ + slot * kSlot);   // a free slot starts with '-' (or 0): marked last
  slot_of_[entry.run] = slot;
  return Unit{};
}

void RunJournal::Remove(RunId run) {
  std::lock_guard lock(mu_);
  auto it = slot_of_.find(run);
  if (it == slot_of_.end() || map_ == nullptr) return;
  map_[it->second * kSlot] = kFree;
  free_.push_back(it->second);
  slot_of_.erase(it);
}

}  // namespace rota::agent
