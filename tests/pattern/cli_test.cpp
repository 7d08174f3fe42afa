// The logic behind `riposte test-pattern` and `riposte match` (functions, not the binary).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/pattern_commands.h"

namespace riposte::cli {
namespace {
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("riposte-pattern-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name) << content;
    return (path_ / name).string();
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

TEST(TestPatternCommand, ExitCodesAndOutput) {
  std::ostringstream out, err;
  EXPECT_EQ(runTestPattern(R"({"a":["x"]})", R"({"a":"x"})", out, err), 0);
  EXPECT_EQ(out.str(), "true\n");
  out.str("");
  EXPECT_EQ(runTestPattern(R"({"a":["x"]})", R"({"a":"y"})", out, err), 1);
  EXPECT_EQ(out.str(), "false\n");
  out.str("");
  EXPECT_EQ(runTestPattern(R"({"a":[]})", R"({"a":"y"})", out, err), 2);
  EXPECT_EQ(err.str(), "Event pattern is not valid. Reason: Empty arrays are not allowed\n");
  EXPECT_EQ(out.str(), "");
}

TEST(TestPatternCommand, ReadsFiles) {
  TempDir d;
  std::string p = d.write("p.json", R"({"detail":{"n":[{"numeric":[">",1]}]}})");
  std::string e = d.write("e.json", R"({"detail":{"n":2}})");
  std::ostringstream out, err;
  EXPECT_EQ(runTestPattern(p, e, out, err), 0);
  EXPECT_EQ(runTestPattern(d.str() + "/missing.json", e, out, err), 2);
}

TEST(LoadRules, YamlDirectoryJsonStringsAndDisabledRules) {
  TempDir d;
  d.write("a.yaml",
          "name: ssh\nevent_pattern:\n  source: [aws.guardduty]\n  detail:\n    severity:\n"
          "      - numeric: ['>=', 7]\n    flag: [true, 'true', 012]\n");
  d.write("b.yml", "name: json-string\nevent_pattern: '{\"source\":[\"x\"]}'\n");
  d.write("c.yaml", "name: off\nenabled: false\nevent_pattern: {source: [y]}\n");
  d.write("ignored.txt", "not a rule");
  auto rules = loadRules(d.str());
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].name, "ssh");
  EXPECT_EQ(
      (*rules)[0].pattern_json,
      R"({"source":["aws.guardduty"],"detail":{"severity":[{"numeric":[">=",7]}],"flag":[true,"true","012"]}})");
  EXPECT_EQ((*rules)[1].pattern_json, R"({"source":["x"]})");
}

TEST(LoadRules, JsonLines) {
  TempDir d;
  std::string f = d.write("rules.jsonl",
                          "{\"name\":\"a\",\"pattern\":{\"x\":[1]}}\n\n"
                          "{\"name\":\"b\",\"pattern\":\"{\\\"y\\\":[2]}\"}\n");
  auto rules = loadRules(f);
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].pattern_json, R"({"x":[1]})");
  EXPECT_EQ((*rules)[1].pattern_json, R"({"y":[2]})");
  std::string bad = d.write("bad.jsonl", "{\"pattern\":{}}\n");
  EXPECT_FALSE(loadRules(bad));
}

TEST(MatchCommand, OneLinePerEventInOrderWithStats) {
  TempDir d;
  std::string rules = d.write("rules.jsonl",
                              "{\"name\":\"a\",\"pattern\":{\"x\":[1]}}\n"
                              "{\"name\":\"b\",\"pattern\":{\"x\":[{\"numeric\":[\">\",0]}]}}\n"
                              "{\"name\":\"a\",\"pattern\":{\"y\":[\"z\"]}}\n");
  std::string events;
  for (int i = 0; i < 1000; ++i) events += "{\"x\":" + std::to_string(i % 3) + ",\"y\":\"z\"}\n";
  events += "not json\n";
  std::string ev = d.write("events.jsonl", events);
  std::ostringstream out, err;
  MatchOptions o;
  o.stats = true;
  o.threads = 3;
  ASSERT_EQ(runMatch(rules, ev, o, nullptr, out, err), 0) << err.str();
  std::istringstream lines(out.str());
  std::string line;
  std::vector<std::string> got;
  while (std::getline(lines, line)) got.push_back(line);
  ASSERT_EQ(got.size(), 1001u);
  EXPECT_EQ(got[0], R"({"line":1,"matches":["a"]})");
  EXPECT_EQ(got[1], R"({"line":2,"matches":["a","b"]})");
  EXPECT_EQ(got[2], R"({"line":3,"matches":["b","a"]})");
  EXPECT_EQ(got[1000].rfind(R"({"line":1001,"error":)", 0), 0u);
  EXPECT_NE(err.str().find("\"events\":1001"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("\"b\":666"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("\"a\":1333"), std::string::npos) << err.str();
}

TEST(MatchCommand, InvalidRuleIsExit2) {
  TempDir d;
  std::string rules = d.write("r.yaml", "name: bad\nevent_pattern: {x: []}\n");
  std::ostringstream out, err;
  std::istringstream in("{}\n");
  EXPECT_EQ(runMatch(rules, "-", MatchOptions{}, &in, out, err), 2);
  EXPECT_NE(err.str().find("Empty arrays are not allowed"), std::string::npos);
}

}  // namespace
}  // namespace riposte::cli
