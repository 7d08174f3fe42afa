// Replays the 155 cases recorded against real Amazon EventBridge (TestEventPattern), read at
// test time from ../shared/conformance/eventbridge-patterns.jsonl beside the checkout.

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "pattern/pattern.h"
#include "pattern/pattern_json.h"

namespace riposte::pattern {
namespace {

const PValue* member(const PValue& obj, std::string_view key) {
  for (const auto& [k, v] : obj.members)
    if (k == key) return &v;
  return nullptr;
}

TEST(Conformance, AllAwsRecordedCasesPass) {
  const std::string path =
      std::string(RIPOSTE_SOURCE_DIR) + "/../shared/conformance/eventbridge-patterns.jsonl";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "conformance corpus missing: " << path
                         << " (CI must have ../shared beside the checkout)";
  std::string line;
  int ran = 0, errors = 0, matched = 0, unmatched = 0, variants = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto row = parsePatternJson(line, 256);
    ASSERT_TRUE(row) << row.error().message;
    const std::string name = member(*row, "name")->text;
    const std::string expect = member(*row, "expect")->text;
    const std::string pattern = toJsonText(*member(*row, "pattern"));
    const std::string event = toJsonText(*member(*row, "event"));
    SCOPED_TRACE(name + ": " + pattern);
    ++ran;
    if (expect == "error") {
      ++errors;
      auto v = validatePattern(pattern);
      EXPECT_FALSE(v) << "accepted an invalid pattern";
      if (v) continue;
      EXPECT_EQ(v.error().code, "InvalidEventPattern");
      EXPECT_EQ("Event pattern is not valid. Reason: " + v.error().message,
                member(*row, "aws_error")->text);
      continue;
    }
    auto m = matches(pattern, event);
    ASSERT_TRUE(m) << m.error().str();
    EXPECT_EQ(*m, expect == "match");
    // The same event with an unvisited container as its last member (the walk stops there
    // without skipping it), and with a scalar after it (the container is skipped): neither
    // may change the outcome.
    if (event.size() > 2 && event.back() == '}') {
      std::string body = event.substr(0, event.size() - 1);
      std::string sep = body.find_last_not_of(" \n\t\r") == body.find('{') ? "" : ",";
      const std::string tail = R"("riposte~tail":{"a":[1,{"b":"]}\"{["}],"c":{"d":[[]]}})";
      for (const std::string& variant :
           {body + sep + tail + "}", body + sep + tail + R"(,"riposte~after":0})"}) {
        auto mv = matches(pattern, variant);
        ASSERT_TRUE(mv) << variant << ": " << mv.error().str();
        EXPECT_EQ(*mv, expect == "match") << variant;
        ++variants;
      }
    }
    (expect == "match" ? matched : unmatched)++;
  }
  std::cout << "[conformance] ran " << ran << " AWS-recorded cases (" << matched << " match, "
            << unmatched << " nomatch, " << errors << " error) from " << path << "; " << variants
            << " variants with a trailing unvisited container\n";
  EXPECT_EQ(ran, 155);
}

}  // namespace
}  // namespace riposte::pattern
