#include "core/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

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

// One reading of a document: a duplicated member name is an error wherever it is, however it
// is spelled (escapes), and only within one object.
TEST(Json, RejectsDuplicateMemberNames) {
  for (const char* bad : {R"({"a":1,"a":2})", R"({"detail":{"severity":2,"severity":9}})",
                          R"({"a":1,"\u0061":2})", R"([{"x":{"y":[{"k":1,"k":1}]}}])", R"({"":1,"":2})"}) {
    auto v = parseJson(bad);
    ASSERT_FALSE(v) << bad;
    EXPECT_EQ(v.error().code, "InvalidJson");
    EXPECT_NE(v.error().message.find("duplicate member name"), std::string::npos)
        << v.error().message;
  }
  auto bad = parseJson(R"({"detail":{"severity":2,"severity":9}})");
  EXPECT_NE(bad.error().message.find("\"severity\""), std::string::npos);
  // The same name in sibling and nested objects is fine.
  auto ok = parseJson(R"({"a":{"a":1},"b":{"a":2},"c":[{"a":1},{"a":2}]})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->at("b").at("a").as_int64(), 2);
  // A large object: every name checked (in linear time), a late duplicate found.
  std::string big = "{";
  for (int i = 0; i < 20000; ++i) big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  std::string good = big + "\"last\":0}";
  auto g = parseJson(good);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->as_object().size(), 20001u);
  EXPECT_FALSE(parseJson(big + "\"k17\":0}"));
  EXPECT_FALSE(parseJson(big + "\"k19999\":0}"));
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

// Boost 1.81's own text-to-double conversion is off by one ulp for many texts, among them the
// shortest ones serialize() writes: a double read from a snapshot, a blob or a stored record
// must be the one written (found by fuzz_asl_load: a Map result chunk read back from its blob
// differed from the result in memory).
TEST(Json, DoublesAreTheNearestToTheirText) {
  auto v = parseJson(R"({"x":1.3555555555555555E29,"y":[-1.6627610931648925E2],"z":0.1})");
  ASSERT_TRUE(v) << v.error().str();
  EXPECT_EQ(v->at("x").as_double(), 1.3555555555555555e29);
  EXPECT_EQ(v->at("y").at(0).as_double(), -166.27610931648925);
  EXPECT_EQ(v->at("z").as_double(), 0.1);
  // A number that ends the document (read in two parts by the streaming parser).
  auto whole = parseJson("1.3555555555555555E29");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->as_double(), 1.3555555555555555e29);
  // Integers keep their kinds; beyond 64 bits they are doubles.
  auto ints = parseJson("[-9223372036854775808,18446744073709551615,18446744073709551616,-0]");
  ASSERT_TRUE(ints);
  EXPECT_EQ(ints->at(0).as_int64(), INT64_MIN);
  EXPECT_EQ(ints->at(1).as_uint64(), UINT64_MAX);
  EXPECT_EQ(ints->at(2).as_double(), 18446744073709551616.0);
  EXPECT_EQ(ints->at(3).as_int64(), 0);
  auto neg_zero = parseJson("-0.0");
  ASSERT_TRUE(neg_zero);
  EXPECT_TRUE(std::signbit(neg_zero->as_double()));
}

TEST(Json, RandomDoublesSurviveTheirOwnSerialization) {
  std::mt19937_64 rng(3);
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    json::object o;
    o["d"] = d;
    const std::string text = toJson(json::value(std::move(o)));
    auto back = parseJson(text);
    ASSERT_TRUE(back) << text;
    ASSERT_EQ(back->at("d").as_double(), d) << text;
    ++checked;
  }
  EXPECT_GT(checked, 19000);
}

}  // namespace
}  // namespace riposte

namespace riposte {
namespace {

// A number beyond a double's range has no value JSON could write back: refused, with the
// position, rather than kept as an infinity a snapshot could not restore. An underflow is 0.
TEST(Json, NumbersBeyondADoublesRangeAreRefused) {
  for (const char* text : {R"({"x":1e400})", R"([1, -2.5e309])", R"({"a":{"b":[1E999]}})"}) {
    auto v = parseJson(text);
    ASSERT_FALSE(v) << text;
    EXPECT_NE(v.error().message.find("exponent"), std::string::npos) << v.error().message;
  }
  auto tiny = parseJson(R"({"x":1e-400})");
  ASSERT_TRUE(tiny);
  EXPECT_EQ(tiny->at("x").as_double(), 0.0);
  auto big = parseJson(R"({"x":1.7976931348623157e308})");
  ASSERT_TRUE(big);
  EXPECT_EQ(parseJson(toJson(*big))->at("x"), big->at("x"));
}

}  // namespace
}  // namespace riposte
