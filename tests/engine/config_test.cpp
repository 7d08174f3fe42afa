// The configuration loader (engine/config.h) on src/config: every file read with positions,
// each section held to its schema, every problem of every file located at the offending value.
#include "engine/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;
using config::Field;
using config::Schema;

class ConfigDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    fs::create_directories(dir_ / "playbooks");
    // A sink type and a source type, as their modules register them.
    ASSERT_TRUE(registry_.addType("sink", "file",
                                  Schema::object({Field("name", Schema::string("n")).needed(),
                                                  Field("path", Schema::string("p")).needed()},
                                                 "a file")));
    ASSERT_TRUE(registry_.addType(
        "source", "sqs",
        Schema::object({Field("queue_url", Schema::url({"https", "http"}, "q")).needed(),
                        Field("region", Schema::string("r")),
                        Field("wait_seconds", Schema::integer(0, 20, "w")).byDefault(20)},
                       "queues")));
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  Result<Config> load(std::vector<Problem>& problems) {
    Checkers c;
    c.registry = &registry_;
    c.known_resource = [](std::string_view r) {
      return r.starts_with("riposte:") || r.starts_with("arn:aws:states:::http:invoke");
    };
    return loadConfig(dir_.string(), c, problems);
  }
  // Every problem, one a line.
  std::string problems() {
    std::vector<Problem> ps;
    (void)load(ps);
    std::string s;
    for (const auto& p : ps) s += p.str() + "\n";
    return s;
  }
  fs::path dir_;
  config::Registry registry_;
};

const char* kPlaybook = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})";

TEST_F(ConfigDir, LoadsRulesPlaybooksAndSettings) {
  ::setenv("RIPOSTE_TEST_TOPIC", "arn:aws:sns:us-east-1:111122223333:t", 1);
  write("riposte.yaml", R"(
store: ${RIPOSTE_TEST_STORE:-sqlite:///tmp/x.db}
listen: 127.0.0.1:9999
notifications:
  sns_topic_arn: ${RIPOSTE_TEST_TOPIC}
safety:
  dry_run: true
  protected_tag: keep=yes
sources:
  sqs:
    - queue_url: https://sqs.us-east-1.amazonaws.com/111122223333/q
sinks:
  - {type: file, name: audit, path: /tmp/audit.jsonl}
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
  EXPECT_EQ(cfg->sns_topic_arn, "arn:aws:sns:us-east-1:111122223333:t");
  EXPECT_TRUE(cfg->safety.dry_run);
  EXPECT_EQ(cfg->safety.protected_tag_key, "keep");
  EXPECT_EQ(cfg->safety.protected_tag_value, "yes");
  // The schema's defaults are read from the value they were written into.
  EXPECT_EQ(cfg->log_level, "info");
  EXPECT_EQ(cfg->log_format, "json");
  EXPECT_EQ(cfg->default_region, "us-east-1");
  ASSERT_EQ(cfg->sqs_sources.size(), 1u);
  EXPECT_EQ(cfg->sqs_sources[0].wait_seconds, 20);
  EXPECT_TRUE(cfg->settings.at("sinks").is_array());
  ASSERT_EQ(cfg->rules.size(), 1u);
  const auto& r = cfg->rules[0];
  EXPECT_EQ(r.name, "high");
  EXPECT_EQ(r.line, 2);
  EXPECT_EQ(r.playbook, "contain");
  EXPECT_TRUE(r.enabled);
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

TEST_F(ConfigDir, NoRiposteYamlIsEveryDefault) {
  std::vector<Problem> problems;
  auto cfg = load(problems);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_EQ(cfg->store_url, "sqlite:///var/lib/riposte/riposte.db");
  EXPECT_EQ(cfg->listen, "127.0.0.1:8080");
  EXPECT_FALSE(cfg->safety.dry_run);
  EXPECT_EQ(cfg->safety.protected_tag_key, "riposte:protected");
}

// The examples of issue 10, each a problem at its value, all in one run.
TEST_F(ConfigDir, WhatASecurityTeamMistypesIsAnErrorAtItsValue) {
  write("riposte.yaml", R"(store: mysql://x
listen: 127.0.0.1:99999
saftey:
  dry_run: true
safety:
  dry_run: yes
)");
  write("playbooks/contain.asl.json", kPlaybook);
  write("rules/a.yaml", R"(name: a
descripton: typo
playbok: contain
enabled: maybe
event_pattern: {source: [aws.guardduty]}
)");
  EXPECT_EQ(problems(),
            "riposte.yaml:1:8: store: store URL: unknown scheme 'mysql' (known: "
            "sqlite:///abs/path.db, sqlite://relative/path.db, sqlite::memory:, "
            "postgresql://user:pass@host:port/db)\n"
            "riposte.yaml:2:9: listen: port 99999 is out of range 0–65535\n"
            "riposte.yaml:3:1: saftey: unknown key 'saftey' (did you mean 'safety'?)\n"
            "riposte.yaml:6:12: safety.dry_run: must be true or false, not 'yes'\n"
            "rules/a.yaml:2:1: descripton: unknown key 'descripton' (did you mean "
            "'description'?)\n"
            "rules/a.yaml:3:1: playbok: unknown key 'playbok' (did you mean 'playbook'?)\n"
            "rules/a.yaml:4:10: enabled: must be true or false, not 'maybe'\n");
}

TEST_F(ConfigDir, BooleansAreYamlBooleansOrWhatExpansionLeaves) {
  for (const char* bad : {"True", "1", "on", "tru", "\"true\""}) {
    write("riposte.yaml", std::string("safety:\n  dry_run: ") + bad + "\n");
    EXPECT_NE(problems().find("riposte.yaml:2:12: safety.dry_run: must be true or false"),
              std::string::npos)
        << bad;
  }
  ::setenv("RIPOSTE_TEST_DRY", "true", 1);
  write("riposte.yaml", "safety:\n  dry_run: ${RIPOSTE_TEST_DRY}\n");
  std::vector<Problem> ps;
  auto cfg = load(ps);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_TRUE(cfg->safety.dry_run);
  ::setenv("RIPOSTE_TEST_DRY", "yes", 1);
  EXPECT_NE(problems().find("safety.dry_run: must be true or false, not 'yes'"), std::string::npos);
  ::unsetenv("RIPOSTE_TEST_DRY");
}

TEST_F(ConfigDir, ReportsEveryProblemWithFileLineColumnAndPath) {
  write("playbooks/ok.asl.json", kPlaybook);
  write("playbooks/broken.asl.json", "{\"StartAt\": ");
  write("playbooks/next.asl.json", R"({
  "StartAt": "A",
  "States": {
    "A": {
      "Type": "Task",
      "Resource": "riposte:aws.ec2.isolateInstance",
      "InputPath": "$$$",
      "Next": "Nowhere"
    }
  }
})");
  write("rules/a.yaml", "name: a\nplaybook: nope\nevent_pattern:\n  source: [\"x\"]\n");
  write("rules/b.yaml",
        "name: b\nevent_pattern:\n  source: []\n  detail:\n    severity: [{\"numeric\": "
        "[\">\", 0, \">\", 0]}]\n");
  write("rules/c.yaml", "description: no name\nevent_pattern: {}\n");
  write("rules/d.yaml", "name: d\nevent_pattern: [\n");
  const std::string all = problems();
  EXPECT_NE(all.find("playbooks/broken.asl.json:1:13: not valid JSON: unexpected end of text"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("playbooks/next.asl.json:7:20: $.States.A.InputPath: "), std::string::npos)
      << all;
  EXPECT_NE(all.find("playbooks/next.asl.json:8:15: $.States.A.Next: refers to a state that does "
                     "not exist: 'Nowhere'"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/a.yaml:2:11: playbook: unknown playbook 'nope'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/b.yaml:3:11: event_pattern.source: Empty arrays are not allowed"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/b.yaml:5:16: event_pattern.detail.severity[0]"), std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/c.yaml:1:1: name: is required"), std::string::npos) << all;
  EXPECT_NE(all.find("rules/d.yaml:"), std::string::npos) << all;
}

TEST_F(ConfigDir, RuleFilesHoldOneRuleAListOrRules) {
  write("rules/a.yaml",
        "- name: x\n  event_pattern: {source: [a]}\n- name: y\n  event_pattern: {source: [b]}\n");
  write("rules/b.yaml", "rules:\n  - name: z\n    event_pattern: {source: [c]}\n");
  std::vector<Problem> ps;
  auto cfg = load(ps);
  ASSERT_TRUE(cfg) << cfg.error().str();
  ASSERT_EQ(cfg->rules.size(), 3u);
  EXPECT_EQ(cfg->rules[2].name, "z");
  EXPECT_EQ(cfg->rules[2].line, 2);
  write("rules/b.yaml",
        "rules:\n  - name: x\n    enabled: nope\n    event_pattern: {source: [c]}\n");
  EXPECT_EQ(problems(), "rules/b.yaml:3:14: rules[0].enabled: must be true or false, not 'nope'\n");
}

TEST_F(ConfigDir, DuplicateRuleNamesAndMissingDirectory) {
  write("rules/a.yaml",
        "- name: x\n  event_pattern: {source: [a]}\n- name: x\n  event_pattern: {source: [b]}\n");
  EXPECT_EQ(problems(),
            "rules/a.yaml:3:9: [1].name: duplicate rule name 'x' (also in rules/a.yaml:1)\n");
  std::vector<Problem> p2;
  EXPECT_FALSE(loadConfig("/nonexistent/riposte", {}, p2));
  ASSERT_EQ(p2.size(), 1u);
  EXPECT_EQ(p2[0].str(), "/nonexistent/riposte: configuration directory not found");
}

TEST_F(ConfigDir, AccountsMapAccountIdsToRoles) {
  write("riposte.yaml", R"(
aws:
  accounts:
    "222222222222": {role_arn: "arn:aws:iam::222222222222:role/r", external_id: x}
    "12": {role_arn: "arn:aws:iam::12:role/r"}
    "333333333333": {}
    "444444444444": {role_arn: "arn:aws:iam::444444444444:user/u"}
)");
  EXPECT_EQ(problems(),
            "riposte.yaml:5:5: aws.accounts.12: '12' is not an account id (12 digits)\n"
            "riposte.yaml:6:21: aws.accounts.333333333333.role_arn: is required\n"
            "riposte.yaml:7:32: aws.accounts.444444444444.role_arn: "
            "'arn:aws:iam::444444444444:user/u' is not a role ARN "
            "(arn:aws:iam::<account>:role/<name>)\n");
  write("riposte.yaml",
        "aws:\n  accounts:\n    \"222222222222\": {role_arn: "
        "\"arn:aws:iam::222222222222:role/r\"}\n");
  std::vector<Problem> ps;
  auto cfg = load(ps);
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
  EXPECT_EQ(problems(),
            "riposte.yaml:4:14: playbooks.contain.dry_run: must be true or false, not 'yes'\n"
            "riposte.yaml:5:5: playbooks.contain.approve: unknown key 'approve' (known: "
            "dry_run, require_approval)\n"
            "riposte.yaml:6:3: playbooks.contian: unknown playbook 'contian' (did you mean "
            "'contain'?)\n");
  write("riposte.yaml", "playbooks: [contain]\n");
  EXPECT_EQ(problems(), "riposte.yaml:1:12: playbooks: must be a mapping, not a list\n");
}

TEST_F(ConfigDir, RequireApprovalIsReadAndHeldToTheApproverGroups) {
  write("playbooks/contain.asl.json", kPlaybook);
  write("riposte.yaml", R"(listen: 127.0.0.1:1
approvals:
  groups: {soc: [alice, bob]}
playbooks:
  contain: {require_approval: {groups: [soc], quorum: 2}}
)");
  write("rules/a.yaml", R"(name: a
playbook: contain
event_pattern: {source: ["aws.guardduty"]}
require_approval: {groups: [soc], timeout_seconds: 600, on_timeout: approve}
)");
  std::vector<Problem> ps;
  auto cfg = load(ps);
  ASSERT_TRUE(cfg) << (ps.empty() ? cfg.error().message : ps[0].str());
  ASSERT_EQ(cfg->rules.size(), 1u);
  ASSERT_TRUE(cfg->rules[0].require_approval);
  EXPECT_EQ(cfg->rules[0].require_approval->at("timeout_seconds").as_int64(), 600);
  EXPECT_EQ(cfg->rules[0].require_approval->at("on_timeout").as_string(), "approve");
  ASSERT_TRUE(cfg->playbooks.at("contain").require_approval);
  EXPECT_EQ(cfg->playbooks.at("contain").require_approval->at("quorum").as_int64(), 2);

  // A group that is not configured, a quorum above the approvers, a misspelt decision.
  write("riposte.yaml", R"(listen: 127.0.0.1:1
approvals:
  groups: {soc: [alice, bob]}
playbooks:
  contain: {require_approval: {groups: [soc], quorum: 3}}
)");
  write("rules/a.yaml", R"(name: a
playbook: contain
event_pattern: {source: ["aws.guardduty"]}
require_approval: {groups: [secops], on_timeout: allow}
)");
  const std::string all = problems();
  EXPECT_NE(all.find("riposte.yaml:5:31: playbooks.contain.require_approval: 'quorum' must be a "
                     "whole number from 1 to 2"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("rules/a.yaml:4:50: require_approval.on_timeout: must be one of deny, "
                     "approve"),
            std::string::npos)
      << all;
  write("rules/a.yaml", R"(name: a
playbook: contain
event_pattern: {source: ["aws.guardduty"]}
require_approval: {groups: [secops]}
)");
  EXPECT_NE(problems().find("rules/a.yaml:4:19: require_approval: groups[0]: no approver group "
                            "'secops' in riposte.yaml approvals.groups"),
            std::string::npos)
      << problems();
}

TEST_F(ConfigDir, SinksAndSourcesAreHeldToTheirTypesSchemas) {
  write("riposte.yaml", R"(sinks:
  - {type: file, name: a, path: /x, pth: /y}
  - {type: kafka, name: k}
  - {type: file, name: a, path: /z}
sources:
  sqs:
    - {queue_url: ftp://q, wait_seconds: 30}
  kinesis: []
)");
  EXPECT_EQ(problems(),
            "riposte.yaml:2:37: sinks[0].pth: unknown key 'pth' (did you mean 'path'?)\n"
            "riposte.yaml:3:12: sinks[1].type: unknown type 'kafka' (known: file)\n"
            "riposte.yaml:4:24: sinks[2].name: 'a' is also the name of item 0 (names must be "
            "unique)\n"
            "riposte.yaml:7:19: sources.sqs[0].queue_url: must be a URL starting with https:// or "
            "http://, not 'ftp://q'\n"
            "riposte.yaml:7:42: sources.sqs[0].wait_seconds: must be an integer between 0 and 20, "
            "not 30\n"
            "riposte.yaml:8:3: sources.kinesis: unknown key 'kinesis' (known: sqs)\n");
}

TEST_F(ConfigDir, AnUnsetVariableIsAnErrorUnlessTheKeyIsOptionalWhenEmpty) {
  ::unsetenv("RIPOSTE_TEST_NOPE");
  write("riposte.yaml",
        "notifications:\n  sns_topic_arn: ${RIPOSTE_TEST_NOPE}\nstore: ${RIPOSTE_TEST_NOPE}\n");
  EXPECT_EQ(problems(),
            // (only the variable: not what the schema says of the "" it left)
            "riposte.yaml:3:8: store: environment variable RIPOSTE_TEST_NOPE is not set (set it, "
            "or give a default: ${RIPOSTE_TEST_NOPE:-value})\n");
  write("riposte.yaml", "notifications:\n  sns_topic_arn: ${RIPOSTE_TEST_NOPE}\n");
  std::vector<Problem> ps;
  auto cfg = load(ps);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_EQ(cfg->sns_topic_arn, "");
}

TEST_F(ConfigDir, PlaybooksInYamlAreLocatedToo) {
  write("playbooks/y.asl.yaml", R"(StartAt: A
States:
  A:
    Type: Pass
    Next: B
)");
  EXPECT_EQ(problems(),
            "playbooks/y.asl.yaml:5:11: $.States.A.Next: refers to a state that does not exist: "
            "'B'\n");
}

TEST_F(ConfigDir, TheReferenceHasEveryKey) {
  const std::string md = referenceMarkdown(registry_);
  for (const char* key :
       {"`store`", "`listen`", "`log.level`", "`aws.accounts.<account id>.role_arn`",
        "`notifications.sns_topic_arn`", "`safety.dry_run`", "`sources.sqs[].queue_url`",
        "`sinks[].type=file.path`", "`approvals.groups.<group>`", "`playbooks.<playbook>.dry_run`",
        "`event_pattern`", "`on_limit`"}) {
    EXPECT_NE(md.find(key), std::string::npos) << key << "\n" << md;
  }
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
  EXPECT_EQ(cfg->directories.at("policies").size(), 1u);
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
  EXPECT_EQ(problems(),
            "policies/a.yaml:10:14: suppressions[1].expires: 'next week' is not a duration: "
            "write a whole number and a unit, d (days), h (hours) or m (minutes): 7d, 12h, 30m\n"
            "policies/a.yaml:13:1: limts: unknown policy section 'limts' (did you mean "
            "'limits'?)\n"
            "policies/b.yaml:6:26: suppressions[0].match.scope.accounts[0]: '1' is not an "
            "account id (12 digits)\n"
            "policies/b.yaml:7:11: suppressions[1].name: duplicate suppression name 'one' (also "
            "in policies/a.yaml)\n");
}

namespace riposte::engine {
namespace {

TEST_F(ConfigDir, ConnectionsTakeSecretsOnlyFromTheEnvironment) {
  ::setenv("RIPOSTE_TEST_PD_KEY", "pd-Zq9-distinctive", 1);
  ::setenv("RIPOSTE_TEST_JIRA_TOKEN", "jira-Zq9-distinctive", 1);
  write("riposte.yaml", R"(
connections:
  pagerduty:
    auth: api_key
    header: Authorization
    value: "Token token=${RIPOSTE_TEST_PD_KEY}"
  jira:
    auth: basic
    username: bot@example.com
    password: ${RIPOSTE_TEST_JIRA_TOKEN}
  idp:
    auth: oauth_client_credentials
    token_url: https://idp.example.com/oauth2/token
    client_id: riposte
    client_secret: ${RIPOSTE_TEST_JIRA_TOKEN}
    scope: alerts
)");
  std::vector<Problem> ps;
  auto cfg = load(ps);
  ASSERT_TRUE(cfg) << cfg.error().str();
  const actions::Connection* pd = cfg->connections->find("pagerduty");
  ASSERT_NE(pd, nullptr);
  EXPECT_EQ(pd->auth, actions::Connection::Auth::kApiKey);
  EXPECT_EQ(pd->value, "Token token=pd-Zq9-distinctive");
  EXPECT_EQ(cfg->connections->find("jira")->password, "jira-Zq9-distinctive");
  EXPECT_EQ(cfg->connections->find("idp")->auth,
            actions::Connection::Auth::kOAuthClientCredentials);
  EXPECT_EQ(cfg->connections->find("idp")->scope, "alerts");

  // A literal secret, a default in the file, a missing field, a bad name, an unknown kind.
  write("riposte.yaml", R"(
connections:
  a:
    auth: api_key
    header: X-Api-Key
    value: literal-Zq9-distinctive
  b:
    auth: basic
    username: u
    password: ${RIPOSTE_TEST_UNSET_X:-default-Zq9-distinctive}
  c:
    auth: oauth_client_credentials
    client_id: x
    client_secret: ${RIPOSTE_TEST_JIRA_TOKEN}
  "bad name":
    auth: api_key
    header: X
    value: ${RIPOSTE_TEST_PD_KEY}
  d:
    auth: digest
)");
  const std::string p = problems();
  EXPECT_NE(p.find("riposte.yaml:6:12: connections.a.value: a secret may not be written in the "
                   "file"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("connections.b.password: a secret may not have a default"), std::string::npos)
      << p;
  EXPECT_NE(p.find("connections.c.token_url: is required"), std::string::npos) << p;
  EXPECT_NE(p.find("a connection name is 1 to 64"), std::string::npos) << p;
  EXPECT_NE(p.find("connections.d.auth:"), std::string::npos) << p;
  // Problems never quote a secret.
  EXPECT_EQ(p.find("Zq9-distinctive"), std::string::npos) << p;
}

TEST_F(ConfigDir, HttpInvokeTasksNameAConnectionAndFixTheHost) {
  ::setenv("RIPOSTE_TEST_PD_KEY", "pd-Zq9-distinctive", 1);
  write("riposte.yaml", R"(
connections:
  pd: {auth: api_key, header: Authorization, value: "${RIPOSTE_TEST_PD_KEY}"}
)");
  auto task = [](const std::string& params) {
    return R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"H","States":{"H":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
       "End":true,"Parameters":)" +
           params + "}}}]}}}";
  };
  write("playbooks/ok.asl.json",
        task(R"J({"ApiEndpoint":"https://events.example.com/v2/enqueue","Method":"POST",
                 "Authentication":{"ConnectionArn":"riposte:connection/pd"}})J"));
  write("playbooks/fmt.asl.json",
        task(R"J({"ApiEndpoint.$":"States.Format('https://x.example.com/issue/{}', $.id)",
                 "Method":"GET","Authentication":{"ConnectionArn":
                 "arn:aws:events:us-east-1:111122223333:connection/pd/0a"}})J"));
  EXPECT_EQ(problems(), "");
  write("playbooks/bad.asl.json", task(R"J({"ApiEndpoint.$":"$.detail.url","Method":"POST",
                 "Authentication":{"ConnectionArn":"riposte:connection/pdd"}})J"));
  write("playbooks/host.asl.json",
        task(R"J({"ApiEndpoint.$":"States.Format('https://{}/x', $.host)","Method":"POST",
                 "Authentication":{"ConnectionArn":"riposte:connection/pd"}})J"));
  write("playbooks/conn.asl.json",
        task(R"J({"ApiEndpoint":"https://events.example.com/v2/enqueue","Method":"POST",
                 "Authentication":{"ConnectionArn.$":"$.detail.connection"}})J"));
  const std::string p = problems();
  EXPECT_NE(p.find("playbooks/conn.asl.json"), std::string::npos) << p;
  EXPECT_NE(p.find("Authentication.ConnectionArn: must be written in the playbook"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("playbooks/bad.asl.json:4:"), std::string::npos) << p;
  EXPECT_NE(p.find("States.P.Branches[0].States.H.Parameters.ApiEndpoint.$: the URL may not "
                   "come from the input"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("Authentication.ConnectionArn: unknown connection 'pdd' (did you mean 'pd'?)"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("playbooks/host.asl.json"), std::string::npos) << p;
}

}  // namespace
}  // namespace riposte::engine

TEST_F(ConfigDir, OnFailureIsOnByDefaultAndGoesToTheAlertTopic) {
  write("riposte.yaml", "notifications:\n  sns_topic_arn: arn:aws:sns:us-east-1:111122223333:t\n");
  std::vector<Problem> ps;
  auto cfg = load(ps);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_TRUE(ps.empty());
  EXPECT_TRUE(cfg->on_failure.enabled);
  EXPECT_EQ(cfg->on_failure.sns_topic_arn, "arn:aws:sns:us-east-1:111122223333:t");
  write("riposte.yaml",
        "notifications:\n  sns_topic_arn: arn:aws:sns:us-east-1:111122223333:t\n  on_failure:\n"
        "    enabled: false\n    sns_topic_arn: arn:aws:sns:us-east-1:111122223333:f\n");
  ps.clear();
  cfg = load(ps);
  ASSERT_TRUE(cfg) << cfg.error().str();
  EXPECT_FALSE(cfg->on_failure.enabled);
  EXPECT_EQ(cfg->on_failure.sns_topic_arn, "arn:aws:sns:us-east-1:111122223333:f");
}

TEST_F(ConfigDir, OnFailureUnknownKeysAndWrongTypesAreErrors) {
  write("riposte.yaml", "notifications:\n  on_failure:\n    enabled: maybe\n");
  EXPECT_NE(problems().find("notifications.on_failure.enabled"), std::string::npos) << problems();
  write("riposte.yaml", "notifications:\n  on_failure:\n    topic: x\n");
  EXPECT_NE(problems().find("notifications.on_failure"), std::string::npos) << problems();
}

}  // namespace
}  // namespace riposte::engine
