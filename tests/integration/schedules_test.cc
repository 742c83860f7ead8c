// Periodic schedules through a real server (issue 11). So far: previewing when an expression
// not yet saved would fire, `GET /v1/schedules/preview` and `rota schedules next`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/farm.h"

namespace rota::testing {
namespace {

using ::testing::HasSubstr;

TEST(SchedulesTest, PreviewGivesUtcLocalTimesAndDstNotes) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  const nlohmann::json j = farm.GetJson(
      "/v1/schedules/preview?cron=30%202%20*%20*%20*&timezone=Europe/Berlin&n=2&from=2026-03-28T12:00:00Z");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["timezone"], "Europe/Berlin");
  EXPECT_EQ(j["next"], nlohmann::json::array({"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  EXPECT_EQ(j["local"], nlohmann::json::array({"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}));
  EXPECT_THAT(j["notes"][0].get<std::string>(), HasSubstr("runs at 03:00, when the gap ends"));
  EXPECT_EQ(j["notes"][1], "");

  const Outcome table = farm.Client({"schedules", "next", "--calendar", "Sat 18:15 America/New_York", "-n", "1",
                                     "--from", "2026-11-01T00:00:00Z"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(table.out,
            "LOCAL (America/New_York)   UTC\n"
            "2026-11-07T18:15:00-05:00  2026-11-07T23:15:00Z\n");
}

TEST(SchedulesTest, ABadExpressionIsA400NamingTheProblem) {
  Farm farm;
  ASSERT_TRUE(farm.StartServer());
  const HttpReply cron = farm.Http("GET", "/v1/schedules/preview?cron=0%2025%20*%20*%20*");
  EXPECT_EQ(cron.status, 400);
  EXPECT_THAT(cron.body, HasSubstr("\"code\":\"invalid_cron\""));
  EXPECT_THAT(cron.body, HasSubstr("hour 25 is out of range 0-23"));
  EXPECT_EQ(farm.Http("GET", "/v1/schedules/preview?cron=@daily&timezone=Europe/Berln").status, 400);
  EXPECT_EQ(farm.Http("GET", "/v1/schedules/preview").status, 400);
  EXPECT_EQ(farm.Http("GET", "/v1/schedules/preview?cron=@daily&n=0").status, 400);
  EXPECT_EQ(farm.Http("POST", "/v1/schedules/preview?cron=@daily").status, 405);

  const Outcome pbs = farm.Client({"schedules", "next", "--calendar", "mon..fri 8..17/2"});
  EXPECT_EQ(pbs.exit_code, 2);
  EXPECT_THAT(pbs.err, HasSubstr("Did you mean \"mon..fri 8..17/2:00\""));
}

}  // namespace
}  // namespace rota::testing
