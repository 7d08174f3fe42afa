// Reading YAML and JSON with the position of every value, locating paths, ${VAR} expansion.
#include "config/document.h"

#include <gtest/gtest.h>

#include "config/expand.h"

namespace riposte::config {
namespace {

std::string at(const Document& d, const std::string& path, bool key = false) {
  Mark m = d.locate(path, key);
  return std::to_string(m.line) + ":" + std::to_string(m.column);
}

TEST(Yaml, EveryValueHasItsPosition) {
  std::vector<Located> p;
  auto d = readYaml("a:\n  b: [1, 'x', {c: true}]\n  d:\n    - e: null\n", "f.yaml", p);
  ASSERT_TRUE(d);
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(at(*d, "a"), "2:3");
  EXPECT_EQ(at(*d, "a.b"), "2:6");
  EXPECT_EQ(at(*d, "a.b[1]"), "2:10");
  EXPECT_EQ(at(*d, "a.b[2].c"), "2:19");
  EXPECT_EQ(at(*d, "a.b[2].c", true), "2:16");
  EXPECT_EQ(at(*d, "a.d[0].e"), "4:10");
  // Beyond the document: the deepest value on the way.
  EXPECT_EQ(at(*d, "a.d[0].missing"), "4:7");
  EXPECT_EQ(at(*d, "a.b[9]"), "2:6");
}

TEST(Yaml, ScalarsAreTypedStrictly) {
  std::vector<Located> p;
  auto d = readYaml(
      "t: true\nT: True\ny: yes\nn: null\ne:\ni: -7\nz: 007\nf: 1.5\ns: '12'\nh: 0x1f\nb: 1e3\n",
      "f.yaml", p);
  ASSERT_TRUE(d);
  const auto& o = d->value.get_object();
  EXPECT_EQ(o.at("t"), json::value(true));
  EXPECT_EQ(o.at("T"), json::value("True"));
  EXPECT_EQ(o.at("y"), json::value("yes"));
  EXPECT_TRUE(o.at("n").is_null());
  EXPECT_TRUE(o.at("e").is_null());
  EXPECT_EQ(o.at("i"), json::value(-7));
  EXPECT_EQ(o.at("z"), json::value(7));
  EXPECT_EQ(o.at("f"), json::value(1.5));
  EXPECT_EQ(o.at("s"), json::value("12"));
  EXPECT_EQ(o.at("h"), json::value("0x1f"));
  EXPECT_EQ(o.at("b"), json::value(1000.0));
}

TEST(Yaml, DuplicateKeysAndSyntaxErrorsAreLocated) {
  std::vector<Located> p;
  auto d = readYaml("a: 1\nb: 2\na: 3\n", "f.yaml", p);
  ASSERT_TRUE(d);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].str(), "f.yaml:3:1: a: duplicate key 'a'");
  p.clear();
  EXPECT_FALSE(readYaml("a: [1, 2\nb: 3\n", "f.yaml", p));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].str().rfind("f.yaml:2:", 0), 0u) << p[0].str();
  p.clear();
  readYaml("a: 1\n---\nb: 2\n", "f.yaml", p);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].message.find("one YAML document"), std::string::npos);
}

TEST(Json, EveryValueHasItsPosition) {
  std::vector<Located> p;
  const std::string text =
      "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A.b c\": {\n      \"Type\": \"Pass\",\n"
      "      \"Parameters\": {\"x.$\": \"$$.bad\"},\n      \"End\": true\n    }\n  }\n}\n";
  auto d = readJson(text, "p.asl.json", p);
  ASSERT_TRUE(d);
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(at(*d, "$.StartAt"), "2:14");
  EXPECT_EQ(at(*d, "$.States.A.b c.Type"), "5:15");
  EXPECT_EQ(at(*d, "$.States.A.b c.Parameters.x.$"), "6:29");
  EXPECT_EQ(at(*d, "$.States.A.b c.End", true), "7:7");
}

TEST(Json, StrictWithPositions) {
  for (const auto& [text, where] : std::vector<std::pair<std::string, std::string>>{
           {"{\"a\": 1,}", "1:9"},
           {"{\"a\": 01}", "1:8"},
           {"[1,\n 2,\n x]", "3:2"},
           {"{\"a\": \"\\q\"}", "1:10"},
           {"\"abc", "1:5"},
           {"{} {}", "1:4"},
           {"{\"a\": \"\\ud800\"}", "1:14"},
       }) {
    std::vector<Located> p;
    EXPECT_FALSE(readJson(text, "x.json", p)) << text;
    ASSERT_EQ(p.size(), 1u) << text;
    EXPECT_EQ(std::to_string(p[0].at.line) + ":" + std::to_string(p[0].at.column), where)
        << text << " → " << p[0].str();
  }
  std::vector<Located> p;
  auto d = readJson("{\"a\": \"\\u00e9\\ud83d\\ude00\", \"b\": -1.5e2, \"a\": 2}", "x.json", p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value.at("a"), json::value("é😀"));
  EXPECT_EQ(d->value.at("b"), json::value(-150.0));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].str(), "x.json:1:42: a: duplicate key 'a'");
}

TEST(Expand, OnceWithDefaultsAndErrors) {
  Environment env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "A") return "1";
    if (n == "LOOP") return "${A}";
    if (n == "EMPTY") return "";
    return std::nullopt;
  };
  auto e = expand("x${A}y${B:-d}z${C}${EMPTY}", env);
  EXPECT_EQ(e.text, "x1ydz");
  EXPECT_TRUE(e.expanded);
  EXPECT_EQ(e.unset, (std::vector<std::string>{"C", "EMPTY"}));
  EXPECT_EQ(expand("${LOOP}", env).text, "${A}");
  EXPECT_EQ(expand("cost $5 ${B:-}", env).text, "cost $5 ");
  EXPECT_FALSE(expand("plain", env).expanded);
  EXPECT_NE(expand("${A", env).error, "");
  EXPECT_NE(expand("${1A}", env).error, "");
  EXPECT_NE(expand("${A:-${B}}", env).error, "");
}

TEST(Expand, InDocuments) {
  ::setenv("RIPOSTE_DOC_TEST", "v", 1);
  ::unsetenv("RIPOSTE_DOC_UNSET");
  std::vector<Located> p;
  auto d = readYaml("a: ${RIPOSTE_DOC_TEST}\nb: [\"${RIPOSTE_DOC_UNSET}\"]\nc: ${X\n", "f.yaml", p);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->value.at("a"), json::value("v"));
  EXPECT_TRUE(d->find("a").expanded);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].str(), "f.yaml:3:4: c: unterminated '${' (write ${NAME} or ${NAME:-default})");
  std::vector<Located> unset;
  d->unsetProblems(unset);
  ASSERT_EQ(unset.size(), 1u);
  EXPECT_EQ(unset[0].str().rfind("f.yaml:2:5: b[0]: environment variable RIPOSTE_DOC_UNSET", 0), 0u)
      << unset[0].str();
  ::unsetenv("RIPOSTE_DOC_TEST");
}

}  // namespace
}  // namespace riposte::config
