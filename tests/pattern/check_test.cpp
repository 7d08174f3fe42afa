// pattern::checkPattern: every problem of a pattern with its path inside it (validatePattern
// stops at the first).
#include <gtest/gtest.h>

#include "pattern/pattern.h"

namespace riposte::pattern {
namespace {

std::string all(std::string_view p) {
  std::string out;
  for (const auto& x : checkPattern(p)) out += x.path + ": " + x.message + "\n";
  return out;
}

TEST(CheckPattern, ValidPatternsHaveNoProblem) {
  EXPECT_EQ(all(R"({"source":["aws.guardduty"],"detail":{"severity":[{"numeric":[">=",7]}]}})"),
            "");
  EXPECT_EQ(all(R"({"$or":[{"a":["x"]},{"b":[1]}]})"), "");
}

TEST(CheckPattern, EveryProblemWithItsPath) {
  EXPECT_EQ(all(R"({"source":[],"detail":{"severity":[1,{"numeric":[">",5,"<",1]}],"type":"x"}})"),
            "source: Empty arrays are not allowed\n"
            "detail.severity[1]: Bottom must be less than top\n"
            "detail.type: \"type\" must be an object or an array\n");
  EXPECT_EQ(all(R"({"$or":[{"a":[{"prefix":1}]},3]})"),
            "$or[0].a[0]: prefix match pattern must be a string\n"
            "$or[1]: Only JSON object is allowed in array of $or relationship.\n");
}

TEST(CheckPattern, TheFirstProblemIsValidatePatterns) {
  for (const char* p : {R"({"a":[],"b":{}})", R"({"a":[{"wildcard":"**"}],"b":"x"})", "[1]",
                        R"({"a":)", R"({"a":[{"numeric":["<"]}],"b":[{"exists":2}]})"}) {
    auto problems = checkPattern(p);
    auto v = validatePattern(p);
    ASSERT_FALSE(v) << p;
    ASSERT_FALSE(problems.empty()) << p;
    EXPECT_EQ(problems[0].message, v.error().message) << p;
  }
}

}  // namespace
}  // namespace riposte::pattern
