#include "asl/jsonpath.h"

#include <gtest/gtest.h>

#include "asl_test_util.h"

namespace riposte::asl {
namespace {
using testing::js;

json::value eval(std::string_view path, std::string_view doc) {
  auto p = JsonPath::parse(path);
  EXPECT_TRUE(p) << p.error().message;
  auto v = p->eval(js(doc));
  return v ? *v : json::value("<none>");
}

TEST(JsonPath, DefinitePaths) {
  const char* doc = R"({"a":{"b":[10,20,{"c":"x"}]},"k y":1,"n":null})";
  EXPECT_EQ(eval("$", doc), js(doc));
  EXPECT_EQ(eval("$.a.b[1]", doc), js("20"));
  EXPECT_EQ(eval("$.a.b[-1].c", doc), js("\"x\""));
  EXPECT_EQ(eval("$['k y']", doc), js("1"));
  EXPECT_EQ(eval("$[\"a\"]['b'][0]", doc), js("10"));
  EXPECT_EQ(eval("$.n", doc), js("null"));
  EXPECT_EQ(eval("$.a.b.length()", doc), js("3"));
  EXPECT_EQ(eval("$.missing", doc), js("\"<none>\""));
  EXPECT_EQ(eval("$.a.b[7]", doc), js("\"<none>\""));
}

TEST(JsonPath, IndefinitePathsReturnArrays) {
  const char* doc = R"({"items":[{"p":1,"t":"a"},{"p":5,"t":"b"},{"p":9}],"m":{"x":{"p":2}}})";
  EXPECT_EQ(eval("$.items[*].p", doc), js("[1,5,9]"));
  EXPECT_EQ(eval("$.items[0,2].p", doc), js("[1,9]"));
  EXPECT_EQ(eval("$.items[1:].p", doc), js("[5,9]"));
  EXPECT_EQ(eval("$.items[:-1].p", doc), js("[1,5]"));
  EXPECT_EQ(eval("$..p", doc), js("[1,5,9,2]"));
  EXPECT_EQ(eval("$.items[?(@.p > 3)].p", doc), js("[5,9]"));
  EXPECT_EQ(eval("$.items[?(@.t == 'b' || @.p == 1)].p", doc), js("[1,5]"));
  EXPECT_EQ(eval("$.items[?(@.t)].t", doc), js(R"(["a","b"])"));
  EXPECT_EQ(eval("$.items[?(!(@.t))].p", doc), js("[9]"));
  EXPECT_EQ(eval("$.nothing[*]", doc), js("[]"));
  EXPECT_EQ(eval("$.m.*.p", doc), js("[2]"));
}

TEST(JsonPath, Classification) {
  auto p = JsonPath::parse("$.a[0].b");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->definite());
  EXPECT_TRUE(p->isReference());
  EXPECT_FALSE(JsonPath::parse("$.a[*]")->definite());
  EXPECT_FALSE(JsonPath::parse("$..a")->isReference());
  EXPECT_EQ(JsonPath::parse("$$.Execution.Id")->root(), JsonPath::Root::Context);
  auto v = JsonPath::parse("$myVar.field");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->root(), JsonPath::Root::Variable);
  EXPECT_EQ(v->variable(), "myVar");
}

TEST(JsonPath, SyntaxErrorsNameTheOffset) {
  for (const char* bad : {"", "a.b", "$.a[", "$.a[?(@.x > )]", "$.a['x", "$.a..", "$.a[1:2:0]",
                          "$.length().x", "$.a]"}) {
    auto p = JsonPath::parse(bad);
    ASSERT_FALSE(p) << "accepted: " << bad;
    EXPECT_EQ(p.error().code, "InvalidPath");
    EXPECT_NE(p.error().message.find("offset"), std::string::npos);
  }
}

TEST(JsonPath, DeepFilterNestingIsAnErrorNotACrash) {
  std::string deep = "$.a[?(" + std::string(100000, '(') + "@.x" + std::string(100000, ')') + ")]";
  auto p = JsonPath::parse(deep);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("nested too deeply"), std::string::npos);
  std::string nots = "$.a[?(" + std::string(100000, '!') + "@.x)]";
  EXPECT_FALSE(JsonPath::parse(nots));
}

TEST(JsonPath, AssignCreatesObjectsAndRejectsWrongKinds) {
  json::value doc = js(R"({"a":{"x":1},"s":"str","arr":[1,2]})");
  EXPECT_TRUE(JsonPath::parse("$.a.b.c")->assign(doc, js("5")));
  EXPECT_EQ(doc.at("a"), js(R"({"x":1,"b":{"c":5}})"));
  EXPECT_TRUE(JsonPath::parse("$.arr[1]")->assign(doc, js("true")));
  EXPECT_EQ(doc.at("arr"), js("[1,true]"));
  EXPECT_FALSE(JsonPath::parse("$.s.x")->assign(doc, js("1")));
  EXPECT_FALSE(JsonPath::parse("$.arr[5]")->assign(doc, js("1")));
  EXPECT_FALSE(JsonPath::parse("$.a[*]")->assign(doc, js("1")));
}

TEST(JsonPath, EscapedQuotesInBracketNames) {
  EXPECT_EQ(eval(R"($['it\'s'])", R"({"it's":1})"), js("1"));
  EXPECT_EQ(eval(R"($['a\"b'])", R"({"a\\\"b":2})"), js("2"));
}

TEST(JsonEquals, NumbersCompareByValue) {
  EXPECT_TRUE(jsonEquals(js("1"), js("1.0")));
  EXPECT_TRUE(jsonEquals(js(R"({"a":[1,2]})"), js(R"({"a":[1.0,2]})")));
  EXPECT_FALSE(jsonEquals(js("1"), js("\"1\"")));
  EXPECT_FALSE(jsonEquals(js("[1]"), js("[1,2]")));
}

}  // namespace
}  // namespace riposte::asl
