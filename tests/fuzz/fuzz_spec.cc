// libFuzzer target: any bytes through ParseSpec and, when they parse, ValidateJob and the task
// graph. Nothing may crash, hang, leak or throw. Seeds: tests/fuzz/corpus/fuzz_spec/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/dag.h"
#include "core/validate.h"
#include "spec/spec_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rota::ParsedSpec spec = rota::ParseSpec(text, "fuzz.yaml");
  if (!spec.ok()) return 0;
  rota::ValidateOptions options;
  options.given_signals = {"hub/ready"};
  options.default_max_workers = 4;
  (void)rota::ValidateJob(spec.job, options);
  const rota::TaskGraph graph = rota::BuildTaskGraph(spec.job);
  (void)rota::TopologicalOrder(graph);
  for (const auto& cycle : rota::FindCycles(graph)) (void)rota::FormatCycle(spec.job, cycle);
  return 0;
}
