#include "core/json.h"

#include <gtest/gtest.h>

namespace riposte {
namespace {

TEST(Json, ParsesAndFindsPaths) {
  auto v = parseJson(R"({"detail":{"severity":8.5,"resource":{"id":"i-1"}}})");
  ASSERT_TRUE(v) << v.error().str();
  EXPECT_EQ(stringAt(*v, "detail.resource.id"), "i-1");
  EXPECT_EQ(numberAt(*v, "detail.severity"), 8.5);
  EXPECT_EQ(findPath(*v, "detail.missing"), nullptr);
  EXPECT_EQ(stringAt(*v, "detail.severity"), std::nullopt);
}

TEST(Json, MalformedNamesLineAndColumn) {
  auto v = parseJson("{\n  \"a\": tru }");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "InvalidJson");
  EXPECT_NE(v.error().message.find("line 2"), std::string::npos) << v.error().message;
}

TEST(Json, RejectsTrailingGarbage) {
  auto v = parseJson(R"({"a":1} x)");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "InvalidJson");
}

TEST(Json, RejectsDeepNesting) {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto v = parseJson(deep, 64);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("nesting deeper than 64"), std::string::npos);
  EXPECT_TRUE(parseJson(deep, 200));
}

TEST(Json, PrettyRoundTrips) {
  auto v = parseJson(R"({"a":[1,2,{"b":null}],"c":{}})");
  ASSERT_TRUE(v);
  auto again = parseJson(toPrettyJson(*v));
  ASSERT_TRUE(again);
  EXPECT_EQ(*v, *again);
}

}  // namespace
}  // namespace riposte
