// HostIndex: the free resources of every host during one Schedule() call, and per candidate class
// (shape_table.h) its hosts ordered by how well they take work under the pool's HostChoice, so
// that choosing a host costs O(log hosts) rather than a scan of the farm. A change to a host's
// free amount moves it in each class it belongs to, lazily: the class is brought up to date when
// it is next asked, so a host that takes several instances in a row moves once in the others.
// Not thread-safe; holds no pointers into the snapshot.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "sched/schedule.h"
#include "sched/shape_table.h"

namespace rota::sched {

class HostIndex {
 public:
  HostIndex(const Snapshot& snapshot, const ShapeTable& shapes);

  // The host of the class that `need` goes to: pack = the fitting host with the least free cores
  // left, then the least memory, then the lowest index; spread = the fitting host with the most
  // free cores, then the most memory, then the lowest index. -1 if none fits.
  int64_t Choose(uint32_t klass, const Amount& need);
  // The most free cores on any host of any class; -infinity without hosts.
  double MostFreeCores();

  const Amount& Free(uint32_t host) const { return free_[host]; }
  // Only the positive parts of `amount` count (host_match.h TakeFrom / GiveBack).
  void Take(uint32_t host, const Amount& amount);
  void Give(uint32_t host, const Amount& amount);

 private:
  // Ordered ascending, best host first. Pack: {cores, memory}; spread: {-cores, -memory}. Cores
  // are rounded to millionths so that the drift of fractional sums leaves ties to memory.
  struct Key {
    int64_t cores;
    int64_t memory;
    uint32_t host;
    auto operator<=>(const Key&) const = default;
  };
  using Index = std::set<Key>;
  struct Class {
    HostChoice choice;
    Index hosts;
    std::vector<uint32_t> stale;  // memberships whose host changed since the class was asked
  };
  struct Membership {
    uint32_t klass;
    uint32_t host;
    bool stale = false;
    Index::iterator at;
  };

  Key KeyOf(HostChoice choice, uint32_t host) const;
  int64_t ChoosePacked(const Index& hosts, const Amount& need) const;
  int64_t ChooseSpread(const Index& hosts, const Amount& need) const;
  void MarkStale(uint32_t host);
  // Moves the class's stale hosts to where their free amounts put them now.
  void Refresh(Class& klass);

  std::vector<Amount> free_;
  std::vector<Class> classes_;
  std::vector<uint32_t> first_membership_;  // per host, into memberships_; one past the end last
  std::vector<Membership> memberships_;
};

}  // namespace rota::sched
