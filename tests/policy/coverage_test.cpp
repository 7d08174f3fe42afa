// policy/coverage.h: which catalogue types no enabled rule handles, suppressions considered.
#include "policy/coverage.h"

#include <gtest/gtest.h>

#include "sources/samples.h"

namespace riposte::policy {
namespace {

std::vector<CatalogueType> catalogue(const std::vector<std::string>& types) {
  std::vector<CatalogueType> out;
  for (const auto& t : types) {
    auto ev = sources::catalogueEvent(t);
    EXPECT_TRUE(ev) << t;
    out.push_back({t, sources::findSampleType(t)->family, json::serialize(*ev)});
  }
  return out;
}

Suppression parsed(const std::string& text) {
  Problems problems;
  auto s = parseSuppression(*parseJson(text), "s", Origin::kConfig, 0, problems);
  EXPECT_TRUE(s) << (problems.empty() ? "" : problems[0].message);
  return s ? *s : Suppression{};
}

TEST(Coverage, ATypeIsHandledWhenAnEnabledRuleMatchesItsSample) {
  auto cat = catalogue({"Recon:EC2/Portscan", "UnauthorizedAccess:EC2/SSHBruteForce",
                        "Impact:S3/MaliciousIPCaller"});
  std::vector<CoverageRule> rules = {
      {"ec2",
       R"({"source":["aws.guardduty"],"detail":{"resource":{"resourceType":["Instance"]}}})"},
      {"ssh", R"({"detail":{"type":["UnauthorizedAccess:EC2/SSHBruteForce"]}})"}};
  auto c = typeCoverage(cat, rules, *SuppressionSet::empty(), 0);
  ASSERT_TRUE(c) << c.error().str();
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0].rules, std::vector<std::string>{"ec2"});
  EXPECT_TRUE((*c)[0].handled());
  EXPECT_EQ((*c)[1].rules, (std::vector<std::string>{"ec2", "ssh"}));
  EXPECT_TRUE((*c)[2].rules.empty());
  EXPECT_FALSE((*c)[2].handled());
  EXPECT_EQ((*c)[2].family, "S3");
}

TEST(Coverage, ASuppressionWithoutScopeUnhandlesTheTypeAScopedOneOnlyPartly) {
  auto cat = catalogue(
      {"Recon:EC2/Portscan", "Recon:EC2/PortProbeUnprotectedPort", "Backdoor:EC2/Spambot"});
  std::vector<CoverageRule> rules = {{"all", R"({"source":["aws.guardduty"]})"}};
  auto set = SuppressionSet::build(
      {parsed(R"({"name":"scanner","reason":"r","owner":"o",
                  "match":{"pattern":{"detail":{"type":["Recon:EC2/Portscan"]}}}})"),
       parsed(R"({"name":"lab","reason":"r","owner":"o","match":{"pattern":
                  {"detail":{"type":[{"prefix":"Recon:"}]}},"scope":{"accounts":["111122223333"]}}})"),
       parsed(R"({"name":"gone","reason":"r","owner":"o","expires":"2020-01-01T00:00:00Z",
                  "match":{"pattern":{"detail":{"type":["Backdoor:EC2/Spambot"]}}}})"),
       parsed(R"({"name":"one-host","reason":"r","owner":"o",
                  "match":{"scope":{"resource_ids":["i-1"]}}})")});
  ASSERT_TRUE(set) << set.error().str();
  auto c = typeCoverage(cat, rules, **set, /*now: 2026*/ 1'780'000'000'000);
  ASSERT_TRUE(c) << c.error().str();
  EXPECT_EQ((*c)[0].suppressed_by, "scanner");
  EXPECT_FALSE((*c)[0].handled());
  EXPECT_EQ((*c)[0].partly_by, (std::vector<std::string>{"one-host", "lab"}));
  EXPECT_TRUE((*c)[1].suppressed_by.empty());
  EXPECT_TRUE((*c)[1].handled());
  EXPECT_EQ((*c)[1].partly_by, (std::vector<std::string>{"one-host", "lab"}));
  // An expired suppression no longer silences anything.
  EXPECT_TRUE((*c)[2].handled());
  EXPECT_EQ((*c)[2].partly_by, std::vector<std::string>{"one-host"});
}

TEST(Coverage, AnInvalidRulePatternIsAnErrorNamingTheRule) {
  auto c = typeCoverage(catalogue({"Recon:EC2/Portscan"}), {{"broken", R"({"detail":1})"}},
                        *SuppressionSet::empty(), 0);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "InvalidEventPattern");
  EXPECT_NE(c.error().message.find("rule 'broken'"), std::string::npos) << c.error().message;
}

TEST(Coverage, EveryCatalogueTypeHasADeterministicSampleOfItsType) {
  for (const auto& t : sources::sampleTypes()) {
    auto a = sources::catalogueEvent(t.type);
    ASSERT_TRUE(a) << t.type;
    EXPECT_EQ(json::serialize(*a), json::serialize(*sources::catalogueEvent(t.type))) << t.type;
    EXPECT_EQ(a->at("detail").at("type").as_string(), t.type);
  }
  EXPECT_EQ(sources::catalogueEvent("Nope:EC2/Nothing").error().code, "UnknownFindingType");
}

}  // namespace
}  // namespace riposte::policy
