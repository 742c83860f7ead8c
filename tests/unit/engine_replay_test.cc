// The engine as a deterministic state machine over its log (DESIGN section 8), checked on
// thousands of seeded random histories in server mode: submissions, hosts that come and go,
// scheduling slices, exits (some failing, some lost, some with a stale token), cancels, retries,
// signals, settings, restarts and time passing (timeouts, backoffs, silent hosts, finished jobs
// retired). For each:
//   - a fresh engine that replays the encoded log reaches the same state (its snapshot's bytes)
//     and publishes the same events, byte for byte;
//   - an engine loaded from a snapshot taken midway, then given the rest of the log, does too
//     (the events after the snapshot, byte for byte);
//   - a snapshot read back encodes to the same bytes.
// REPLAY_HISTORIES sets how many histories (default 1500).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "core/validate.h"
#include "engine/engine.h"
#include "engine/event_json.h"
#include "spec/spec_parser.h"
#include "support/host_launcher.h"

namespace rota {
namespace {

using namespace std::chrono_literals;

class JsonSink final : public EventSink {
 public:
  void Publish(const Event& e) override {
    std::string line;
    AppendEventJson(e, line);
    lines.emplace_back(e.seq, std::move(line));
  }
  std::vector<std::pair<uint64_t, std::string>> lines;
  std::vector<std::string> After(uint64_t seq) const {
    std::vector<std::string> out;
    for (const auto& [s, line] : lines) {
      if (s > seq) out.push_back(line);
    }
    return out;
  }
};

struct Rig {
  explicit Rig(uint64_t epoch = 1) : engine(clock, launcher, sink, Options(epoch)) {}
  static EngineOptions Options(uint64_t epoch) {
    EngineOptions o;
    o.placement = true;
    o.epoch = epoch;
    o.host = "";
    o.heartbeat_timeout = 5s;
    return o;
  }
  FakeClock clock;
  HostLauncher launcher;
  JsonSink sink;
  Engine engine;
};

std::string RandomSpec(std::mt19937& rng, int n) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::string y = "name: job" + std::to_string(n) + "\n";
  y += "queue: q" + std::to_string(pick(0, 2)) + "\npriority: " + std::to_string(pick(1, 99)) + "\n";
  y += std::string("on_failure: ") + (pick(0, 1) ? "stop" : "continue") + "\n";
  if (pick(0, 2) == 0) y += "pools: {p0: {max_workers: " + std::to_string(pick(1, 3)) + "}}\n";
  y += "tasks:\n";
  const int tasks = pick(1, 6);
  for (int t = 0; t < tasks; ++t) {
    y += "  - name: t" + std::to_string(t) + "\n    command: run\n";
    y += "    pool: p" + std::to_string(pick(0, 1)) + "\n";
    if (pick(0, 2) == 0) y += "    frames: 1-" + std::to_string(pick(1, 8)) + "\n    chunk: " + std::to_string(pick(1, 3)) + "\n";
    if (pick(0, 3) == 0) y += "    retries: " + std::to_string(pick(1, 2)) + "\n    retry_delay: " + std::to_string(pick(0, 2)) + "s\n";
    if (pick(0, 5) == 0) y += "    timeout: " + std::to_string(pick(1, 4)) + "s\n";
    if (pick(0, 4) == 0) y += "    resources: {cores: " + std::to_string(pick(1, 4)) + "}\n";
    if (pick(0, 8) == 0) y += "    gang: true\n";
    if (pick(0, 6) == 0) y += "    posts: [s" + std::to_string(pick(0, 2)) + "]\n";
    std::string needs;
    for (int d = 0; d < t; ++d) {
      if (pick(0, 3) != 0) continue;
      const int on = pick(0, 6);
      needs += std::string(needs.empty() ? "" : ", ") + "{task: t" + std::to_string(d) +
                  (on == 0 ? ", on: failure" : on == 1 ? ", on: any" : "") + "}";
    }
    if (pick(0, 6) == 0) {
      needs += std::string(needs.empty() ? "" : ", ") + "{signal: s" + std::to_string(pick(0, 2)) + "}";
    }
    if (!needs.empty()) y += "    requires: [" + needs + "]\n";
  }
  return y;
}

// A random history, applied live; returns the log.
std::vector<Change> LiveHistory(uint32_t seed, Rig& live, size_t& snapshot_after,
                                std::string& snapshot, uint64_t& snapshot_seq) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<Change> log;
  Engine& e = live.engine;
  e.set_change_tap([&log](const Change& c) { log.push_back(c); });
  auto apply = [&](decltype(Change::what) what) { e.Apply(Change{live.clock.UnixMicros(), std::move(what)}); };
  apply(change::EpochStarted{1, 0});
  const int steps = pick(20, 120);
  const int snapshot_step = pick(0, steps - 1);
  int jobs = 0;
  for (int step = 0; step < steps; ++step) {
    switch (pick(0, 13)) {
      case 0:
      case 1: {
        std::string text = RandomSpec(rng, jobs++);
        ParsedSpec parsed = ParseSpec(text, "random");
        if (!parsed.ok()) break;
        ValidateOptions v;
        v.local = false;
        if (!ValidateJob(parsed.job, v).empty()) break;
        change::JobSubmitted what;
        what.spec = std::make_shared<const JobSpec>(std::move(parsed.job));
        what.spec_text = std::move(text);
        what.log_dir = "logs";
        apply(std::move(what));
        break;
      }
      case 2: {
        HostInfo h;
        h.name = "h" + std::to_string(pick(0, 3));
        h.total = {static_cast<double>(pick(1, 8)) / 2, int64_t{1} << 32, 0};
        if (pick(0, 3) == 0) h.pools = {"p1"};
        apply(change::HostRegistered{h});
        e.TouchHost(h.name, live.clock.Now());
        break;
      }
      case 3:
        if (pick(0, 2) == 0) apply(change::HostLost{"h" + std::to_string(pick(0, 3)), "gone"});
        break;
      case 4: apply(change::SignalPosted{"s" + std::to_string(pick(0, 2))}); break;
      case 5:
        if (e.job_count() > 0 && pick(0, 2) == 0) {
          apply(change::CancelRequested{static_cast<JobId>(pick(0, int(e.job_count()) - 1)), "job cancelled"});
        }
        break;
      case 6:
        if (e.job_count() > 0) apply(change::JobRetried{static_cast<JobId>(pick(0, int(e.job_count()) - 1))});
        break;
      case 7: {
        std::map<std::string, std::string> values;
        values["policy"] = pick(0, 1) ? "fairshare" : "priority";
        if (pick(0, 2) == 0) values["preemption"] = pick(0, 1) ? "on" : "off";
        if (pick(0, 2) == 0) values["retention"] = pick(0, 1) ? "2s" : "7d";
        apply(change::ConfigSet{values});
        break;
      }
      case 8: {   // time passes; what it made due is proposed and applied
        live.clock.Advance(std::chrono::milliseconds(pick(0, 3000)));
        for (const Change& due : e.DueChanges(live.clock.UnixMicros(), live.clock.Now())) e.Apply(due);
        for (int h = 0; h < 4; ++h) {
          if (pick(0, 1)) e.TouchHost("h" + std::to_string(h), live.clock.Now());
        }
        break;
      }
      case 9:
      case 10: {   // a scheduling cycle (sync: proposed, then its result)
        for (int round = 0; round < 2; ++round) {
          if (std::optional<change::Placements> slice = e.ProposePlacements()) apply(std::move(*slice));
        }
        break;
      }
      case 11:
      case 12: {   // exits of active runs
        for (RunId r = 1; r <= e.last_run(); ++r) {
          const RunView v = e.Run(r);
          if (!v.active || pick(0, 2) != 0) continue;
          change::RunEnded ended;
          ended.exit.run = r;
          const int outcome = pick(0, 9);
          ended.exit.exit_code = outcome < 6 ? 0 : outcome < 8 ? 1 : 137;
          ended.exit.term_signal = outcome >= 8 ? 9 : 0;
          ended.exit.lost = outcome == 9;
          ended.epoch = pick(0, 9) == 0 ? v.epoch + 1 : v.epoch;   // sometimes stale
          ended.host = std::string(v.host);
          apply(std::move(ended));
        }
        break;
      }
      case 13:
        if (pick(0, 3) == 0) apply(change::EpochStarted{e.epoch() + 1, 0});   // a restart
        break;
    }
    if (step == snapshot_step) {
      snapshot_after = log.size();
      snapshot = e.EncodeSnapshot();
      snapshot_seq = e.last_seq();
    }
  }
  return log;
}

std::vector<std::string> Lines(const JsonSink& sink) { return sink.After(0); }

// Equal, or where they first differ (snapshots are binary and long).
::testing::AssertionResult SameBytes(const std::string& a, const std::string& b) {
  if (a == b) return ::testing::AssertionSuccess();
  size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  return ::testing::AssertionFailure() << "sizes " << a.size() << " and " << b.size()
                                       << ", first difference at byte " << at << ": ..."
                                       << ::testing::PrintToString(a.substr(at > 60 ? at - 60 : 0, 80)) << " vs ..."
                                       << ::testing::PrintToString(b.substr(at > 60 ? at - 60 : 0, 80));
}

// Equal, or the first line where they differ.
::testing::AssertionResult SameLines(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] != b[i]) return ::testing::AssertionFailure() << "line " << i << ":\n" << a[i] << "\n" << b[i];
  }
  if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " lines and " << b.size();
  return ::testing::AssertionSuccess();
}

TEST(EngineReplayTest, ReplayAndSnapshotPlusTailReachTheLiveStateAndEventsByteForByte) {
  int histories = 1500;
  if (const char* n = std::getenv("REPLAY_HISTORIES")) histories = std::atoi(n);
  uint32_t base = std::random_device{}();
  if (const char* s = std::getenv("REPLAY_SEED")) base = static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  size_t changes = 0, instances = 0, retired = 0;
  for (int h = 0; h < histories; ++h) {
    const uint32_t seed = base + static_cast<uint32_t>(h);
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rig live;
    size_t snapshot_after = 0;
    std::string mid;
    uint64_t mid_seq = 0;
    const std::vector<Change> log = LiveHistory(seed, live, snapshot_after, mid, mid_seq);
    const std::string final_state = live.engine.EncodeSnapshot();
    changes += log.size();
    for (JobId j = 0; j < live.engine.job_count(); ++j) {
      if (const JobState* job = live.engine.find_job(j)) {
        instances += job->instances.size();
      } else {
        ++retired;
      }
    }

    // Through the log's bytes, into a fresh engine with other options.
    Rig replay(99);
    replay.engine.BeginReplay();
    for (const Change& c : log) {
      Result<Change> decoded = DecodeChange(EncodeChange(c));
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      replay.engine.Apply(*decoded);
    }
    ASSERT_TRUE(replay.launcher.launched.empty()) << "a replay starts nothing";
    ASSERT_TRUE(SameBytes(replay.engine.EncodeSnapshot(), final_state));
    ASSERT_TRUE(SameLines(Lines(replay.sink), Lines(live.sink)));

    // The midway snapshot, read back, then the rest of the log.
    Rig restored(99);
    ASSERT_TRUE(restored.engine.LoadSnapshot(mid).ok());
    ASSERT_TRUE(SameBytes(restored.engine.EncodeSnapshot(), mid));
    restored.engine.BeginReplay();
    for (size_t k = snapshot_after; k < log.size(); ++k) restored.engine.Apply(log[k]);
    ASSERT_TRUE(SameBytes(restored.engine.EncodeSnapshot(), final_state));
    ASSERT_TRUE(SameLines(Lines(restored.sink), live.sink.After(mid_seq)));
  }
  std::printf("%d histories, %zu changes, %zu instances, %zu jobs retired\n", histories, changes, instances, retired);
  EXPECT_GT(retired, 0u) << "no history retired a job: that part is not exercised";
}

TEST(EngineReplayTest, AChangeThatDoesNotDecodeIsRefusedWithItsReason) {
  Change c{1, change::SignalPosted{"hub/ready"}};
  std::string bytes = EncodeChange(c);
  Result<Change> truncated = DecodeChange(std::string_view(bytes).substr(0, bytes.size() - 2));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, "bad_change");
  EXPECT_EQ(truncated.error().message, "truncated signal_posted");
  bytes[0] = 9;
  Result<Change> future = DecodeChange(bytes);
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().message, "change version 9 is not one this rota reads");
  change::JobSubmitted job;
  job.spec_text = "name: x\ntasks: [{name: a, requires: [b]}]\n";
  Result<Change> unparsable = DecodeChange(EncodeChange(Change{1, job}));
  ASSERT_FALSE(unparsable.ok());
  EXPECT_NE(unparsable.error().message.find("a logged job no longer parses"), std::string::npos);
}

TEST(EngineReplayTest, ASnapshotOfAMillionPendingFramesIsSmall) {
  Rig live;
  change::JobSubmitted what;
  what.spec_text = "name: big\ntasks: [{name: t, command: run, frames: 1-1000000}]\n";
  ParsedSpec parsed = ParseSpec(what.spec_text, "big");
  ASSERT_TRUE(parsed.ok());
  what.spec = std::make_shared<const JobSpec>(std::move(parsed.job));
  live.engine.Apply(Change{1, what});
  const std::string bytes = live.engine.EncodeSnapshot();
  EXPECT_LT(bytes.size(), 10'000'000u) << "the ready line is kept; the instances are one run";
  Rig restored;
  ASSERT_TRUE(restored.engine.LoadSnapshot(bytes).ok());
  EXPECT_EQ(restored.engine.job(0).instances.size(), 1'000'000u);
  EXPECT_EQ(restored.engine.EncodeSnapshot(), bytes);
}

}  // namespace
}  // namespace rota
