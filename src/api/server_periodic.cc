// ServerCore's side of time-driven work (issue 11): schedules, watchdogs and webhooks set, shown
// and removed through the log like everything else. Firing and alerts are proposed by the engine
// itself (DueChanges, for the holder of the schedules lease); deliveries by the HookSender.
#include "api/server_core.h"

namespace rota {

namespace {

template <class State>
std::vector<State> Values(const std::map<std::string, State>& table) {
  std::vector<State> out;
  out.reserve(table.size());
  for (const auto& [name, state] : table) out.push_back(state);
  return out;
}

Error Unknown(const char* what, const std::string& name) {
  return MakeError(kNotFound, std::string("no ") + what + " named " + name);
}

}  // namespace

void ServerCore::SetSchedule(std::shared_ptr<const ScheduleDef> def, Answer<ScheduleState> done) {
  const std::string name = def->name;
  change::ScheduleSet what{def, ScheduleDefJson(*def), options_.log_dir};
  Propose(Change{clock_.UnixMicros(), std::move(what)}, FailWith(done), [this, name, done] { ShowSchedule(name, done); });
}

void ServerCore::RemoveSchedule(const std::string& name, Answer<Unit> done) {
  if (!engine_.schedules().count(name)) return Reply<Unit>(std::move(done), Unknown("schedule", name));
  Propose(Change{clock_.UnixMicros(), change::ScheduleRemoved{name}}, FailWith(done),
          [this, done] { Reply<Unit>(done, Unit{}); });
}

void ServerCore::PauseSchedule(const std::string& name, bool paused, Answer<ScheduleState> done) {
  auto it = engine_.schedules().find(name);
  if (it == engine_.schedules().end()) return Reply<ScheduleState>(std::move(done), Unknown("schedule", name));
  if (it->second.paused == paused) return Reply<ScheduleState>(std::move(done), it->second);
  Propose(Change{clock_.UnixMicros(), change::SchedulePaused{name, paused}}, FailWith(done),
          [this, name, done] { ShowSchedule(name, done); });
}

void ServerCore::TriggerSchedule(const std::string& name, Answer<SubmitAnswer> done) {
  if (!engine_.schedules().count(name)) return Reply<SubmitAnswer>(std::move(done), Unknown("schedule", name));
  const int64_t now_us = clock_.UnixMicros();
  const int64_t slot = now_us / 1000000;
  Propose(Change{now_us, change::ScheduleFired{name, slot, /*manual=*/true}}, FailWith(done),
          [this, name, slot, done] {
            auto it = engine_.schedules().find(name);
            const std::optional<JobId> job = it != engine_.schedules().end() ? it->second.job : std::nullopt;
            const JobState* state = job ? engine_.find_job(*job) : nullptr;
            if (state == nullptr || state->submitted_us / 1000000 != slot) {
              return Reply<SubmitAnswer>(done, MakeError(kConflict, "schedule " + name +
                                                                       " fired this second already; try again in a second"));
            }
            Reply<SubmitAnswer>(done, SubmitAnswer{uint64_t{*job} + 1, state->spec.name});
          });
}

void ServerCore::ListSchedules(Answer<std::vector<ScheduleState>> done) {
  Reply<std::vector<ScheduleState>>(std::move(done), Values(engine_.schedules()));
}

void ServerCore::ShowSchedule(const std::string& name, Answer<ScheduleState> done) {
  auto it = engine_.schedules().find(name);
  if (it == engine_.schedules().end()) return Reply<ScheduleState>(std::move(done), Unknown("schedule", name));
  Reply<ScheduleState>(std::move(done), it->second);
}

void ServerCore::SetExpectation(std::shared_ptr<const ExpectationDef> def, Answer<ExpectationState> done) {
  const std::string name = def->name;
  change::ExpectationSet what{def, ExpectationDefJson(*def)};
  Propose(Change{clock_.UnixMicros(), std::move(what)}, FailWith(done), [this, name, done] {
    auto it = engine_.expectations().find(name);
    if (it == engine_.expectations().end()) return Reply<ExpectationState>(done, Unknown("watchdog", name));
    Reply<ExpectationState>(done, it->second);
  });
}

void ServerCore::RemoveExpectation(const std::string& name, Answer<Unit> done) {
  if (!engine_.expectations().count(name)) return Reply<Unit>(std::move(done), Unknown("watchdog", name));
  Propose(Change{clock_.UnixMicros(), change::ExpectationRemoved{name}}, FailWith(done),
          [this, done] { Reply<Unit>(done, Unit{}); });
}

void ServerCore::ListExpectations(Answer<std::vector<ExpectationState>> done) {
  Reply<std::vector<ExpectationState>>(std::move(done), Values(engine_.expectations()));
}

void ServerCore::SetHook(std::shared_ptr<const HookDef> def, Answer<HookState> done) {
  const std::string name = def->name;
  change::HookSet what{def, HookDefJson(*def)};
  Propose(Change{clock_.UnixMicros(), std::move(what)}, FailWith(done), [this, name, done] {
    auto it = engine_.hooks().find(name);
    if (it == engine_.hooks().end()) return Reply<HookState>(done, Unknown("hook", name));
    Reply<HookState>(done, it->second);
  });
}

void ServerCore::RemoveHook(const std::string& name, Answer<Unit> done) {
  if (!engine_.hooks().count(name)) return Reply<Unit>(std::move(done), Unknown("hook", name));
  Propose(Change{clock_.UnixMicros(), change::HookRemoved{name}}, FailWith(done),
          [this, done] { Reply<Unit>(done, Unit{}); });
}

void ServerCore::ListHooks(Answer<std::vector<HookState>> done) {
  Reply<std::vector<HookState>>(std::move(done), Values(engine_.hooks()));
}

void ServerCore::HookDelivered(const std::string& name, uint64_t seq) {
  auto it = engine_.hooks().find(name);
  if (it == engine_.hooks().end() || seq <= it->second.delivered) return;
  Propose(Change{clock_.UnixMicros(), change::HookDelivered{name, seq}});
}

}  // namespace rota
