// submit_latency: how long `POST /v1/jobs` takes, one request at a time over one keep-alive
// connection (what `rota submit` in a loop would see, minus its process start-up).
//
// Usage: submit_latency URL [jobs=1000] [tasks=10]
// Submits `jobs` jobs of `tasks` independent `true` tasks each (a YAML body), times each request
// from send to the whole reply read, and prints p50/p90/p99/max in ms and submissions/s. Every
// reply must be 201; any other status or a transport error ends the run with exit code 1.
// Run it against a server with agents (`--no-exec` is fine) so the submitted jobs also complete.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/http_client.h"

namespace {

// The spec of job `index`: `tasks` independent tasks running `true`.
std::string SpecText(int index, int tasks) {
  std::string out = "name: lat-" + std::to_string(index) + "\ntasks:\n";
  for (int t = 0; t < tasks; ++t) {
    out += "  - {name: t" + std::to_string(t) + ", command: \"true\"}\n";
  }
  return out;
}

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

bool ParsePositive(const char* text, int& out) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value <= 0 || value > 100000000) return false;
  out = static_cast<int>(value);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: submit_latency URL [jobs=1000] [tasks=10]\n");
    return 2;
  }
  int jobs = 1000, tasks = 10;
  if ((argc > 2 && !ParsePositive(argv[2], jobs)) || (argc > 3 && !ParsePositive(argv[3], tasks))) {
    std::fprintf(stderr, "submit_latency: jobs and tasks must be positive integers\n");
    return 2;
  }
  rota::Result<rota::ServerUrl> url = rota::ParseServerUrl(argv[1]);
  if (!url) {
    std::fprintf(stderr, "submit_latency: %s\n", url.error().message.c_str());
    return 2;
  }
  rota::HttpClient client(*url);

  // Bodies are built before the clock starts: only the request is timed.
  std::vector<std::string> bodies;
  bodies.reserve(static_cast<size_t>(jobs));
  for (int j = 0; j < jobs; ++j) bodies.push_back(SpecText(j, tasks));

  std::vector<double> ms;
  ms.reserve(bodies.size());
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  for (size_t j = 0; j < bodies.size(); ++j) {
    const Clock::time_point t0 = Clock::now();
    rota::Result<rota::HttpReply> reply =
        client.Request("POST", "/v1/jobs?source=submit_latency.yaml", bodies[j], "application/yaml");
    const Clock::time_point t1 = Clock::now();
    if (!reply) {
      std::fprintf(stderr, "submit_latency: request %zu: %s\n", j + 1, reply.error().message.c_str());
      return 1;
    }
    if (reply->status != 201) {
      std::fprintf(stderr, "submit_latency: request %zu: status %d: %s\n", j + 1, reply->status,
                   reply->body.c_str());
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : ms) sum += v;
  std::printf("submit_latency: %d jobs x %d tasks, one keep-alive connection, %s\n", jobs, tasks,
              url->text.c_str());
  std::printf("submit latency ms: p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f\n",
              Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99),
              sorted.back(), sum / static_cast<double>(ms.size()));
  std::printf("submit rate: %.0f submissions/s (%.0f tasks/s submitted), wall %.3f s\n",
              static_cast<double>(jobs) / wall, static_cast<double>(jobs) * tasks / wall, wall);
  return 0;
}
