#include "core/ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace riposte {
namespace {

TEST(Ids, UuidIsVersion4AndUnique) {
  std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto u = newUuid();
    EXPECT_TRUE(std::regex_match(u, re)) << u;
    EXPECT_TRUE(seen.insert(u).second);
  }
}

TEST(Ids, PrefixedIdsSortByTime) {
  auto a = newId("inc");
  EXPECT_EQ(a.rfind("inc-", 0), 0u);
  EXPECT_EQ(a.size(), 4u + 13 + 12);
}

}  // namespace
}  // namespace riposte
