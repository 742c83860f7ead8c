// HookSender (issue 11): the events a hook wants reach a receiver on 127.0.0.1 in seq order,
// signed, with their idempotency keys; only the holder of the schedules lease sends; a receiver
// that fails gets the same event again after a backoff; the cursor handed back covers the events
// not wanted too. Runs under ThreadSanitizer in CI (the sender has a thread of its own).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "api/hook_sender.h"
#include "core/sha256.h"
#include "store/memory_store.h"
#include "support/hook_receiver.h"

namespace rota {
namespace {

using ::testing::ElementsAre;
using testing::HookReceiver;

EventRecord Event(uint64_t seq, const std::string& type) {
  return {seq, int64_t(seq) * 1000, R"({"seq":)" + std::to_string(seq) + R"(,"ts_us":1,"type":")" + type + R"("})"};
}

template <class Predicate>
bool Eventually(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class HookSenderTest : public ::testing::Test {
 protected:
  HookSenderTest() {
    Result<HookDef> def = ParseHookDef(R"({"name":"rx","url":")" + receiver_.url() +
                                       R"(","events":["alert.*"],"secret":"k"})");
    EXPECT_TRUE(def.ok()) << def.error().message;
    hook_.def = std::make_shared<const HookDef>(*def);
    hook_.text = HookDefJson(*def);
    HookSenderOptions options;
    options.first_retry = std::chrono::milliseconds(50);
    sender_ = std::make_unique<HookSender>(store_, [this](const std::string& name, uint64_t seq) {
      std::lock_guard lock(mu_);
      advanced_.emplace_back(name, seq);
    }, options);
  }
  std::vector<std::pair<std::string, uint64_t>> advanced() {
    std::lock_guard lock(mu_);
    return advanced_;
  }

  HookReceiver receiver_;
  MemoryStore store_;
  HookState hook_;
  std::mutex mu_;
  std::vector<std::pair<std::string, uint64_t>> advanced_;
  std::unique_ptr<HookSender> sender_;   // last: its thread stops first
};

TEST_F(HookSenderTest, OnlyTheLeaseHolderSendsTheWantedEventsInOrderSigned) {
  sender_->Update({{"rx", hook_}}, /*holder=*/false);
  ASSERT_TRUE(store_.WriteEvents({Event(1, "alert.raised"), Event(2, "job.failed"), Event(3, "alert.resolved")}).ok());
  sender_->Wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(receiver_.requests().empty()) << "not the holder of the schedules lease";

  sender_->Update({{"rx", hook_}}, /*holder=*/true);
  ASSERT_TRUE(Eventually([&] { return receiver_.requests().size() == 2; }));
  const auto got = receiver_.requests();
  EXPECT_EQ(got[0].headers.at("idempotency-key"), "rx/1");
  EXPECT_EQ(got[1].headers.at("idempotency-key"), "rx/3");
  EXPECT_EQ(got[1].headers.at("rota-event"), "alert.resolved");
  for (const auto& r : got) EXPECT_EQ(r.headers.at("rota-signature"), "sha256=" + HexLower(HmacSha256("k", r.body)));
  ASSERT_TRUE(Eventually([&] { return !advanced().empty(); }));
  EXPECT_THAT(advanced(), ElementsAre(std::pair<std::string, uint64_t>{"rx", 3}));
  EXPECT_THAT(sender_->Metrics(), ::testing::HasSubstr("rota_hook_deliveries_total{hook=\"rx\",result=\"ok\"} 2"));
}

TEST_F(HookSenderTest, AFailedDeliveryIsTriedAgainAfterABackoffAndLaterEventsWait) {
  receiver_.set_status(500);
  sender_->Update({{"rx", hook_}}, /*holder=*/true);
  ASSERT_TRUE(store_.WriteEvents({Event(1, "alert.raised"), Event(2, "alert.resolved")}).ok());
  sender_->Wake();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(advanced().empty()) << "nothing reached it";
  receiver_.set_status(200);
  ASSERT_TRUE(Eventually([&] { return receiver_.requests().size() == 2; }));
  const auto got = receiver_.requests();
  EXPECT_EQ(got[0].headers.at("idempotency-key"), "rx/1");
  EXPECT_GE(std::stoi(got[0].headers.at("rota-delivery-attempt")), 2);
  EXPECT_EQ(got[1].headers.at("idempotency-key"), "rx/2");
}

TEST_F(HookSenderTest, AHookResumesAtItsDurableCursor) {
  hook_.delivered = 2;   // a restart: the log says 1 and 2 reached it
  ASSERT_TRUE(store_.WriteEvents({Event(1, "alert.raised"), Event(2, "alert.resolved"), Event(3, "alert.raised")}).ok());
  sender_->Update({{"rx", hook_}}, /*holder=*/true);
  ASSERT_TRUE(Eventually([&] { return receiver_.requests().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(receiver_.requests().size(), 1u);
  EXPECT_EQ(receiver_.requests()[0].headers.at("idempotency-key"), "rx/3");
}

}  // namespace
}  // namespace rota
