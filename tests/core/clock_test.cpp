#include "core/clock.h"

#include <gtest/gtest.h>

namespace riposte {
namespace {

TEST(Clock, FormatsAndParsesIso8601) {
  EXPECT_EQ(formatIso8601Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatIso8601Millis(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(formatIso8601Millis(1700000000123, false), "2023-11-14T22:13:20Z");
  int64_t ms = 0;
  ASSERT_TRUE(parseIso8601("2023-11-14T22:13:20.123Z", ms));
  EXPECT_EQ(ms, 1700000000123);
  ASSERT_TRUE(parseIso8601("2023-11-14T23:13:20+01:00", ms));
  EXPECT_EQ(ms, 1700000000000);
  EXPECT_FALSE(parseIso8601("2023-11-14 22:13:20Z", ms));
  EXPECT_FALSE(parseIso8601("2023-11-14T22:13:20", ms));
  EXPECT_FALSE(parseIso8601("2023-13-14T22:13:20Z", ms));
}

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock c(1000);
  EXPECT_EQ(c.nowMillis(), 1000);
  c.advance(std::chrono::seconds(2));
  EXPECT_EQ(c.nowMillis(), 3000);
}

}  // namespace
}  // namespace riposte
