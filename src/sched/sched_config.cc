#include "sched/sched_config.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <span>

#include "core/did_you_mean.h"
#include "core/names.h"
#include "core/quote.h"
#include "core/units.h"

namespace rota::sched {
namespace {


// Keys without a queue or pool name, in the order a did-you-mean should prefer them.
constexpr std::string_view kFixedKeys[] = {
    "policy", "mode", "preemption", "fairshare.half_life", "exclude.queues", "exclude.pools",
    "retention"};

constexpr std::string_view kAllKeys =
    "policy, mode, preemption, fairshare.half_life, queues.<q>.weight, "
    "queues.<q>.limits.<p>.size, queues.<q>.limits.<p>.burst, pools.<p>.placement, "
    "exclude.queues, exclude.pools, retention";
constexpr std::string_view kQueueKeys =
    "queues.<q>.weight, queues.<q>.limits.<p>.size and queues.<q>.limits.<p>.burst";
constexpr std::string_view kPoolKeys = "pools.<p>.placement";

constexpr std::string_view kDurationExamples = "(examples: 0, 90s, 10m, 1h, 7d)";


enum class KeyKind {
  kPolicy,
  kMode,
  kPreemption,
  kHalfLife,
  kRetention,
  kWeight,
  kSize,
  kBurst,
  kPlacement,
  kExcludeQueues,
  kExcludePools,
};

struct ParsedKey {
  KeyKind kind = KeyKind::kPolicy;
  std::string_view queue;  // kWeight, kSize, kBurst
  std::string_view pool;   // kSize, kBurst, kPlacement
};


std::string NameProblem(std::string_view where, std::string_view what, std::string_view name,
                        bool dots) {
  return std::string(where) + ": " + std::string(what) + " name " + Quote(name) +
         (dots ? " must be 1 to 128 letters, digits, '.', '_' or '-', and not '.' or '..'"
               : " must be 1 to 128 letters, digits, '_' or '-' (no '.' inside a key)");
}

std::string UnknownKey(std::string_view key, const std::optional<std::string>& guess,
                       std::string_view valid) {
  std::string message = "unknown key " + Quote(key);
  if (guess) return message + " (did you mean " + Quote(*guess) + "?)";
  return message + " (keys: " + std::string(valid) + ")";
}

std::string_view FirstSegment(std::string_view s) { return s.substr(0, s.find('.')); }

// A key that starts with "queues." but is none of the queue keys: suggest the right suffix for
// the same queue (and pool, when the key seems to name one).
std::string UnknownQueueKey(std::string_view key, std::string_view rest) {
  const std::string_view queue = FirstSegment(rest);
  if (queue.size() == rest.size()) return UnknownKey(key, std::nullopt, kQueueKeys);
  const std::string_view suffix = rest.substr(queue.size() + 1);
  // "limit.gpu.size" or "limits.gpu.sise": the second segment is most likely the pool.
  std::string_view pool = "<p>";
  if (size_t first = suffix.find('.'); first != std::string_view::npos) {
    const std::string_view after = suffix.substr(first + 1);
    if (after.find('.') != std::string_view::npos) pool = FirstSegment(after);
  }
  const std::string size = "limits." + std::string(pool) + ".size";
  const std::string burst = "limits." + std::string(pool) + ".burst";
  const std::string_view candidates[] = {"weight", size, burst};
  std::optional<std::string> guess = DidYouMean(suffix, candidates);
  if (guess) guess = "queues." + std::string(queue) + "." + *guess;
  return UnknownKey(key, guess, kQueueKeys);
}

std::string UnknownPoolKey(std::string_view key, std::string_view rest) {
  const std::string_view pool = FirstSegment(rest);
  if (pool.size() == rest.size()) return UnknownKey(key, std::nullopt, kPoolKeys);
  const std::string_view candidates[] = {"placement"};
  std::optional<std::string> guess = DidYouMean(rest.substr(pool.size() + 1), candidates);
  if (guess) guess = "pools." + std::string(pool) + "." + *guess;
  return UnknownKey(key, guess, kPoolKeys);
}

// Splits `key` into its kind and names. Returns "" or what is wrong with the key.
std::string ParseKey(std::string_view key, ParsedKey& out) {
  constexpr std::pair<std::string_view, KeyKind> kFixed[] = {
      {"policy", KeyKind::kPolicy},
      {"mode", KeyKind::kMode},
      {"preemption", KeyKind::kPreemption},
      {"fairshare.half_life", KeyKind::kHalfLife},
      {"retention", KeyKind::kRetention},
      {"exclude.queues", KeyKind::kExcludeQueues},
      {"exclude.pools", KeyKind::kExcludePools},
  };
  for (const auto& [name, kind] : kFixed) {
    if (key == name) {
      out = ParsedKey{kind, {}, {}};
      return "";
    }
  }
  if (key.starts_with("queues.")) {
    const std::string_view rest = key.substr(7);
    constexpr std::string_view kWeight = ".weight";
    constexpr std::string_view kLimits = ".limits.";
    if (rest.ends_with(kWeight)) {
      out = ParsedKey{KeyKind::kWeight, rest.substr(0, rest.size() - kWeight.size()), {}};
    } else if (size_t at = rest.find(kLimits); at != std::string_view::npos) {
      // The queue ends at the first ".limits." and the pool at the last '.', so a '.' in either
      // name leaves something that is not a name, which is reported below.
      const std::string_view tail = rest.substr(at + kLimits.size());
      const size_t dot = tail.rfind('.');
      const std::string_view field = dot == std::string_view::npos ? "" : tail.substr(dot + 1);
      if (field != "size" && field != "burst") return UnknownQueueKey(key, rest);
      out = ParsedKey{field == "size" ? KeyKind::kSize : KeyKind::kBurst, rest.substr(0, at),
                      tail.substr(0, dot)};
    } else {
      return UnknownQueueKey(key, rest);
    }
    if (!IsValidName(out.queue, false)) return NameProblem(key, "queue", out.queue, false);
    if (out.kind != KeyKind::kWeight && !IsValidName(out.pool, false)) {
      return NameProblem(key, "pool", out.pool, false);
    }
    return "";
  }
  if (key.starts_with("pools.")) {
    const std::string_view rest = key.substr(6);
    constexpr std::string_view kPlacement = ".placement";
    if (!rest.ends_with(kPlacement)) return UnknownPoolKey(key, rest);
    out = ParsedKey{KeyKind::kPlacement, {}, rest.substr(0, rest.size() - kPlacement.size())};
    if (!IsValidName(out.pool, false)) return NameProblem(key, "pool", out.pool, false);
    return "";
  }
  if (std::optional<std::string> guess = DidYouMean(key, kFixedKeys)) {
    return UnknownKey(key, guess, kAllKeys);
  }
  // "queue.render.weight", "pool.gpu.placement": a misspelt prefix in front of a name.
  const std::string_view first = FirstSegment(key);
  if (first.size() < key.size()) {
    constexpr std::string_view kPrefixes[] = {"queues", "pools"};
    if (std::optional<std::string> guess = DidYouMean(first, kPrefixes)) {
      return UnknownKey(key, *guess + std::string(key.substr(first.size())), kAllKeys);
    }
  }
  return UnknownKey(key, std::nullopt, kAllKeys);
}

// "a, b or c", with each choice as written.
std::string ChoiceList(std::span<const std::string_view> choices) {
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) list += i + 1 == choices.size() ? " or " : ", ";
    list += choices[i];
  }
  return list;
}

// The index of `value` in `choices`, or the message for a value that is none of them.
template <size_t N>
std::optional<size_t> OneOf(std::string_view key, std::string_view value,
                            const std::string_view (&choices)[N], std::string& problem) {
  for (size_t i = 0; i < N; ++i) {
    if (value == choices[i]) return i;
  }
  problem = std::string(key) + " must be " + ChoiceList(choices) + ", not " + Quote(value);
  if (std::optional<std::string> guess = DidYouMean(value, choices)) {
    problem += " (did you mean " + Quote(*guess) + "?)";
  }
  return std::nullopt;
}

// The whole of `text` as a finite number, or nothing: from_chars refuses leading spaces and '+',
// and the rest (trailing junk, "nan", "inf", out of range) is checked here.
std::optional<double> ParseNumber(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value == 0 ? 0.0 : value;  // -0 reads as 0
}

std::optional<Duration> ParseHalfLife(std::string_view text) {
  Result<Duration> d = ParseDurationWithDays(text);
  if (!d.ok()) return std::nullopt;
  return *d;
}

// Checks `value` for the parsed key and applies it to `config`. Returns "" or the problem, in
// which case `config` is unchanged: every case checks the whole value before its one assignment.
std::string Apply(SchedConfig& config, std::string_view key, const ParsedKey& parsed,
                  std::string_view value) {
  std::string problem;
  switch (parsed.kind) {
    case KeyKind::kPolicy: {
      constexpr std::string_view kChoices[] = {"fifo", "priority", "fairshare"};
      constexpr Policy kValues[] = {Policy::kFifo, Policy::kPriority, Policy::kFairShare};
      if (auto i = OneOf(key, value, kChoices, problem)) config.policy = kValues[*i];
      return problem;
    }
    case KeyKind::kMode: {
      constexpr std::string_view kChoices[] = {"sync", "async"};
      if (auto i = OneOf(key, value, kChoices, problem)) config.async = *i == 1;
      return problem;
    }
    case KeyKind::kPreemption: {
      constexpr std::string_view kChoices[] = {"off", "priority", "fairshare"};
      constexpr Preemption kValues[] = {Preemption::kOff, Preemption::kPriority,
                                        Preemption::kFairShare};
      if (auto i = OneOf(key, value, kChoices, problem)) config.preemption = kValues[*i];
      return problem;
    }
    case KeyKind::kPlacement: {
      constexpr std::string_view kChoices[] = {"pack", "spread"};
      constexpr HostChoice kValues[] = {HostChoice::kPack, HostChoice::kSpread};
      if (auto i = OneOf(key, value, kChoices, problem)) {
        config.pools[std::string(parsed.pool)] = kValues[*i];
      }
      return problem;
    }
    case KeyKind::kHalfLife:
    case KeyKind::kRetention: {
      std::optional<Duration> micros = ParseHalfLife(value);
      if (!micros) {
        return std::string(key) + ": bad duration " + Quote(value) + " " +
               std::string(kDurationExamples);
      }
      // The config keeps nanoseconds, which run out at about 292 years.
      constexpr auto kMax = std::chrono::duration_cast<Duration>(std::chrono::nanoseconds::max());
      if (*micros > kMax) {
        return std::string(key) + ": duration " + Quote(value) + " is too large (at most " +
               FormatDuration(std::chrono::duration_cast<std::chrono::hours>(kMax)) + ")";
      }
      (parsed.kind == KeyKind::kHalfLife ? config.half_life : config.retention) = *micros;
      return "";
    }
    case KeyKind::kWeight: {
      std::optional<double> weight = ParseNumber(value);
      if (!weight || *weight <= 0) {
        return std::string(key) + " must be a number > 0, not " + Quote(value);
      }
      config.queues[std::string(parsed.queue)].weight = *weight;
      return "";
    }
    case KeyKind::kSize:
    case KeyKind::kBurst: {
      const bool burst = parsed.kind == KeyKind::kBurst;
      std::optional<double> cores =
          burst && value == "none" ? std::numeric_limits<double>::infinity() : ParseNumber(value);
      if (!cores || *cores < 0) {
        return std::string(key) + " must be a number >= 0" + (burst ? " or none" : "") + ", not " +
               Quote(value);
      }
      LimitSetting& limit =
          config.queues[std::string(parsed.queue)].limits[std::string(parsed.pool)];
      (burst ? limit.burst : limit.size) = *cores;
      return "";
    }
    case KeyKind::kExcludeQueues:
    case KeyKind::kExcludePools: {
      const bool queues = parsed.kind == KeyKind::kExcludeQueues;
      std::set<std::string, std::less<>> names;
      // Config files turn YAML lists into "a, b", so spaces around a name are not part of it.
      for (std::string_view rest = value; !rest.empty();) {
        const size_t comma = rest.find(',');
        std::string_view name = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (name.empty()) continue;
        if (!IsValidName(name, true)) return NameProblem(key, queues ? "queue" : "pool", name, true);
        names.emplace(name);
      }
      (queues ? config.excluded_queues : config.excluded_pools) = std::move(names);
      return "";
    }
  }
  return "";
}

}  // namespace

const char* ToString(Policy policy) {
  switch (policy) {
    case Policy::kFifo: return "fifo";
    case Policy::kPriority: return "priority";
    case Policy::kFairShare: return "fairshare";
  }
  return "?";
}

const char* ToString(Preemption preemption) {
  switch (preemption) {
    case Preemption::kOff: return "off";
    case Preemption::kPriority: return "priority";
    case Preemption::kFairShare: return "fairshare";
  }
  return "?";
}

const char* ToString(HostChoice choice) {
  switch (choice) {
    case HostChoice::kPack: return "pack";
    case HostChoice::kSpread: return "spread";
  }
  return "?";
}

double SchedConfig::WeightOf(std::string_view queue) const {
  auto it = queues.find(queue);
  return it == queues.end() ? 1.0 : it->second.weight;
}

HostChoice SchedConfig::ChoiceOf(std::string_view pool) const {
  auto it = pools.find(pool);
  return it == pools.end() ? HostChoice::kPack : it->second;
}

bool IsSchedKey(std::string_view key) {
  ParsedKey parsed;
  return ParseKey(key, parsed).empty();
}

std::string ApplySetting(SchedConfig& config, std::string_view key, std::string_view value) {
  ParsedKey parsed;
  if (std::string problem = ParseKey(key, parsed); !problem.empty()) return problem;
  return Apply(config, key, parsed, value);
}

std::string ApplySettings(SchedConfig& config, const std::map<std::string, std::string>& values) {
  // A copy, so that a later key's problem leaves the earlier keys unapplied too.
  SchedConfig copy = config;
  for (const auto& [key, value] : values) {
    if (std::string problem = ApplySetting(copy, key, value); !problem.empty()) return problem;
  }
  config = std::move(copy);
  return "";
}

}  // namespace rota::sched
