// libFuzzer target: any bytes as the body of every API request that carries one (agent register,
// heartbeat, status reports and work requests, config, a submitted spec, a schedule, watchdog or
// hook definition). The first byte picks the
// decoder; nothing may crash, hang, leak or throw, a success must hold values within the
// documented ranges, and what an agent message decodes to must encode to text that decodes to the
// same again.
// Seeds: tests/fuzz/corpus/fuzz_api_body/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/api_codec.h"
#include "engine/periodic_defs.h"
#include "core/names.h"
#include "sched/sched_config.h"
#include "wire/agent_codec.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0: {
      auto r = rota::wire::DecodeRegistration(body);
      if (r.ok()) {
        Check(rota::IsValidName(r->name));
        Check(r->cores >= 0 && r->memory >= 0 && r->gpus >= 0);
        auto again = rota::wire::DecodeRegistration(rota::wire::EncodeRegistration(*r));
        Check(again.ok() && again->name == r->name && again->cores == r->cores &&
              again->memory == r->memory && again->tags == r->tags && again->running == r->running);
      } else {
        Check(r.error().code == "bad_request" && !r.error().message.empty());
      }
      break;
    }
    case 1: {
      auto running = rota::wire::DecodeHeartbeat(body);
      if (running.ok()) Check(*rota::wire::DecodeHeartbeat(rota::wire::EncodeHeartbeat(*running)) == *running);
      break;
    }
    case 2: {
      auto reports = rota::wire::DecodeReports(body);
      if (!reports.ok()) break;
      auto again = rota::wire::DecodeReports(rota::wire::EncodeReports(*reports));
      Check(again.ok() && again->size() == reports->size());
      for (size_t i = 0; i < reports->size(); ++i) {
        Check((*again)[i].run == (*reports)[i].run && (*again)[i].lost == (*reports)[i].lost &&
              (*again)[i].exit_code == (*reports)[i].exit_code);
      }
      break;
    }
    case 3: (void)rota::wire::DecodeReport(body, 7); break;
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
    // POST /v1/schedules, /v1/expectations, /v1/hooks: a definition that parses is kept as its
    // canonical text, which must parse again to the same text (a log entry that could not be read
    // back would stop every restart).
    case 6: {
      auto def = rota::ParseScheduleDef(body);
      if (!def.ok()) {
        Check(!def.error().message.empty());
        break;
      }
      const std::string text = rota::ScheduleDefJson(*def);
      auto again = rota::ParseScheduleDef(text);
      Check(again.ok() && rota::ScheduleDefJson(*again) == text);
      break;
    }
    case 7: {
      auto def = rota::ParseExpectationDef(body);
      if (!def.ok()) break;
      const std::string text = rota::ExpectationDefJson(*def);
      auto again = rota::ParseExpectationDef(text);
      Check(again.ok() && rota::ExpectationDefJson(*again) == text);
      break;
    }
    case 8: {
      auto def = rota::ParseHookDef(body);
      if (!def.ok()) break;
      const std::string text = rota::HookDefJson(*def);
      auto again = rota::ParseHookDef(text);
      Check(again.ok() && rota::HookDefJson(*again) == text);
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
