// libFuzzer target: any bytes as the body of every API request that carries one (agent register,
// heartbeat, status reports, config, a submitted spec). The first byte picks the decoder; nothing
// may crash, hang, leak or throw, and a success must hold values within the documented ranges.
// Seeds: tests/fuzz/corpus/fuzz_api_body/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/api_codec.h"
#include "sched/sched_config.h"

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
    case 4: {   // a PUT /v1/config body, then the settings it carries, as the server applies them
      auto values = rota::DecodeConfig(body);
      if (!values.ok()) break;
      rota::sched::SchedConfig config;
      const rota::sched::SchedConfig before = config;
      const std::string problem = rota::sched::ApplySettings(config, *values);
      if (!problem.empty()) {   // all or nothing
        Check(config.policy == before.policy && config.async == before.async &&
              config.preemption == before.preemption && config.half_life == before.half_life &&
              config.queues.empty() && config.pools.empty() && config.excluded_queues.empty() &&
              config.excluded_pools.empty());
      }
      break;
    }
    default: {
      auto r = rota::DecodeSpec(body, "fuzz.yaml");
      if (!r.ok()) Check(r.error().code == "invalid_spec" && !r.error().message.empty());
      break;
    }
  }
  return 0;
}
