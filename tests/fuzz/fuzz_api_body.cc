// libFuzzer target: any bytes as the body of every API request that carries one (agent register,
// heartbeat, status reports, config, a submitted spec). The first byte picks the decoder; nothing
// may crash, hang, leak or throw, and a success must hold values within the documented ranges.
// Seeds: tests/fuzz/corpus/fuzz_api_body/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/api_codec.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto r = rota::DecodeRegistration(body);
      if (r.ok()) {
        Check(rota::IsValidName(r->name));
        Check(r->total.cores >= 0 && r->total.memory >= 0 && r->total.gpus >= 0);
      } else {
        Check(r.error().code == "bad_request" && !r.error().message.empty());
      }
      break;
    }
    case 1: (void)rota::DecodeHeartbeat(body); break;
    case 2: (void)rota::DecodeReports(body); break;
    case 3: (void)rota::DecodeReport(body, 7); break;
    case 4: (void)rota::DecodeConfig(body); break;
    default: {
      auto r = rota::DecodeSpec(body, "fuzz.yaml");
      if (!r.ok()) Check(r.error().code == "invalid_spec" && !r.error().message.empty());
      break;
    }
  }
  return 0;
}
