#include "api/metrics.h"

#include <cstdio>

namespace rota {

namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string Join(const std::string& labels, const std::string& more) {
  if (labels.empty()) return more;
  return labels + "," + more;
}

}  // namespace

void Histogram::Observe(const std::string& labels, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = series_[labels];
  for (size_t b = 0; b < kBounds.size(); ++b) {
    if (seconds <= kBounds[b]) ++s.buckets[b];
  }
  ++s.count;
  s.sum += seconds;
}

void Histogram::Render(const std::string& name, const std::string& help, std::string& out) const {
  MetricHeader(name, "histogram", help, out);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [labels, s] : series_) {
    for (size_t b = 0; b < kBounds.size(); ++b) {
      MetricLine(name + "_bucket", Join(labels, "le=\"" + Number(kBounds[b]) + "\""),
                 static_cast<double>(s.buckets[b]), out);
    }
    MetricLine(name + "_bucket", Join(labels, "le=\"+Inf\""), static_cast<double>(s.count), out);
    MetricLine(name + "_sum", labels, s.sum, out);
    MetricLine(name + "_count", labels, static_cast<double>(s.count), out);
  }
}

void MetricHeader(const std::string& name, const std::string& type, const std::string& help,
                  std::string& out) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void MetricLine(const std::string& name, const std::string& labels, double value,
                std::string& out) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += " " + Number(value) + "\n";
}

}  // namespace rota
