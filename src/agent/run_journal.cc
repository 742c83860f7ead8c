#include "agent/run_journal.h"

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "exec/run_output.h"

namespace rota::agent {
namespace {

constexpr std::string_view kSuffix = ".run";

Error JournalError(const std::string& what, int err) {
  return MakeError("journal", what + ": " + std::generic_category().message(err));
}

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string FormatJournalEntry(const JournalEntry& e) {
  std::ostringstream out;
  out << "run " << e.run << "\nepoch " << e.epoch << "\npgid " << e.pgid << "\nleader_start "
      << e.leader_start << "\nstarted_us " << e.started_us << "\nlog " << e.log_path << "\n";
  return out.str();
}

Result<JournalEntry> ParseJournalEntry(const std::string& text) {
  JournalEntry e;
  std::istringstream in(text);
  std::string line;
  bool ok = true;
  while (ok && std::getline(in, line)) {
    const size_t space = line.find(' ');
    const std::string_view key = std::string_view(line).substr(0, space);
    const std::string_view value =
        space == std::string::npos ? "" : std::string_view(line).substr(space + 1);
    if (key == "run") {
      ok = ParseNumber(value, e.run);
    } else if (key == "epoch") {
      ok = ParseNumber(value, e.epoch);
    } else if (key == "pgid") {
      ok = ParseNumber(value, e.pgid);
    } else if (key == "leader_start") {
      ok = ParseNumber(value, e.leader_start);
    } else if (key == "started_us") {
      ok = ParseNumber(value, e.started_us);
    } else if (key == "log") {
      e.log_path = value;
    }  // other keys are skipped: a newer agent may write more
  }
  if (!ok || e.run == 0) return MakeError("journal", "not a run journal entry: \"" + text + "\"");
  return e;
}

std::string RunJournal::PathOf(RunId run) const {
  return dir_ + "/" + std::to_string(run) + std::string(kSuffix);
}

Result<std::vector<JournalEntry>> RunJournal::Open() {
  if (int err = MakeDirs(dir_); err != 0) return JournalError("cannot create " + dir_, err);
  DIR* dir = opendir(dir_.c_str());
  if (dir == nullptr) return JournalError("cannot read " + dir_, errno);
  std::vector<JournalEntry> entries;
  while (const dirent* d = readdir(dir)) {
    const std::string name = d->d_name;
    if (name.ends_with(".tmp")) unlink((dir_ + "/" + name).c_str());  // a write cut short
    if (!name.ends_with(kSuffix)) continue;
    std::ifstream in(dir_ + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    if (Result<JournalEntry> entry = ParseJournalEntry(text.str())) entries.push_back(*entry);
  }
  closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const JournalEntry& a, const JournalEntry& b) { return a.run < b.run; });
  return entries;
}

Result<Unit> RunJournal::Record(const JournalEntry& entry) {
  const std::string path = PathOf(entry.run);
  const std::string tmp = path + ".tmp";
  const std::string text = FormatJournalEntry(entry);
  FILE* file = fopen(tmp.c_str(), "we");
  if (file == nullptr) return JournalError("cannot write " + tmp, errno);
  const bool written = fwrite(text.data(), 1, text.size(), file) == text.size();
  const int err = errno;
  if (fclose(file) != 0 || !written) {
    unlink(tmp.c_str());
    return JournalError("cannot write " + tmp, written ? errno : err);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    unlink(tmp.c_str());
    return JournalError("cannot write " + path, rename_err);
  }
  return Unit{};
}

void RunJournal::Remove(RunId run) { unlink(PathOf(run).c_str()); }

}  // namespace rota::agent
