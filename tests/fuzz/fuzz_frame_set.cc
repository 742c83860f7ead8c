// libFuzzer target: any text that ParseFrameSet accepts must print back (FormatFrames) to text that
// parses to exactly the same frames, and ChunkFrames must cover those frames in order.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/frame_set.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view expr, const std::string& detail) {
  std::fprintf(stderr, "fuzz_frame_set: %s\n  input: \"%.*s\"\n  %s\n", what,
               static_cast<int>(expr.size()), expr.data(), detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view expr(reinterpret_cast<const char*>(data), size);
  rota::Result<std::vector<rota::Frame>> frames = rota::ParseFrameSet(expr);
  if (!frames.ok()) {
    if (frames.error().code != "invalid_frames")
      Fail("wrong error code", expr, frames.error().code);
    return 0;
  }
  if (frames->empty()) Fail("parsed to no frames", expr, "");
  if (static_cast<int64_t>(frames->size()) > rota::kMaxFramesPerSet) {
    Fail("more frames than the limit", expr, std::to_string(frames->size()));
  }

  std::string text = rota::FormatFrames(*frames);
  rota::Result<std::vector<rota::Frame>> back = rota::ParseFrameSet(text);
  if (!back.ok()) Fail("formatted text does not parse", expr, back.error().message);
  if (*back != *frames) Fail("round trip changed the frames", expr, "formatted: " + text);

  // The chunk size comes from the input too, so that every size gets its turn.
  int chunk = 1 + static_cast<int>(size % 17);
  size_t covered = 0;
  std::vector<std::span<const rota::Frame>> chunks = rota::ChunkFrames(*frames, chunk);
  for (size_t i = 0; i < chunks.size(); ++i) {
    const std::span<const rota::Frame>& c = chunks[i];
    bool last = i + 1 == chunks.size();
    if (c.empty() || c.size() > static_cast<size_t>(chunk) ||
        (!last && c.size() != static_cast<size_t>(chunk)) || c.data() != frames->data() + covered) {
      Fail("chunk out of place", expr, "chunk " + std::to_string(i));
    }
    covered += c.size();
  }
  if (covered != frames->size()) Fail("chunks do not cover the frames", expr, "");
  return 0;
}
