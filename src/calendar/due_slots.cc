#include "calendar/due_slots.h"

#include <deque>

namespace rota {
namespace {

// Past this many missed slots the scan jumps to the last week before `now`: what is older is
// missed whatever the policy, and counting it one by one could take minutes.
constexpr int64_t kJumpTo = 7 * 86400;

uint64_t Fnv1a(std::string_view name, UnixSeconds slot) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : name) mix(static_cast<unsigned char>(c));
  for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(static_cast<uint64_t>(slot) >> (8 * i)));
  return h;
}

}  // namespace

int64_t JitterOf(std::string_view name, UnixSeconds slot, int64_t jitter, std::optional<UnixSeconds> next_slot) {
  int64_t bound = jitter;
  if (next_slot) bound = std::min(bound, *next_slot - slot);
  if (bound <= 1) return 0;
  return static_cast<int64_t>(Fnv1a(name, slot) % static_cast<uint64_t>(bound));
}

DuePlan DueSlots(const CalendarSpec& spec, const TimeZone& zone, const SlotPolicy& policy, std::string_view name,
                 UnixSeconds after, UnixSeconds now) {
  DuePlan plan;
  auto miss = [&plan](UnixSeconds slot) {
    if (plan.missed == 0) plan.missed_first = slot;
    plan.missed_last = slot;
    ++plan.missed;
  };
  // Late slots that may still run: the newest one (once) or `catch_up_max` (all).
  const size_t keep = policy.catch_up == CatchUp::kAll  ? static_cast<size_t>(std::max<int64_t>(policy.catch_up_max, 0))
                      : policy.catch_up == CatchUp::kOnce ? 1
                                                          : 0;
  std::deque<UnixSeconds> late;
  std::vector<UnixSeconds> on_time;
  std::optional<UnixSeconds> slot = NextFire(spec, zone, after, policy.dst);
  while (slot) {
    const std::optional<UnixSeconds> next = NextFire(spec, zone, *slot, policy.dst);
    const UnixSeconds due = *slot + JitterOf(name, *slot, policy.jitter, next);
    if (due > now) {
      plan.next_due = due;
      break;
    }
    plan.through = *slot;
    if (policy.start_window > 0 && now - *slot > policy.start_window) {
      miss(*slot);
    } else if (now - due <= kOnTimeSeconds) {
      on_time.push_back(*slot);
    } else {
      late.push_back(*slot);
      if (late.size() > keep) {
        miss(late.front());
        late.pop_front();
      }
    }
    slot = next;
    if (plan.missed >= kMaxMissedCounted && slot && *slot < now - kJumpTo) {
      plan.missed_more = true;
      slot = NextFire(spec, zone, now - kJumpTo, policy.dst);
    }
  }
  plan.fire.assign(late.begin(), late.end());
  plan.fire.insert(plan.fire.end(), on_time.begin(), on_time.end());
  return plan;
}

}  // namespace rota
