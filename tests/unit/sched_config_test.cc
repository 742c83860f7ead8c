#include "sched/sched_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <string>

namespace rota::sched {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr std::string_view kAllKeysHint =
    " (keys: policy, mode, preemption, fairshare.half_life, queues.<q>.weight, "
    "queues.<q>.limits.<p>.size, queues.<q>.limits.<p>.burst, pools.<p>.placement, "
    "exclude.queues, exclude.pools, retention)";
constexpr std::string_view kQueueKeysHint =
    " (keys: queues.<q>.weight, queues.<q>.limits.<p>.size and queues.<q>.limits.<p>.burst)";

// Applies one setting to a fresh config and returns it; fails the test on a problem.
SchedConfig With(std::string_view key, std::string_view value) {
  SchedConfig config;
  EXPECT_EQ(ApplySetting(config, key, value), "") << key << " = " << value;
  return config;
}

// The problem with key = value on a fresh config; checks that the config did not change.
std::string Problem(std::string_view key, std::string_view value) {
  SchedConfig config;
  config.queues["keep"].weight = 3;
  const SchedConfig before = config;
  std::string problem = ApplySetting(config, key, value);
  EXPECT_NE(problem, "") << key << " = " << value;
  EXPECT_EQ(config.queues.size(), before.queues.size()) << key;
  EXPECT_EQ(config.WeightOf("keep"), 3) << key;
  EXPECT_EQ(config.policy, before.policy) << key;
  EXPECT_EQ(config.half_life, before.half_life) << key;
  EXPECT_THAT(config.pools, IsEmpty()) << key;
  EXPECT_THAT(config.excluded_queues, IsEmpty()) << key;
  return problem;
}

std::string Name(size_t length) { return std::string(length, 'q'); }

// --- Defaults and ToString ---

TEST(SchedConfigTest, DefaultsMatchTheHeader) {
  SchedConfig config;
  EXPECT_EQ(config.policy, Policy::kPriority);
  EXPECT_FALSE(config.async);
  EXPECT_EQ(config.preemption, Preemption::kOff);
  EXPECT_EQ(config.half_life, 0ns);
  EXPECT_THAT(config.queues, IsEmpty());
  EXPECT_THAT(config.pools, IsEmpty());
  EXPECT_THAT(config.excluded_queues, IsEmpty());
  EXPECT_THAT(config.excluded_pools, IsEmpty());
  EXPECT_EQ(config.WeightOf("any"), 1);
  EXPECT_EQ(config.ChoiceOf("any"), HostChoice::kPack);
  LimitSetting limit;
  EXPECT_EQ(limit.size, 0);
  EXPECT_EQ(limit.burst, kInf);
}

TEST(SchedConfigTest, ToStringNamesEveryValueAsTheKeysSpellIt) {
  EXPECT_STREQ(ToString(Policy::kFifo), "fifo");
  EXPECT_STREQ(ToString(Policy::kPriority), "priority");
  EXPECT_STREQ(ToString(Policy::kFairShare), "fairshare");
  EXPECT_STREQ(ToString(Preemption::kOff), "off");
  EXPECT_STREQ(ToString(Preemption::kPriority), "priority");
  EXPECT_STREQ(ToString(Preemption::kFairShare), "fairshare");
  EXPECT_STREQ(ToString(HostChoice::kPack), "pack");
  EXPECT_STREQ(ToString(HostChoice::kSpread), "spread");
  // What ToString prints reads back as the same value.
  for (Policy p : {Policy::kFifo, Policy::kPriority, Policy::kFairShare}) {
    EXPECT_EQ(With("policy", ToString(p)).policy, p);
  }
  for (Preemption p : {Preemption::kOff, Preemption::kPriority, Preemption::kFairShare}) {
    EXPECT_EQ(With("preemption", ToString(p)).preemption, p);
  }
  for (HostChoice c : {HostChoice::kPack, HostChoice::kSpread}) {
    EXPECT_EQ(With("pools.gpu.placement", ToString(c)).ChoiceOf("gpu"), c);
  }
}

// --- Each key ---

TEST(SchedConfigTest, PolicyTakesFifoPriorityOrFairshare) {
  EXPECT_EQ(With("policy", "fifo").policy, Policy::kFifo);
  EXPECT_EQ(With("policy", "priority").policy, Policy::kPriority);
  EXPECT_EQ(With("policy", "fairshare").policy, Policy::kFairShare);
  EXPECT_EQ(Problem("policy", "fair"), "policy must be fifo, priority or fairshare, not \"fair\"");
  EXPECT_EQ(Problem("policy", ""), "policy must be fifo, priority or fairshare, not \"\"");
  EXPECT_EQ(Problem("policy", "FIFO"), "policy must be fifo, priority or fairshare, not \"FIFO\"");
  EXPECT_EQ(Problem("policy", "fifo "),
            "policy must be fifo, priority or fairshare, not \"fifo \" (did you mean \"fifo\"?)");
  EXPECT_EQ(Problem("policy", "priorty"),
            "policy must be fifo, priority or fairshare, not \"priorty\" (did you mean \"priority\"?)");
}

TEST(SchedConfigTest, ModeTakesSyncOrAsync) {
  EXPECT_TRUE(With("mode", "async").async);
  SchedConfig config;
  config.async = true;
  EXPECT_EQ(ApplySetting(config, "mode", "sync"), "");
  EXPECT_FALSE(config.async);
  EXPECT_EQ(Problem("mode", "threaded"), "mode must be sync or async, not \"threaded\"");
  EXPECT_EQ(Problem("mode", "asnyc"),
            "mode must be sync or async, not \"asnyc\" (did you mean \"async\"?)");
}

TEST(SchedConfigTest, PreemptionTakesOffPriorityOrFairshare) {
  EXPECT_EQ(With("preemption", "off").preemption, Preemption::kOff);
  EXPECT_EQ(With("preemption", "priority").preemption, Preemption::kPriority);
  EXPECT_EQ(With("preemption", "fairshare").preemption, Preemption::kFairShare);
  EXPECT_EQ(Problem("preemption", "on"), "preemption must be off, priority or fairshare, not \"on\"");
  EXPECT_EQ(Problem("preemption", "of"),
            "preemption must be off, priority or fairshare, not \"of\" (did you mean \"off\"?)");
}

TEST(SchedConfigTest, HalfLifeTakesDurationsIncludingDays) {
  EXPECT_EQ(With("fairshare.half_life", "0").half_life, 0ns);
  EXPECT_EQ(With("fairshare.half_life", "0s").half_life, 0ns);
  EXPECT_EQ(With("fairshare.half_life", "90s").half_life, 90s);
  EXPECT_EQ(With("fairshare.half_life", "10m").half_life, 10min);
  EXPECT_EQ(With("fairshare.half_life", "1h").half_life, 1h);
  EXPECT_EQ(With("fairshare.half_life", "1h30m").half_life, 90min);
  EXPECT_EQ(With("fairshare.half_life", "250ms").half_life, 250ms);
  EXPECT_EQ(With("fairshare.half_life", "7d").half_life, 168h);
  EXPECT_EQ(With("fairshare.half_life", "0d").half_life, 0ns);
  EXPECT_EQ(With("fairshare.half_life", "1d12h").half_life, 36h);
  EXPECT_EQ(With("fairshare.half_life", "1d30s").half_life, 24h + 30s);
  // The largest that fits in nanoseconds (about 292 years) and one day more.
  EXPECT_EQ(With("fairshare.half_life", "106751d").half_life, 106751 * 24h);
  EXPECT_EQ(Problem("fairshare.half_life", "106752d"),
            "fairshare.half_life: duration \"106752d\" is too large (at most 2562047h)");
  EXPECT_EQ(Problem("fairshare.half_life", "9223372036854775807d"),
            "fairshare.half_life: duration \"9223372036854775807d\" is too large (at most 2562047h)");
  EXPECT_EQ(Problem("fairshare.half_life", "9223372036854775807us"),
            "fairshare.half_life: duration \"9223372036854775807us\" is too large (at most "
            "2562047h)");
}

TEST(SchedConfigTest, HalfLifeRefusesWhatIsNotADuration) {
  for (std::string_view bad : {"10 minutes", "", "-1s", "1.5h", "1h7d", "7d5", "d", "-1d", "+1d",
                               "1dd", "7D", "1w", "99999999999999999999d", "ten"}) {
    EXPECT_EQ(Problem("fairshare.half_life", bad), "fairshare.half_life: bad duration \"" +
                                                       std::string(bad) +
                                                       "\" (examples: 0, 90s, 10m, 1h, 7d)");
  }
}

TEST(SchedConfigTest, RetentionIsADurationOfSevenDaysUnlessSet) {
  EXPECT_EQ(SchedConfig{}.retention, 168h);
  EXPECT_EQ(With("retention", "3d").retention, 72h);
  EXPECT_EQ(With("retention", "0").retention, 0ns);
  EXPECT_EQ(Problem("retention", "a week"), "retention: bad duration \"a week\" (examples: 0, 90s, 10m, 1h, 7d)");
  EXPECT_EQ(Problem("retentoin", "1d"), "unknown key \"retentoin\" (did you mean \"retention\"?)");
}

TEST(SchedConfigTest, WeightIsAFiniteNumberAboveZero) {
  EXPECT_EQ(With("queues.render.weight", "3").WeightOf("render"), 3);
  EXPECT_EQ(With("queues.render.weight", "0.5").WeightOf("render"), 0.5);
  EXPECT_EQ(With("queues.render.weight", "1e3").WeightOf("render"), 1000);
  EXPECT_EQ(With("queues.render.weight", ".25").WeightOf("render"), 0.25);
  EXPECT_EQ(With("queues.render.weight", "3").WeightOf("other"), 1);
  EXPECT_THAT(With("queues.render.weight", "3").queues.at("render").limits, IsEmpty());
  for (std::string_view bad : {"-1", "0", "-0", "", "abc", "2x", "2 ", " 2", "+2", "0x10", "nan",
                               "NaN", "inf", "-inf", "infinity", "1e999", "1,5", "none"}) {
    EXPECT_EQ(Problem("queues.render.weight", bad),
              "queues.render.weight must be a number > 0, not \"" + std::string(bad) + "\"");
  }
}

TEST(SchedConfigTest, LimitSizeIsANumberAtLeastZero) {
  SchedConfig config = With("queues.render.limits.gpu.size", "8");
  EXPECT_EQ(config.queues.at("render").limits.at("gpu").size, 8);
  EXPECT_EQ(config.queues.at("render").limits.at("gpu").burst, kInf);
  EXPECT_EQ(config.WeightOf("render"), 1);  // a limit alone leaves the weight at its default
  EXPECT_EQ(With("queues.render.limits.gpu.size", "0").queues.at("render").limits.at("gpu").size,
            0);
  const double zero =
      With("queues.render.limits.gpu.size", "-0").queues.at("render").limits.at("gpu").size;
  EXPECT_EQ(zero, 0);
  EXPECT_FALSE(std::signbit(zero));
  EXPECT_EQ(With("queues.render.limits.gpu.size", "2.5").queues.at("render").limits.at("gpu").size,
            2.5);
  for (std::string_view bad : {"-1", "none", "", "8 cores", "nan", "inf", "1e400"}) {
    EXPECT_EQ(
        Problem("queues.render.limits.gpu.size", bad),
        "queues.render.limits.gpu.size must be a number >= 0, not \"" + std::string(bad) + "\"");
  }
}

TEST(SchedConfigTest, LimitBurstIsANumberAtLeastZeroOrNone) {
  SchedConfig config = With("queues.render.limits.gpu.burst", "16");
  EXPECT_EQ(config.queues.at("render").limits.at("gpu").burst, 16);
  EXPECT_EQ(config.queues.at("render").limits.at("gpu").size, 0);
  EXPECT_EQ(ApplySetting(config, "queues.render.limits.gpu.burst", "none"), "");
  EXPECT_EQ(config.queues.at("render").limits.at("gpu").burst, kInf);
  EXPECT_EQ(With("queues.render.limits.gpu.burst", "0").queues.at("render").limits.at("gpu").burst,
            0);
  for (std::string_view bad : {"-1", "None", "inf", "nan", "", "unlimited", "16x"}) {
    EXPECT_EQ(Problem("queues.render.limits.gpu.burst", bad),
              "queues.render.limits.gpu.burst must be a number >= 0 or none, not \"" +
                  std::string(bad) + "\"");
  }
}

TEST(SchedConfigTest, SettingsOfOneQueueAndPoolAddUp) {
  SchedConfig config;
  EXPECT_EQ(ApplySetting(config, "queues.render.weight", "2"), "");
  EXPECT_EQ(ApplySetting(config, "queues.render.limits.gpu.size", "4"), "");
  EXPECT_EQ(ApplySetting(config, "queues.render.limits.gpu.burst", "8"), "");
  EXPECT_EQ(ApplySetting(config, "queues.render.limits.cpu.burst", "100"), "");
  EXPECT_EQ(ApplySetting(config, "queues.render.weight", "5"), "");  // the later value wins
  const QueueSetting& render = config.queues.at("render");
  EXPECT_EQ(render.weight, 5);
  EXPECT_EQ(render.limits.at("gpu").size, 4);
  EXPECT_EQ(render.limits.at("gpu").burst, 8);
  EXPECT_EQ(render.limits.at("cpu").size, 0);
  EXPECT_EQ(render.limits.at("cpu").burst, 100);
  EXPECT_EQ(render.limits.size(), 2u);
}

TEST(SchedConfigTest, PlacementTakesPackOrSpreadPerPool) {
  SchedConfig config = With("pools.gpu.placement", "spread");
  EXPECT_EQ(config.ChoiceOf("gpu"), HostChoice::kSpread);
  EXPECT_EQ(config.ChoiceOf("cpu"), HostChoice::kPack);
  EXPECT_EQ(ApplySetting(config, "pools.gpu.placement", "pack"), "");
  EXPECT_EQ(config.ChoiceOf("gpu"), HostChoice::kPack);
  EXPECT_EQ(Problem("pools.gpu.placement", "bestfit"),
            "pools.gpu.placement must be pack or spread, not \"bestfit\"");
  EXPECT_EQ(Problem("pools.gpu.placement", "sprad"),
            "pools.gpu.placement must be pack or spread, not \"sprad\" (did you mean \"spread\"?)");
}

TEST(SchedConfigTest, ExcludeListsSplitOnCommasTrimAndDropEmpties) {
  SchedConfig config = With("exclude.queues", " film , render,,lighting.v2 ,film,");
  EXPECT_THAT(config.excluded_queues, ElementsAre("film", "lighting.v2", "render"));
  EXPECT_THAT(config.excluded_pools, IsEmpty());
  EXPECT_THAT(With("exclude.pools", "gpu").excluded_pools, ElementsAre("gpu"));
  // A new list replaces the old one; an empty one clears it.
  EXPECT_EQ(ApplySetting(config, "exclude.queues", "comp"), "");
  EXPECT_THAT(config.excluded_queues, ElementsAre("comp"));
  EXPECT_EQ(ApplySetting(config, "exclude.queues", ""), "");
  EXPECT_THAT(config.excluded_queues, IsEmpty());
  config.excluded_pools = {"gpu"};
  EXPECT_EQ(ApplySetting(config, "exclude.pools", " , ,"), "");
  EXPECT_THAT(config.excluded_pools, IsEmpty());
  EXPECT_THAT(With("exclude.pools", Name(128)).excluded_pools, ElementsAre(Name(128)));
}

TEST(SchedConfigTest, ExcludeListsCheckEachNameByTheSpecRule) {
  const std::string rule =
      " must be 1 to 128 letters, digits, '.', '_' or '-', and not '.' or '..'";
  EXPECT_EQ(Problem("exclude.queues", "film, my queue"),
            "exclude.queues: queue name \"my queue\"" + rule);
  EXPECT_EQ(Problem("exclude.queues", "a/b"), "exclude.queues: queue name \"a/b\"" + rule);
  EXPECT_EQ(Problem("exclude.queues", "."), "exclude.queues: queue name \".\"" + rule);
  EXPECT_EQ(Problem("exclude.pools", "gpu,.."), "exclude.pools: pool name \"..\"" + rule);
  EXPECT_EQ(Problem("exclude.pools", Name(129)),
            "exclude.pools: pool name \"" + Name(40) + "...\"" + rule);
  EXPECT_EQ(Problem("exclude.pools", "gpu\t"), "exclude.pools: pool name \"gpu?\"" + rule);
  // A list with a bad name changes nothing, not even the good names before it.
  SchedConfig config;
  config.excluded_queues = {"old"};
  EXPECT_NE(ApplySetting(config, "exclude.queues", "film, b@d"), "");
  EXPECT_THAT(config.excluded_queues, ElementsAre("old"));
}

// --- Names inside keys ---

TEST(SchedConfigTest, NamesInKeysAreLettersDigitsUnderscoresAndDashes) {
  EXPECT_EQ(With("queues.Film_2-b.weight", "2").WeightOf("Film_2-b"), 2);
  EXPECT_EQ(With("queues." + Name(128) + ".weight", "2").WeightOf(Name(128)), 2);
  EXPECT_EQ(With("pools." + Name(128) + ".placement", "spread").ChoiceOf(Name(128)),
            HostChoice::kSpread);
  EXPECT_EQ(With("queues.weight.weight", "2").WeightOf("weight"), 2);
  EXPECT_EQ(
      With("queues.limits.limits.limits.size", "2").queues.at("limits").limits.at("limits").size,
      2);
}

TEST(SchedConfigTest, NamesInKeysThatBreakTheRuleAreNamedInTheMessage) {
  const std::string rule = " must be 1 to 128 letters, digits, '_' or '-' (no '.' inside a key)";
  EXPECT_EQ(Problem("queues.film.v2.weight", "2"),
            "queues.film.v2.weight: queue name \"film.v2\"" + rule);
  EXPECT_EQ(Problem("queues..weight", "2"), "queues..weight: queue name \"\"" + rule);
  EXPECT_EQ(Problem("queues.a b.weight", "2"), "queues.a b.weight: queue name \"a b\"" + rule);
  EXPECT_EQ(Problem("queues." + Name(129) + ".weight", "2"),
            "queues." + Name(129) + ".weight: queue name \"" + Name(40) + "...\"" + rule);
  EXPECT_EQ(Problem("queues.film.v2.limits.gpu.size", "2"),
            "queues.film.v2.limits.gpu.size: queue name \"film.v2\"" + rule);
  EXPECT_EQ(Problem("queues.film.limits.gpu.a.burst", "2"),
            "queues.film.limits.gpu.a.burst: pool name \"gpu.a\"" + rule);
  EXPECT_EQ(Problem("queues.film.limits..size", "2"),
            "queues.film.limits..size: pool name \"\"" + rule);
  EXPECT_EQ(Problem("queues..limits.gpu.size", "2"),
            "queues..limits.gpu.size: queue name \"\"" + rule);
  EXPECT_EQ(Problem("pools.gpu.a.placement", "pack"),
            "pools.gpu.a.placement: pool name \"gpu.a\"" + rule);
  EXPECT_EQ(Problem("pools..placement", "pack"), "pools..placement: pool name \"\"" + rule);
  EXPECT_EQ(Problem("pools.g/pu.placement", "pack"),
            "pools.g/pu.placement: pool name \"g/pu\"" + rule);
}

TEST(SchedConfigTest, KeyProblemsComeBeforeValueProblems) {
  EXPECT_EQ(Problem("queues.a.b.weight", "-1"),
            "queues.a.b.weight: queue name \"a.b\" must be 1 to 128 letters, digits, '_' or '-' (no "
            "'.' inside a key)");
  EXPECT_EQ(Problem("polcy", "nonsense"), "unknown key \"polcy\" (did you mean \"policy\"?)");
}

// --- Unknown keys ---

TEST(SchedConfigTest, UnknownKeysSuggestTheClosestFixedKey) {
  EXPECT_EQ(Problem("polcy", "fifo"), "unknown key \"polcy\" (did you mean \"policy\"?)");
  EXPECT_EQ(Problem("Policy", "fifo"), "unknown key \"Policy\" (did you mean \"policy\"?)");
  EXPECT_EQ(Problem("mdoe", "sync"), "unknown key \"mdoe\" (did you mean \"mode\"?)");
  EXPECT_EQ(Problem("preemptoin", "off"), "unknown key \"preemptoin\" (did you mean \"preemption\"?)");
  EXPECT_EQ(Problem("fairshare.halflife", "1h"),
            "unknown key \"fairshare.halflife\" (did you mean \"fairshare.half_life\"?)");
  EXPECT_EQ(Problem("fairshare.half-life", "1h"),
            "unknown key \"fairshare.half-life\" (did you mean \"fairshare.half_life\"?)");
  EXPECT_EQ(Problem("exclude.queue", "a"),
            "unknown key \"exclude.queue\" (did you mean \"exclude.queues\"?)");
  EXPECT_EQ(Problem("exclude.pool", "a"),
            "unknown key \"exclude.pool\" (did you mean \"exclude.pools\"?)");
}

TEST(SchedConfigTest, UnknownKeysWithAMisspeltPrefixKeepTheirNames) {
  EXPECT_EQ(Problem("queue.render.weight", "2"),
            "unknown key \"queue.render.weight\" (did you mean \"queues.render.weight\"?)");
  EXPECT_EQ(Problem("pool.gpu.placement", "pack"),
            "unknown key \"pool.gpu.placement\" (did you mean \"pools.gpu.placement\"?)");
  EXPECT_EQ(Problem("Queues.render.limits.gpu.size", "2"),
            "unknown key \"Queues.render.limits.gpu.size\" (did you mean "
            "\"queues.render.limits.gpu.size\"?)");
}

TEST(SchedConfigTest, UnknownQueueKeysSuggestTheRightSuffix) {
  EXPECT_EQ(Problem("queues.render.wieght", "2"),
            "unknown key \"queues.render.wieght\" (did you mean \"queues.render.weight\"?)");
  EXPECT_EQ(Problem("queues.render.weights", "2"),
            "unknown key \"queues.render.weights\" (did you mean \"queues.render.weight\"?)");
  EXPECT_EQ(Problem("queues.render.limit.gpu.size", "2"),
            "unknown key \"queues.render.limit.gpu.size\" (did you mean "
            "\"queues.render.limits.gpu.size\"?)");
  EXPECT_EQ(Problem("queues.render.limits.gpu.sise", "2"),
            "unknown key \"queues.render.limits.gpu.sise\" (did you mean "
            "\"queues.render.limits.gpu.size\"?)");
  EXPECT_EQ(Problem("queues.render.limits.gpu.bursts", "2"),
            "unknown key \"queues.render.limits.gpu.bursts\" (did you mean "
            "\"queues.render.limits.gpu.burst\"?)");
  EXPECT_EQ(Problem("queues.render.limits.gpu.size.x", "2"),
            "unknown key \"queues.render.limits.gpu.size.x\" (did you mean "
            "\"queues.render.limits.gpu.size\"?)");
  // Nothing close: the queue keys are listed.
  EXPECT_EQ(Problem("queues.render", "2"),
            "unknown key \"queues.render\"" + std::string(kQueueKeysHint));
  EXPECT_EQ(Problem("queues.weight", "2"),
            "unknown key \"queues.weight\"" + std::string(kQueueKeysHint));
  EXPECT_EQ(Problem("queues.render.priority", "2"),
            "unknown key \"queues.render.priority\"" + std::string(kQueueKeysHint));
  EXPECT_EQ(Problem("queues.render.limits.gpu", "2"),
            "unknown key \"queues.render.limits.gpu\"" + std::string(kQueueKeysHint));
}

TEST(SchedConfigTest, UnknownPoolKeysSuggestTheRightSuffix) {
  EXPECT_EQ(Problem("pools.gpu.placment", "pack"),
            "unknown key \"pools.gpu.placment\" (did you mean \"pools.gpu.placement\"?)");
  EXPECT_EQ(Problem("pools.gpu.Placement", "pack"),
            "unknown key \"pools.gpu.Placement\" (did you mean \"pools.gpu.placement\"?)");
  EXPECT_EQ(Problem("pools.gpu", "pack"), "unknown key \"pools.gpu\" (keys: pools.<p>.placement)");
  EXPECT_EQ(Problem("pools.gpu.choice", "pack"),
            "unknown key \"pools.gpu.choice\" (keys: pools.<p>.placement)");
}

TEST(SchedConfigTest, UnknownKeysWithNothingCloseListEveryKey) {
  EXPECT_EQ(Problem("listen", ":8080"), "unknown key \"listen\"" + std::string(kAllKeysHint));
  EXPECT_EQ(Problem("", "x"), "unknown key \"\"" + std::string(kAllKeysHint));
  EXPECT_EQ(Problem("scheduler.policy", "fifo"),
            "unknown key \"scheduler.policy\"" + std::string(kAllKeysHint));
  EXPECT_EQ(Problem("queues", "x"), "unknown key \"queues\"" + std::string(kAllKeysHint));
}

// --- IsSchedKey ---

TEST(SchedConfigTest, IsSchedKeyAcceptsEveryKeyWhateverTheNames) {
  for (std::string_view key :
       {"policy", "mode", "preemption", "fairshare.half_life", "exclude.queues", "exclude.pools",
        "queues.render.weight", "queues.any-queue_1.weight", "queues.render.limits.gpu.size",
        "queues.render.limits.gpu.burst", "pools.gpu.placement", "pools.x.placement"}) {
    EXPECT_TRUE(IsSchedKey(key)) << key;
  }
}

TEST(SchedConfigTest, IsSchedKeyRefusesUnknownKeysAndBadNames) {
  for (std::string_view key :
       {"", "polcy", "listen", "db", "queues", "queues.render", "queues.render.wieght",
        "queues.a.b.weight", "queues..weight", "queues.render.limits.gpu",
        "queues.render.limits.a.b.size", "pools.gpu", "pools.a.b.placement", "exclude.queue",
        "POLICY", "policy "}) {
    EXPECT_FALSE(IsSchedKey(key)) << key;
  }
}

// --- All or nothing ---

TEST(SchedConfigTest, ApplySettingLeavesTheConfigAloneOnAnyProblem) {
  SchedConfig config;
  ASSERT_EQ(ApplySetting(config, "queues.render.weight", "2"), "");
  ASSERT_EQ(ApplySetting(config, "queues.render.limits.gpu.burst", "8"), "");
  for (auto [key, value] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"queues.render.weight", "0"},
           {"queues.render.limits.gpu.burst", "-1"},
           {"queues.other.weight", "x"},
           {"queues.other.limits.cpu.size", "x"},
           {"pools.gpu.placement", "x"},
           {"exclude.pools", "ok, b@d"}}) {
    EXPECT_NE(ApplySetting(config, key, value), "") << key;
    EXPECT_EQ(config.queues.size(), 1u) << key;
    EXPECT_EQ(config.WeightOf("render"), 2) << key;
    EXPECT_EQ(config.queues.at("render").limits.size(), 1u) << key;
    EXPECT_EQ(config.queues.at("render").limits.at("gpu").burst, 8) << key;
    EXPECT_THAT(config.pools, IsEmpty()) << key;
    EXPECT_THAT(config.excluded_pools, IsEmpty()) << key;
  }
}

TEST(SchedConfigTest, ApplySettingsAppliesEveryKey) {
  SchedConfig config;
  const std::map<std::string, std::string> values = {
      {"policy", "fairshare"},
      {"mode", "async"},
      {"preemption", "fairshare"},
      {"fairshare.half_life", "7d"},
      {"queues.film.weight", "3"},
      {"queues.film.limits.gpu.size", "16"},
      {"queues.film.limits.gpu.burst", "none"},
      {"queues.comp.limits.cpu.burst", "64"},
      {"pools.gpu.placement", "spread"},
      {"exclude.queues", "old"},
      {"exclude.pools", "broken, retired"},
  };
  EXPECT_EQ(ApplySettings(config, values), "");
  EXPECT_EQ(config.policy, Policy::kFairShare);
  EXPECT_TRUE(config.async);
  EXPECT_EQ(config.preemption, Preemption::kFairShare);
  EXPECT_EQ(config.half_life, 168h);
  EXPECT_EQ(config.WeightOf("film"), 3);
  EXPECT_EQ(config.WeightOf("comp"), 1);
  EXPECT_EQ(config.queues.at("film").limits.at("gpu").size, 16);
  EXPECT_EQ(config.queues.at("film").limits.at("gpu").burst, kInf);
  EXPECT_EQ(config.queues.at("comp").limits.at("cpu").burst, 64);
  EXPECT_EQ(config.ChoiceOf("gpu"), HostChoice::kSpread);
  EXPECT_THAT(config.excluded_queues, ElementsAre("old"));
  EXPECT_THAT(config.excluded_pools, ElementsAre("broken", "retired"));
  EXPECT_EQ(ApplySettings(config, {}), "");
  EXPECT_EQ(config.policy, Policy::kFairShare);
}

TEST(SchedConfigTest, ApplySettingsAppliesNothingWhenAnyKeyIsWrong) {
  SchedConfig config;
  config.queues["film"].weight = 2;
  // Keys go in map order: "exclude..." and "policy" come before and after the bad one.
  const std::map<std::string, std::string> values = {
      {"exclude.queues", "old"},    {"mode", "async"},          {"policy", "fifo"},
      {"queues.film.weight", "-1"}, {"queues.new.weight", "4"},
  };
  EXPECT_EQ(ApplySettings(config, values), "queues.film.weight must be a number > 0, not \"-1\"");
  EXPECT_EQ(config.policy, Policy::kPriority);
  EXPECT_FALSE(config.async);
  EXPECT_THAT(config.excluded_queues, IsEmpty());
  EXPECT_EQ(config.queues.size(), 1u);
  EXPECT_EQ(config.WeightOf("film"), 2);

  // An unknown key is a problem too, and the first one in key order is the one reported.
  EXPECT_EQ(ApplySettings(config, {{"policy", "fifo"}, {"polcy", "fifo"}, {"zzz", "1"}}),
            "unknown key \"polcy\" (did you mean \"policy\"?)");
  EXPECT_EQ(config.policy, Policy::kPriority);
}

}  // namespace
}  // namespace rota::sched
