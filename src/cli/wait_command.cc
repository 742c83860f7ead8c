#include "cli/wait_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "cli/client_output.h"
#include "core/exit_codes.h"

namespace rota {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool Terminal(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled";
}

std::string Elapsed(Clock::duration d) {
  const long s = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// One line redrawn in place on a terminal; nothing at all otherwise.
class LiveLine {
 public:
  LiveLine(std::FILE* out, bool tty) : out_(out), tty_(tty) {}
  void Show(const std::string& text) {
    if (!tty_) return;
    std::fprintf(out_, "\r\033[K%s", text.c_str());
    std::fflush(out_);
    shown_ = true;
  }
  void Clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", out_);
    shown_ = false;
  }

 private:
  std::FILE* out_;
  bool tty_;
  bool shown_ = false;
};

}  // namespace

WaitEnd JudgeWaitEnd(const nlohmann::json& summary, const std::string& until) {
  const std::string state = JsonString(summary, "state");
  const bool ok =
      until == "started" ? state != "failed" && state != "cancelled" : state == "succeeded";
  return {ok ? kExitOk : kExitFailed, FormatJobLine(summary)};
}

int WaitForJob(ApiClient& api, const WaitOptions& o) {
  const bool tty = isatty(fileno(o.out)) != 0;
  const milliseconds longest = tty ? milliseconds(1000) : milliseconds(30000);
  const Clock::time_point start = Clock::now();
  const std::string target = "/v1/jobs/" + PercentEncode(o.job) + "/wait?until=" + o.until;
  LiveLine live(o.out, tty);
  for (;;) {
    milliseconds poll = longest;
    if (o.timeout) {
      const auto left = start + *o.timeout - Clock::now();
      poll = std::clamp(std::chrono::ceil<milliseconds>(left), milliseconds(0), longest);
    }
    ApiRequest request;
    request.target = target + "&timeout=" + FormatDuration(poll);
    request.timeout = poll + std::chrono::seconds(30);
    request.not_found = "no job " + o.job;
    const Clock::time_point asked = Clock::now();
    Result<nlohmann::json> reply = api.SendJson(request);
    if (!reply.ok()) {
      live.Clear();
      return Fail(reply.error());
    }
    const nlohmann::json job =
        reply->is_object() && reply->contains("job") ? (*reply)["job"] : nlohmann::json();
    const bool reached = reply->is_object() && reply->contains("reached") &&
                         (*reply)["reached"].is_boolean() && (*reply)["reached"].get<bool>();
    if (reached || Terminal(JsonString(job, "state"))) {
      live.Clear();
      WaitEnd end = JudgeWaitEnd(job, o.until);
      std::fprintf(o.out, "%s\n", end.line.c_str());
      return end.exit_code;
    }
    if (o.timeout && Clock::now() >= start + *o.timeout) {
      live.Clear();
      std::fprintf(o.out, "timed out after %s waiting for job %s to be %s; %s\n",
                   FormatDuration(*o.timeout).c_str(), o.job.c_str(), o.until.c_str(),
                   FormatJobLine(job).c_str());
      return kExitFailed;
    }
    live.Show(FormatJobLine(job) + "  " + Elapsed(Clock::now() - start));
    // A server that answers at once without waiting must not turn this into a busy loop.
    if (poll.count() > 0 && Clock::now() - asked < milliseconds(100)) {
      std::this_thread::sleep_for(std::min(poll, milliseconds(500)));
    }
  }
}

}  // namespace rota
