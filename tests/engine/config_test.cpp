#include "engine/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

class ConfigDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    fs::create_directories(dir_ / "playbooks");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  Result<Config> load(std::vector<Problem>& problems, Checkers c = {}) {
    return loadConfig(dir_.string(), c, problems);
  }
  fs::path dir_;
};

const char* kPlaybook = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})";

TEST_F(ConfigDir, LoadsRulesPlaybooksAndSettings) {
  ::setenv("RIPOSTE_TEST_TOPIC", "arn:aws:sns:us-east-1:1:t", 1);
  write("riposte.yaml", R"(
store: ${RIPOSTE_TEST_STORE:-sqlite:///tmp/x.db}
listen: 127.0.0.1:9999
notifications:
  sns_topic_arn: ${RIPOSTE_TEST_TOPIC}
safety:
  dry_run: true
  protected_tag: keep=yes
)");
  write("playbooks/contain.asl.json", kPlaybook);
  write("rules/high.yaml", R"(
name: high
description: d
playbook: contain
event_pattern:
  source: ["aws.guardduty"]
  detail:
    severity: [{"numeric": [">=", 7]}]
    flag: ["7", true, null, 1.5]
)");
  std::vector<Problem> problems;
  auto cfg = load(problems);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(cfg->store_url, "sqlite:///tmp/x.db");
  EXPECT_EQ(cfg->listen, "127.0.0.1:9999");
  EXPECT_EQ(cfg->sns_topic_arn, "arn:aws:sns:us-east-1:1:t");
  EXPECT_TRUE(cfg->safety.dry_run);
  EXPECT_EQ(cfg->safety.protected_tag_key, "keep");
  EXPECT_EQ(cfg->safety.protected_tag_value, "yes");
  ASSERT_EQ(cfg->rules.size(), 1u);
  const auto& r = cfg->rules[0];
  EXPECT_EQ(r.name, "high");
  EXPECT_EQ(r.playbook, "contain");
  // YAML scalars keep their JSON types: quoted "7" is a string, 7 a number, true a boolean.
  auto flag = r.pattern.at("detail").at("flag").as_array();
  EXPECT_TRUE(flag[0].is_string());
  EXPECT_TRUE(flag[1].is_bool());
  EXPECT_TRUE(flag[2].is_null());
  EXPECT_TRUE(flag[3].is_double());
  EXPECT_TRUE(
      r.pattern.at("detail").at("severity").as_array()[0].at("numeric").as_array()[1].is_int64());
  ASSERT_EQ(cfg->playbooks.count("contain"), 1u);
}

TEST_F(ConfigDir, ReportsEveryProblemWithFileLineAndPath) {
  write("playbooks/ok.asl.json", kPlaybook);
  write("playbooks/broken.asl.json", "{\"StartAt\": ");
  write("rules/a.yaml", "name: a\nplaybook: nope\nevent_pattern:\n  source: [\"x\"]\n");
  write("rules/b.yaml", "name: b\nevent_pattern:\n  source: []\n");
  write("rules/c.yaml", "description: no name\nevent_pattern: {}\n");
  write("rules/d.yaml", "name: d\nevent_pattern: [\n");
  Checkers c;
  c.pattern = [](const std::string& p) -> std::string {
    return p.find("[]") != std::string::npos ? "Empty arrays are not allowed" : "";
  };
  std::vector<Problem> problems;
  auto cfg = load(problems, c);
  ASSERT_FALSE(cfg);
  std::string all;
  for (const auto& p : problems) all += p.str() + "\n";
  EXPECT_NE(all.find("playbooks/broken.asl.json"), std::string::npos) << all;
  EXPECT_NE(all.find("rules/a.yaml:2: error: playbook: unknown playbook 'nope' (known: ok)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/b.yaml:2: error: event_pattern: Event pattern is not valid. Reason: "
                     "Empty arrays are not allowed"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/c.yaml: error: name: missing rule name"), std::string::npos) << all;
  EXPECT_NE(all.find("rules/d.yaml"), std::string::npos) << all;
  EXPECT_GE(problems.size(), 5u);
}

TEST_F(ConfigDir, DuplicateRuleNamesAndMissingDirectory) {
  write("rules/a.yaml",
        "- name: x\n  event_pattern: {source: [a]}\n- name: x\n  event_pattern: {source: [b]}\n");
  std::vector<Problem> problems;
  EXPECT_FALSE(load(problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].message.find("duplicate rule name 'x'"), std::string::npos);

  std::vector<Problem> p2;
  EXPECT_FALSE(loadConfig("/nonexistent/riposte", {}, p2));
  EXPECT_EQ(p2.size(), 1u);
}

TEST_F(ConfigDir, AccountsMapAccountIdsToRoles) {
  write("riposte.yaml", R"(
aws:
  accounts:
    "222222222222": {role_arn: "arn:aws:iam::222222222222:role/r", external_id: x}
    "12": {role_arn: "arn:aws:iam::12:role/r"}
    "333333333333": {}
)");
  std::vector<Problem> problems;
  EXPECT_FALSE(load(problems));
  std::string all;
  for (const auto& p : problems) all += p.str() + "\n";
  EXPECT_NE(all.find("aws.accounts.12: an account id is 12 digits"), std::string::npos) << all;
  EXPECT_NE(all.find("aws.accounts.333333333333: needs a role_arn"), std::string::npos) << all;
  write("riposte.yaml",
        "aws:\n  accounts:\n    \"222222222222\": {role_arn: "
        "\"arn:aws:iam::222222222222:role/r\"}\n");
  problems.clear();
  auto cfg = load(problems);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_EQ(cfg->accounts.at("222222222222").role_arn, "arn:aws:iam::222222222222:role/r");
}

TEST_F(ConfigDir, PlaybooksMapDeclaresAPlaybookDryRun) {
  write("playbooks/contain.asl.json", kPlaybook);
  write("playbooks/notify.asl.json", kPlaybook);
  ::setenv("RIPOSTE_TEST_PB_DRY", "true", 1);
  write("playbooks/other.asl.json", kPlaybook);
  write("riposte.yaml", R"(
# playbooks: a comment that must not be mistaken for the key
safety:
  dry_run: ${RIPOSTE_TEST_UNSET_DRY:-false}
playbooks:
  contain: {dry_run: true}
  notify:
    dry_run: false
  other:
    dry_run: ${RIPOSTE_TEST_PB_DRY:-false}
)");
  std::vector<Problem> problems;
  auto cfg = load(problems);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_TRUE(problems.empty());
  EXPECT_TRUE(cfg->playbooks.at("contain").dry_run);
  EXPECT_FALSE(cfg->playbooks.at("notify").dry_run);
  // ${VAR} expansion leaves "true"/"false" strings: read as the booleans they spell.
  EXPECT_TRUE(cfg->playbooks.at("other").dry_run);
  EXPECT_FALSE(cfg->safety.dry_run);
  ::setenv("RIPOSTE_TEST_UNSET_DRY", "true", 1);
  auto again = load(problems);
  ::unsetenv("RIPOSTE_TEST_UNSET_DRY");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->safety.dry_run);  // safety.dry_run: ${RIPOSTE_DRY_RUN:-false} works too
  // The playbook document itself is untouched: still the plain ASL definition.
  EXPECT_EQ(cfg->playbooks.at("contain").definition_json, json::serialize(*parseJson(kPlaybook)));
}

TEST_F(ConfigDir, PlaybooksMapProblemsNameFileLineAndPath) {
  write("playbooks/contain.asl.json", kPlaybook);
  write("riposte.yaml", R"(listen: 127.0.0.1:1
playbooks:
  contain:
    dry_run: "yes"
    approve: true
  contian: {dry_run: true}
)");
  std::vector<Problem> problems;
  EXPECT_FALSE(load(problems));
  std::string all;
  for (const auto& p : problems) all += p.str() + "\n";
  EXPECT_NE(all.find("riposte.yaml:4: error: playbooks.contain.dry_run: must be true or false"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("riposte.yaml:5: error: playbooks.contain.approve: unknown playbook setting "
                     "'approve' (known: dry_run)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("riposte.yaml:6: error: playbooks.contian: unknown playbook 'contian' "
                     "(known: contain)"),
            std::string::npos)
      << all;
  EXPECT_EQ(problems.size(), 3u) << all;

  write("riposte.yaml", "playbooks: [contain]\n");
  problems.clear();
  EXPECT_FALSE(load(problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].str(),
            "riposte.yaml:1: error: playbooks: must map playbook names to their settings "
            "({dry_run: true})");
}

TEST_F(ConfigDir, ReadsSuppressionsFromPolicies) {
  fs::create_directories(dir_ / "policies");
  write("policies/quiet.yaml", R"(suppressions:
  - name: pentest-q4
    reason: Scheduled penetration test
    owner: secops@example.com
    expires: 2026-12-31T00:00:00Z
    match:
      pattern: {detail: {type: [{prefix: "Recon:EC2/"}]}}
      scope:
        accounts: ["111122223333"]
)");
  std::vector<Problem> problems;
  auto cfg = load(problems);
  ASSERT_TRUE(cfg) << cfg.error().message;
  ASSERT_EQ(cfg->suppressions.size(), 1u);
  EXPECT_EQ(cfg->suppressions[0].name, "pentest-q4");
  EXPECT_FALSE(cfg->suppressions[0].guardduty_archive);
  EXPECT_EQ(cfg->suppressions[0].scope.accounts, std::vector<std::string>{"111122223333"});
  EXPECT_EQ(cfg->suppression_files.at("pentest-q4"), "policies/quiet.yaml");
}

TEST_F(ConfigDir, PolicyProblemsNameFileLineAndPath) {
  fs::create_directories(dir_ / "policies");
  write("policies/a.yaml", R"(suppressions:
  - name: one
    reason: r
    owner: o
    match:
      scope: {regions: [us-east-1]}
  - name: two
    reason: r
    owner: o
    expires: next week
    match:
      scope: {regions: [us-east-1]}
limts: {}
)");
  write("policies/b.yaml", R"(suppressions:
  - name: one
    reason: r
    owner: o
    match:
      scope: {accounts: ["1"]}
  - name: one
    reason: r
    owner: o
    match:
      scope: {regions: [us-east-2]}
)");
  std::vector<Problem> problems;
  auto cfg = load(problems);
  ASSERT_FALSE(cfg);
  std::vector<std::string> got;
  for (const auto& p : problems) got.push_back(p.str());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "policies/a.yaml:10:5: error: suppressions[1].expires: 'next week' is not a "
                     "duration: write a whole number and a unit, d (days), h (hours) or m "
                     "(minutes): 7d, 12h, 30m",
                     "policies/a.yaml:13:1: error: limts: unknown policy section 'limts' (known: "
                     "suppressions, limits, breaker, scope)",
                     "policies/b.yaml:6:26: error: suppressions[0].match.scope.accounts[0]: '1' "
                     "is not an account id (12 digits)",
                     "policies/b.yaml:7:5: error: suppressions[1].name: duplicate suppression name "
                     "'one' (also in policies/a.yaml)"}));
}

TEST(ExpandEnv, DefaultsAndUnset) {
  ::setenv("RIPOSTE_X", "1", 1);
  ::unsetenv("RIPOSTE_UNSET");
  std::vector<std::string> unset;
  EXPECT_EQ(expandEnv("a${RIPOSTE_X}b${RIPOSTE_UNSET:-d}c${RIPOSTE_UNSET}", &unset), "a1bdc");
  ASSERT_EQ(unset.size(), 1u);
  EXPECT_EQ(unset[0], "RIPOSTE_UNSET");
  EXPECT_EQ(expandEnv("no vars $ here"), "no vars $ here");
}

TEST(YamlToJson, ReportsPosition) {
  auto r = yamlToJson("a: [1, 2\nb: 3\n", "f.yaml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("f.yaml:"), std::string::npos);
}

}  // namespace
}  // namespace riposte::engine
