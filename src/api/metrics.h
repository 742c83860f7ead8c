// Prometheus text exposition helpers: a fixed-bucket histogram (thread-safe) and the line format.
// The server keeps one for HTTP latency (written on the io thread) and one for scheduling cycles
// (written on the loop thread); /metrics reads both.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace rota {

class Histogram {
 public:
  // Seconds: 100 us .. 10 s.
  static constexpr std::array<double, 12> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                     0.01,   0.025,   0.05,   0.1,   1,      10};
  void Observe(const std::string& labels, double seconds);
  // Appends `name_bucket{labels,le=..}`, `name_sum`, `name_count` lines for every label set.
  void Render(const std::string& name, const std::string& help, std::string& out) const;

 private:
  struct Series {
    std::array<uint64_t, kBounds.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Series> series_;  // GUARDED_BY(mu_), by label text (`method="GET",...`)
};

// `# HELP` and `# TYPE` lines.
void MetricHeader(const std::string& name, const std::string& type, const std::string& help,
                  std::string& out);
// `name{labels} value`
void MetricLine(const std::string& name, const std::string& labels, double value, std::string& out);

}  // namespace rota
