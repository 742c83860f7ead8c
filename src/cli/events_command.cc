#include "cli/events_command.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "cli/client_output.h"
#include "core/exit_codes.h"
#include "cli/sse_parser.h"

namespace rota {
namespace {

constexpr size_t kMaxErrorBody = 64 << 10;
constexpr int kMaxFruitlessReconnects = 5;

void PrintEvent(const SseMessage& m, bool json) {
  nlohmann::json event = nlohmann::json::parse(m.data, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) {
    std::fprintf(stdout, "%s\n", m.data.c_str());  // not JSON: shown as it came
  } else if (json) {
    std::fprintf(stdout, "%s\n", event.dump().c_str());
  } else {
    std::fprintf(stdout, "%s\n", FormatEventLine(event).c_str());
  }
}

}  // namespace

int StreamEvents(ApiClient& api, const EventsOptions& o) {
  std::string since = std::to_string(o.since);
  bool connected = false;
  int fruitless = 0;
  for (;;) {
    SseParser parser;
    std::string raw;  // the start of the body, for an error reply
    bool got_events = false;
    bool closed = false;
    std::vector<std::pair<std::string, std::string>> headers;
    if (connected) headers.emplace_back("Last-Event-ID", since);
    const std::string target =
        "/v1/events?since=" + PercentEncode(since) + "&follow=" + (o.follow ? "1" : "0");
    Result<int> status = api.http().Stream(target, headers, [&](std::string_view data) {
      if (raw.size() < kMaxErrorBody) raw.append(data.substr(0, kMaxErrorBody - raw.size()));
      for (const SseMessage& m : parser.Feed(data)) {
        PrintEvent(m, o.json);
        if (!m.id.empty()) since = m.id;
        got_events = true;
      }
      if (std::fflush(stdout) != 0 || std::ferror(stdout)) closed = true;
      return !closed;
    });
    if (closed) return kExitOk;
    if (status.ok() && *status != 200) return Fail(ErrorFromReply({*status, "", raw}));
    connected = connected || got_events;   // a stream that broke after events is resumed too
    if (!status.ok() && !connected) return Fail(TransportError(status.error()));
    if (!o.follow) return status.ok() ? kExitOk : Fail(TransportError(status.error()));
    // Following: the stream ended or broke; resume after the last event seen.
    connected = true;
    fruitless = got_events ? 0 : fruitless + 1;
    if (fruitless >= kMaxFruitlessReconnects) {
      return Fail(status.ok()
                      ? MakeError("unreachable", "the event stream from " +
                                                     api.http().server().text + " keeps ending")
                      : TransportError(status.error()));
    }
    if (!got_events) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace rota
