#include "core/frame_set.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <limits>
#include <optional>

#include "core/quote.h"

namespace rota {
namespace {

enum class Kind { kSingle, kStep, kInverseStep, kInterleave };

// One section, validated and counted but not expanded, so that the whole set can be refused for
// size before a single frame is allocated.
struct Section {
  Kind kind = Kind::kSingle;
  int64_t start = 0;
  int64_t end = 0;
  int64_t step = 1;  // Signed, and pointing from start to end.
  int64_t count = 1;
};

struct Number {
  int64_t value;
  std::string_view text;
};

// Reads "-?[0-9]+" from a section. Values saturate just past the 32-bit range, so a long run of
// digits is reported as out of range instead of wrapping around.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  std::optional<Number> TakeNumber() {
    constexpr int64_t kSaturated = int64_t{1} << 40;
    size_t begin = pos_;
    bool negative = Take('-');
    int64_t value = 0;
    size_t digits_begin = pos_;
    while (Peek() >= '0' && Peek() <= '9') {
      value = std::min(value * 10 + (Peek() - '0'), kSaturated);
      ++pos_;
    }
    if (pos_ == digits_begin) {
      pos_ = begin;
      return std::nullopt;
    }
    return Number{negative ? -value : value, text_.substr(begin, pos_ - begin)};
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};


Error SectionError(std::string reason, std::string_view section) {
  return MakeError("invalid_frames", std::move(reason) + " in section " + Quote(section));
}

bool InFrameRange(int64_t v) {
  return v >= std::numeric_limits<Frame>::min() && v <= std::numeric_limits<Frame>::max();
}

// Checks the step against the range's direction and counts the frames, following OpenCue except
// where frame_set.h says otherwise.
Result<Section> MakeStepped(Kind kind, int64_t start, int64_t end, int64_t step,
                            std::string_view text) {
  if (step == 0) return SectionError("step 0", text);
  if (end < start && step > 1) {
    return SectionError("positive step " + std::to_string(step) + " on a descending range", text);
  }
  if (end > start && step < 0) {
    return SectionError("negative step " + std::to_string(step) + " on an ascending range", text);
  }
  if (end < start && step == 1) step = -1;
  int64_t span = std::abs(end - start);
  int64_t stride = std::abs(step);
  int64_t count = 0;
  switch (kind) {
    case Kind::kStep:
      count = span / stride + 1;
      break;
    case Kind::kInverseStep:
      count = span - span / stride;
      break;
    case Kind::kInterleave:
      count = span + 1;
      break;
    case Kind::kSingle:
      assert(false);
      break;
  }
  if (count == 0) return SectionError("no frames selected", text);
  return Section{kind, start, end, step, count};
}

Result<Section> ParseSection(std::string_view text) {
  auto unrecognised = [text] {
    return SectionError("unrecognised syntax (expected N, A-B, A-BxS, A-ByS or A-B:S)", text);
  };
  Scanner scan(text);
  std::optional<Number> start = scan.TakeNumber();
  if (!start) return unrecognised();
  std::optional<Number> end;
  std::optional<Number> step;
  char op = 'x';
  if (!scan.AtEnd()) {
    if (!scan.Take('-') || !(end = scan.TakeNumber())) return unrecognised();
    if (!scan.AtEnd()) {
      op = scan.Peek();
      if ((op != 'x' && op != 'y' && op != ':') || !scan.Take(op)) return unrecognised();
      if (!(step = scan.TakeNumber()) || !scan.AtEnd()) return unrecognised();
    }
  }
  for (const std::optional<Number>& n : {start, end, step}) {
    if (n && !InFrameRange(n->value)) {
      return SectionError("number " + std::string(n->text) + " out of 32-bit range", text);
    }
  }
  if (!end) return Section{Kind::kSingle, start->value, start->value, 1, 1};
  Kind kind = op == 'y' ? Kind::kInverseStep : op == ':' ? Kind::kInterleave : Kind::kStep;
  return MakeStepped(kind, start->value, end->value, step ? step->value : 1, text);
}

void Expand(const Section& s, std::vector<Frame>& out) {
  int64_t direction = s.end < s.start ? -1 : 1;
  int64_t span = std::abs(s.end - s.start);
  int64_t stride = std::abs(s.step);
  switch (s.kind) {
    case Kind::kSingle:
      out.push_back(static_cast<Frame>(s.start));
      break;
    case Kind::kStep:
      for (int64_t i = 0; i < s.count; ++i) out.push_back(static_cast<Frame>(s.start + i * s.step));
      break;
    case Kind::kInverseStep:
      for (int64_t k = 0; k <= span; ++k) {
        if (k % stride != 0) out.push_back(static_cast<Frame>(s.start + direction * k));
      }
      break;
    case Kind::kInterleave: {
      // One bit per frame of the range (at most kMaxFramesPerSet) instead of OpenCue's hash set.
      std::vector<bool> seen(static_cast<size_t>(span + 1));
      for (int64_t pass = stride; pass > 0; pass /= 2) {
        for (int64_t k = 0; k <= span; k += pass) {
          if (seen[k]) continue;
          seen[k] = true;
          out.push_back(static_cast<Frame>(s.start + direction * k));
        }
      }
      break;
    }
  }
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

Result<std::vector<Section>> ParseSections(std::string_view expr) {
  if (Trim(expr).empty()) return MakeError("invalid_frames", "empty expression");
  std::vector<Section> sections;
  int64_t total = 0;
  size_t begin = 0;
  for (int index = 1;; ++index) {
    size_t comma = std::min(expr.find(',', begin), expr.size());
    std::string_view text = Trim(expr.substr(begin, comma - begin));
    if (text.empty()) {
      return MakeError("invalid_frames",
                       "section " + std::to_string(index) + " is empty (a stray comma?)");
    }
    Result<Section> section = ParseSection(text);
    if (!section.ok()) return section.error();
    total += section->count;
    if (total > kMaxFramesPerSet) {
      return MakeError("invalid_frames", "more than " + std::to_string(kMaxFramesPerSet) +
                                             " frames (section " + Quote(text) +
                                             " brings the total to " + std::to_string(total) + ")");
    }
    sections.push_back(*section);
    if (comma == expr.size()) break;
    begin = comma + 1;
  }
  return sections;
}

void AppendRun(std::string& out, Frame first, Frame last, int64_t step) {
  if (!out.empty()) out += ',';
  out += std::to_string(first);
  if (first == last) return;
  out += '-';
  out += std::to_string(last);
  if (step != 1 && step != -1) {
    out += 'x';
    out += std::to_string(step);
  }
}

}  // namespace

Result<std::vector<Frame>> ParseFrameSet(std::string_view expr) {
  Result<std::vector<Section>> sections = ParseSections(expr);
  if (!sections.ok()) {
    return MakeError("invalid_frames",
                     "invalid frame set " + Quote(expr) + ": " + sections.error().message);
  }
  int64_t total = 0;
  for (const Section& s : *sections) total += s.count;
  std::vector<Frame> frames;
  frames.reserve(static_cast<size_t>(total));
  for (const Section& s : *sections) Expand(s, frames);
  return frames;
}

std::string FormatFrames(std::span<const Frame> frames) {
  std::string out;
  size_t n = frames.size();
  size_t i = 0;
  while (i < n) {
    // Differences in 64 bits: two 32-bit frames can be more than INT32_MAX apart.
    auto step_at = [&](size_t k) { return int64_t{frames[k + 1]} - frames[k]; };
    size_t last = i;
    int64_t step = 0;
    if (i + 2 < n && step_at(i) != 0 && step_at(i + 1) == step_at(i)) {
      step = step_at(i);
      last = i + 2;
      while (last + 1 < n && step_at(last) == step) ++last;
    } else if (i + 1 < n && std::abs(step_at(i)) == 1) {
      step = step_at(i);
      last = i + 1;
    }
    AppendRun(out, frames[i], frames[last], step);
    i = last + 1;
  }
  return out;
}

std::vector<std::span<const Frame>> ChunkFrames(std::span<const Frame> frames, int chunk) {
  assert(chunk >= 1);
  size_t size = static_cast<size_t>(std::max(chunk, 1));
  std::vector<std::span<const Frame>> chunks;
  chunks.reserve((frames.size() + size - 1) / size);
  for (size_t i = 0; i < frames.size(); i += size) {
    chunks.push_back(frames.subspan(i, std::min(size, frames.size() - i)));
  }
  return chunks;
}

}  // namespace rota
