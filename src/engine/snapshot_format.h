// The pieces of the snapshot encoding shared by engine_snapshot.cc (encode) and
// engine_snapshot_load.cc (decode). Internal to the engine.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "engine/job_state.h"
#include "sched/schedule.h"

namespace rota::snapshot_format {

// Version 2 adds the leases at the end; version 3 then time-driven work (schedules, watchdogs,
// hooks, jobs that wait for jobs). Versions 1 and 2 are still read.
constexpr uint64_t kSnapshotVersion = 3;

inline void WriteStrings(ByteWriter& w, const std::vector<std::string>& v) {
  w.U64(v.size());
  for (const std::string& s : v) w.Str(s);
}

inline std::vector<std::string> ReadStrings(ByteReader& r) {
  std::vector<std::string> v(r.Count());
  for (std::string& s : v) s = std::string(r.Str());
  return v;
}

inline void WriteAmount(ByteWriter& w, const sched::Amount& a) {
  w.Double(a.cores);
  w.I64(a.memory);
  w.I64(a.gpus);
}

inline sched::Amount ReadAmount(ByteReader& r) {
  sched::Amount a;
  a.cores = r.Double();
  a.memory = r.I64();
  a.gpus = static_cast<int>(r.I64());
  return a;
}

template <class Map>
inline std::vector<typename Map::const_iterator> Sorted(const Map& map) {
  std::vector<typename Map::const_iterator> out;
  out.reserve(map.size());
  for (auto it = map.begin(); it != map.end(); ++it) out.push_back(it);
  std::sort(out.begin(), out.end(), [](auto a, auto b) { return a->first < b->first; });
  return out;
}

inline void WriteInstance(ByteWriter& w, const InstanceState& inst) {
  w.U64(static_cast<uint64_t>(inst.status));
  w.U64(inst.attempts);
  w.U64(inst.preemptions);
  w.U64(inst.unmet);
  w.U64(inst.run);
  w.Bool(inst.unneeded);
  w.I64(inst.exit_code);
  w.Str(inst.reason);
}

// `b` continues a group that `a` started `k` instances before: the same state, and a run id k
// above (instances placed in order) or both none.
inline bool Continues(const InstanceState& a, const InstanceState& b, uint64_t k) {
  return a.status == b.status && a.attempts == b.attempts && a.preemptions == b.preemptions &&
         a.unmet == b.unmet && (a.run == 0 ? b.run == 0 : b.run == a.run + k) &&
         a.unneeded == b.unneeded && a.exit_code == b.exit_code && a.reason == b.reason;
}

// A line as runs of consecutive refs (a big job's frames were made ready in order).
inline void WriteLine(ByteWriter& w, const std::vector<uint64_t>& line) {
  size_t runs = 0;
  for (size_t i = 0; i < line.size(); ++i) runs += i == 0 || line[i] != line[i - 1] + 1;
  w.U64(runs);
  for (size_t i = 0; i < line.size();) {
    size_t end = i + 1;
    while (end < line.size() && line[end] == line[end - 1] + 1) ++end;
    w.U64(line[i]);
    w.U64(end - i);
    i = end;
  }
}

inline void ReadInstance(ByteReader& r, InstanceState& inst) {
  inst.status = static_cast<InstanceStatus>(std::min<uint64_t>(r.U64(), 7));
  inst.attempts = static_cast<uint16_t>(r.U64());
  inst.preemptions = static_cast<uint16_t>(r.U64());
  inst.unmet = static_cast<uint32_t>(r.U64());
  inst.run = r.U64();
  inst.unneeded = r.Bool();
  inst.exit_code = static_cast<int>(r.I64());
  inst.reason = std::string(r.Str());
}


}  // namespace rota::snapshot_format
