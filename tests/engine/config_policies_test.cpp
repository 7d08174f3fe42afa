// policies/*.yaml in the configuration directory: the guard-rail sections (limits, breaker,
// scope) read through policy/limits.h, every problem with its file, line and path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/config.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

class PoliciesDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-policies-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    fs::create_directories(dir_ / "policies");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  std::string problems() {
    std::vector<Problem> ps;
    (void)loadConfig(dir_.string(), {}, ps);
    std::string s;
    for (const auto& p : ps) s += p.str() + "\n";
    return s;
  }
  fs::path dir_;
};

TEST_F(PoliciesDir, ReadsLimitsBreakerAndScopeAndTheRulesOnLimit) {
  write("policies/limits.yaml", R"(limits:
  - name: contain-per-account
    role: contain
    per: account
    max: 10
    window: 10m
    on_limit: approve
breaker:
  threshold: 20
  window: 10m
  on_limit: approve
)");
  write("policies/scope.yaml", R"(scope:
  deny:
    tags: {"riposte:scope": [exclude]}
)");
  write("rules/r.yaml", R"(name: r
on_limit: fail
event_pattern: {source: [aws.guardduty]}
)");
  std::vector<Problem> ps;
  auto cfg = loadConfig(dir_.string(), {}, ps);
  ASSERT_TRUE(cfg) << (ps.empty() ? "" : ps[0].str());
  ASSERT_EQ(cfg->guard_rails.limits.size(), 1u);
  EXPECT_EQ(cfg->guard_rails.limits[0].on_limit, policy::OnLimit::kApprove);
  ASSERT_TRUE(cfg->guard_rails.breaker);
  EXPECT_EQ(cfg->guard_rails.breaker->threshold, 20);
  EXPECT_EQ(cfg->guard_rails.scope.deny.tags.at("riposte:scope"),
            std::vector<std::string>{"exclude"});
  ASSERT_EQ(cfg->rules.size(), 1u);
  EXPECT_EQ(cfg->rules[0].on_limit, policy::OnLimit::kFail);
}

TEST_F(PoliciesDir, ProblemsNameFileLineAndPath) {
  write("policies/limits.yaml", R"(limits:
  - name: a
    role: contain
    per: account
    max: 10
    window: 10 minutes
    on_limit: approve
)");
  std::string text = problems();
  EXPECT_NE(text.find("policies/limits.yaml:6:"), std::string::npos) << text;
  EXPECT_NE(text.find(": limits[0].window: must be a duration"), std::string::npos) << text;
  write("policies/limits.yaml", "limit: []\n");
  text = problems();
  EXPECT_EQ(text,
            "policies/limits.yaml:1:1: limit: unknown policy section 'limit' (did you mean "
            "'limits'?)\n");
  write("policies/limits.yaml", "breaker: {threshold: 1, window: 1m, on_limit: fail}\n");
  write("policies/more.yaml", "breaker: {threshold: 2, window: 1m, on_limit: fail}\n");
  text = problems();
  EXPECT_EQ(text,
            "policies/more.yaml:1:1: breaker: 'breaker' is already set in "
            "policies/limits.yaml\n");
  fs::remove(dir_ / "policies/more.yaml");
  write("rules/r.yaml", "name: r\non_limit: later\nevent_pattern: {source: [x]}\n");
  text = problems();
  EXPECT_EQ(text,
            "rules/r.yaml:2:11: on_limit: must be one of approve, dry_run, fail, not "
            "'later'\n");
}

// `guardduty: archive`: its detector from the `guardduty` section; a pattern GuardDuty cannot say
// exactly refused with its position.
TEST_F(PoliciesDir, AGuardDutyArchiveNeedsTheDetectorAndAPatternThatMaps) {
  write("policies/s.yaml", R"(suppressions:
  - name: scanner
    reason: weekly scan
    owner: secops
    guardduty: archive
    match:
      pattern: {source: [aws.guardduty], detail: {type: [Recon:EC2/Portscan]}}
)");
  EXPECT_EQ(problems(),
            "policies/s.yaml:5:16: suppressions[0].guardduty: archive needs the GuardDuty "
            "detector its filter is made on: a policies file's `guardduty: {detector_id: …}` "
            "section\n");
  write("policies/gd.yaml", "guardduty: {detector_id: 12abc34d567e8fa901bc2d34e56789f0}\n");
  std::vector<Problem> ps;
  auto cfg = loadConfig(dir_.string(), {}, ps);
  ASSERT_TRUE(ps.empty()) << ps[0].str();
  ASSERT_TRUE(cfg->guardduty);
  EXPECT_EQ(cfg->guardduty->detector_id, "12abc34d567e8fa901bc2d34e56789f0");
  EXPECT_TRUE(cfg->suppressions.at(0).guardduty_archive);
  write("policies/s.yaml", R"(suppressions:
  - name: scanner
    reason: weekly scan
    owner: secops
    guardduty: archive
    match:
      pattern: {source: [aws.guardduty], detail: {type: [{prefix: "Recon:"}]}}
)");
  const std::string text = problems();
  EXPECT_NE(text.find("policies/s.yaml:"), std::string::npos) << text;
  EXPECT_NE(text.find("suppressions[0].match.pattern.detail.type: guardduty: archive cannot be "
                      "honoured: 'prefix' cannot be a GuardDuty criterion"),
            std::string::npos)
      << text;
  write("policies/gd.yaml", "guardduty: {detector: x}\n");
  EXPECT_NE(problems().find("guardduty.detector: unknown"), std::string::npos) << problems();
}

TEST_F(PoliciesDir, ThreatIntelListsAddUpAcrossFilesAndPublishIsSetOnce) {
  write("policies/intel.yaml", R"(threat_intel:
  lists:
    - name: tor-exits
      verdict: malicious
      source: https://feeds.example.com/tor.txt
      refresh: 30m
  publish:
    location: s3://secops/riposte/blocked.txt
    detector_id: 12abc34d567e8fa901bc2d34e56789f0
)");
  write("policies/trusted.yaml", R"(threat_intel:
  lists:
    - name: corp-egress
      verdict: trusted
      source: lists/corp.txt
)");
  std::vector<Problem> ps;
  auto cfg = loadConfig(dir_.string(), {}, ps);
  ASSERT_TRUE(cfg) << (ps.empty() ? "" : ps[0].str());
  ASSERT_EQ(cfg->threat_intel.lists.size(), 2u);
  EXPECT_EQ(cfg->threat_intel.lists[0].name, "tor-exits");
  EXPECT_EQ(cfg->threat_intel.lists[1].name, "corp-egress");
  EXPECT_EQ(cfg->threat_intel.lists[1].verdict, policy::Verdict::kTrusted);
  ASSERT_TRUE(cfg->threat_intel.publish);
  EXPECT_EQ(cfg->threat_intel.publish->detector_id, "12abc34d567e8fa901bc2d34e56789f0");

  write("policies/trusted.yaml", R"(threat_intel:
  lists:
    - name: other
      verdict: trusted
      source: lists/other.txt
    - name: tor-exits
      verdict: trusted
      source: lists/corp.txt
      refresh: 5 minutes
  publish:
    location: s3://secops/other.txt
    detector_id: abc
)");
  std::string text = problems();
  EXPECT_NE(text.find("policies/trusted.yaml:9:16:"), std::string::npos) << text;
  EXPECT_NE(text.find("threat_intel.lists[1].refresh: must be a duration"), std::string::npos)
      << text;
  write("policies/trusted.yaml", R"(threat_intel:
  lists:
    - name: other
      verdict: trusted
      source: lists/other.txt
    - name: tor-exits
      verdict: trusted
      source: lists/corp.txt
  publish:
    location: s3://secops/other.txt
    detector_id: abc
)");
  text = problems();
  EXPECT_NE(text.find("policies/trusted.yaml:6:13:"), std::string::npos) << text;
  EXPECT_NE(text.find("threat_intel.lists[1].name: duplicate list name 'tor-exits'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("threat_intel.publish: 'threat_intel.publish' is already set in "
                      "policies/intel.yaml"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace riposte::engine
