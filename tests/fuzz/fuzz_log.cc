// libFuzzer target for what a restart reads back from the store: bytes as a log entry
// (DecodeChange) and as a snapshot (Engine::LoadSnapshot). Neither may crash, hang or allocate
// without bound on any input; a change that decodes must encode to bytes that decode to the same
// encoding; a snapshot that loads must encode to exactly the bytes it was read from, or to bytes
// that load again to the same encoding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/change.h"
#include "engine/engine.h"
#include "engine/null_ports.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_log: %s\n", what);
  std::abort();
}

std::string LoadAndEncode(std::string_view bytes, bool& loaded) {
  rota::SystemClock clock;
  rota::NullLauncher launcher;
  rota::NullEventSink events;
  rota::EngineOptions options;
  options.placement = true;
  rota::Engine engine(clock, launcher, events, options);
  engine.BeginReplay();
  loaded = engine.LoadSnapshot(bytes).ok();
  return loaded ? engine.EncodeSnapshot() : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  rota::Result<rota::Change> change = rota::DecodeChange(bytes);
  if (change.ok()) {
    const std::string again = rota::EncodeChange(*change);
    rota::Result<rota::Change> twice = rota::DecodeChange(again);
    if (!twice.ok() || rota::EncodeChange(*twice) != again) Fail("a decoded change does not encode stably");
  } else if (change.error().code != "bad_change") {
    Fail("wrong error code for a change");
  }
  bool loaded = false;
  const std::string encoded = LoadAndEncode(bytes, loaded);
  if (loaded) {
    bool again = false;
    if (LoadAndEncode(encoded, again) != encoded || !again) Fail("a loaded snapshot does not encode stably");
  }
  return 0;
}
