// A suppression as a GuardDuty filter: each criterion it maps onto exactly, and each pattern it
// refuses (an approximate filter would archive findings the suppression does not cover).
#include "policy/guardduty_filter.h"

#include <gtest/gtest.h>

namespace riposte::policy {
namespace {

Suppression withPattern(std::string pattern) {
  Suppression s;
  s.name = "pentest";
  s.reason = "Scheduled test, change CHG-1234 <b>";
  s.pattern_json = std::move(pattern);
  return s;
}

json::object criterionOf(const std::string& pattern) {
  auto f = guardDutyFilterOf(withPattern(pattern));
  EXPECT_TRUE(f) << (f ? "" : f.error().message);
  return f ? f->criterion : json::object{};
}

std::string refusal(const Suppression& s) {
  auto f = guardDutyFilterOf(s);
  EXPECT_FALSE(f);
  if (f) return "";
  EXPECT_EQ(f.error().code, "UnmappableSuppression");
  return f.error().message;
}
std::string refusal(const std::string& pattern) {
  return refusal(withPattern(pattern));
}

TEST(GuardDutyFilter, ExactValuesBecomeEquals) {
  auto c = criterionOf(
      R"({"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"region":["eu-west-1"],)"
      R"("detail":{"type":["Recon:EC2/PortProbeUnprotectedPort","Recon:EC2/Portscan"],)"
      R"("accountId":["111122223333"],"resource":{"instanceDetails":{"instanceId":["i-0abc"]}},)"
      R"("service":{"archived":[false],"action":{"networkConnectionAction":{"localPortDetails":{"port":[22]}}}}}})");
  EXPECT_EQ(json::value(c), *parseJson(R"({
    "region":{"equals":["eu-west-1"]},
    "type":{"equals":["Recon:EC2/PortProbeUnprotectedPort","Recon:EC2/Portscan"]},
    "accountId":{"equals":["111122223333"]},
    "resource.instanceDetails.instanceId":{"equals":["i-0abc"]},
    "service.archived":{"equals":["false"]},
    "service.action.networkConnectionAction.localPortDetails.port":{"equals":["22"]}})"));
}

TEST(GuardDutyFilter, NumbersBecomeRanges) {
  EXPECT_EQ(json::value(criterionOf(R"({"detail":{"severity":[{"numeric":[">=",7,"<",9]}]}})")),
            *parseJson(R"({"severity":{"greaterThanOrEqual":7,"lessThan":9}})"));
  EXPECT_EQ(json::value(criterionOf(R"({"detail":{"severity":[{"numeric":[">",2,"<=",5]}]}})")),
            *parseJson(R"({"severity":{"greaterThan":2,"lessThanOrEqual":5}})"));
  EXPECT_EQ(json::value(criterionOf(R"({"detail":{"severity":[8]}})")),
            *parseJson(R"({"severity":{"greaterThanOrEqual":8,"lessThanOrEqual":8}})"));
  EXPECT_EQ(json::value(criterionOf(R"({"detail":{"severity":[{"numeric":["=",5]}]}})")),
            *parseJson(R"({"severity":{"greaterThanOrEqual":5,"lessThanOrEqual":5}})"));
}

TEST(GuardDutyFilter, ScopeRegionsIntersectThePattern) {
  Suppression s = withPattern(R"({"region":["eu-west-1","us-east-1"],"detail":{"type":["T"]}})");
  s.scope.regions = {"us-east-1", "ap-south-1"};
  auto f = guardDutyFilterOf(s);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->criterion.at("region"), *parseJson(R"({"equals":["us-east-1"]})"));
  s.scope.regions = {"ap-south-1"};
  EXPECT_EQ(refusal(s),
            "match.scope.regions: the pattern's and the scope's region have nothing in common: "
            "the suppression matches nothing");
  Suppression scope_only;
  scope_only.name = "euw";
  scope_only.scope.regions = {"eu-west-1"};
  auto g = guardDutyFilterOf(scope_only);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(json::value(g->criterion), *parseJson(R"({"region":{"equals":["eu-west-1"]}})"));
}

TEST(GuardDutyFilter, NameAndDescriptionAreWhatGuardDutyAccepts) {
  auto f = guardDutyFilterOf(withPattern(R"({"detail":{"type":["T"]}})"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->name, "riposte-pentest");
  // '<', '>' and ',' are not among the characters GuardDuty accepts in a description.
  EXPECT_EQ(f->description, "riposte suppression pentest: Scheduled test  change CHG-1234  b ");
  Suppression s = withPattern(R"({"detail":{"type":["T"]}})");
  s.reason = std::string(600, 'x');
  EXPECT_EQ(guardDutyFilterOf(s)->description.size(), 512u);
  s.name = "ab";
  EXPECT_EQ(refusal(s), "name: a GuardDuty filter name has 3 characters at least");
}

TEST(GuardDutyFilter, RefusesWhatCannotBeSaidExactly) {
  EXPECT_EQ(refusal(R"({"detail":{"type":[{"prefix":"Recon:"}]}})"),
            "match.pattern.detail.type: 'prefix' cannot be a GuardDuty criterion (GuardDuty "
            "matches whole values and integer ranges only)");
  for (const char* op : {"suffix", "wildcard", "equals-ignore-case", "exists", "cidr"}) {
    const std::string p = std::string(R"({"detail":{"type":[{")") + op + R"(":"x"}]}})";
    EXPECT_NE(refusal(p).find(std::string("'") + op + "' cannot be"), std::string::npos) << op;
  }
  EXPECT_EQ(refusal(R"({"detail":{"type":[{"anything-but":["A"]}]}})"),
            "match.pattern.detail.type: anything-but cannot be a GuardDuty criterion: "
            "GuardDuty's notEquals also matches findings without type, which the pattern does "
            "not match");
  EXPECT_EQ(refusal(R"({"$or":[{"detail":{"type":["A"]}},{"region":["x"]}]})"),
            "match.pattern.$or: $or cannot be a GuardDuty filter (its criteria are ANDed)");
  EXPECT_EQ(refusal(R"({"detail":{"$or":[{"type":["A"]}]}})"),
            "match.pattern.detail.$or: $or cannot be a GuardDuty filter (its criteria are "
            "ANDed)");
  EXPECT_EQ(refusal(R"({"detail":{"type":[null]}})"),
            "match.pattern.detail.type: null cannot be a GuardDuty criterion");
  EXPECT_EQ(refusal(R"({"detail":{"severity":[5,8]}})"),
            "match.pattern.detail.severity: severity is a number in a finding; the value 5 (one "
            "whole number, or a numeric range, maps) cannot be a GuardDuty criterion on it");
  EXPECT_EQ(refusal(R"({"detail":{"severity":[{"numeric":[">",6.5]}]}})"),
            "match.pattern.detail.severity: GuardDuty's range criteria take whole numbers: a "
            "bound that is not one cannot be said exactly");
  EXPECT_EQ(refusal(R"({"detail":{"severity":[{"numeric":[">",6]}, 9]}})"),
            "match.pattern.detail.severity: a numeric range together with other values is an OR "
            "GuardDuty cannot say in one criterion");
  EXPECT_EQ(refusal(R"({"detail":{"type":[7]}})"),
            "match.pattern.detail.type: type is text in a finding; the value 7 cannot be a "
            "GuardDuty criterion on it");
  EXPECT_EQ(refusal(R"({"detail":{"title":[{"numeric":[">",1]}]}})"),
            "match.pattern.detail.title: title is text in a finding, not a number");
  EXPECT_EQ(refusal(R"({"detail":{"updatedAt":["2026-01-01T00:00:00Z"]}})"),
            "match.pattern.detail.updatedAt: GuardDuty's criterion on updatedAt takes epoch "
            "milliseconds while the finding holds text: they cannot be matched the same way");
  EXPECT_EQ(refusal(R"({"detail":{"resource":{"nothing":["x"]}}})"),
            "match.pattern.detail.resource.nothing: GuardDuty cannot filter on resource.nothing "
            "(not one of CreateFilter's criterion fields)");
  EXPECT_EQ(refusal(R"({"source":["aws.securityhub"],"detail":{"type":["A"]}})"),
            "match.pattern.source: does not list aws.guardduty: the suppression never matches a "
            "GuardDuty finding");
  EXPECT_EQ(refusal(R"({"detail-type":["Other"],"detail":{"type":["A"]}})"),
            "match.pattern.detail-type: does not list \"GuardDuty Finding\": the suppression "
            "never matches a GuardDuty finding");
  EXPECT_NE(refusal(R"({"account":["111122223333"]})").find("say detail.accountId"),
            std::string::npos);
  EXPECT_EQ(refusal(R"({"time":["x"]})"),
            "match.pattern.time: is not a field of the finding GuardDuty filters on");
  EXPECT_EQ(refusal(R"({"source":["aws.guardduty"]})"),
            "match: leaves no GuardDuty criterion: the filter would archive every finding of "
            "the detector");
  std::string many = R"({"detail":{"type":[)";
  for (int i = 0; i < 51; ++i) many += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  EXPECT_EQ(refusal(many + "]}}"),
            "match.pattern.detail.type: GuardDuty takes at most 50 values a criterion, not 51");
  Suppression s = withPattern(R"({"detail":{"type":["A"]}})");
  s.scope.accounts = {"111122223333"};
  EXPECT_NE(refusal(s).find("match.scope.accounts: "), std::string::npos);
  s.scope.accounts.clear();
  s.scope.resource_ids = {"i-1"};
  EXPECT_NE(refusal(s).find("match.scope.resource_ids: "), std::string::npos);
  s.scope.resource_ids.clear();
  s.scope.tags = {{"Env", "pentest"}};
  EXPECT_NE(refusal(s).find("match.scope.tags: "), std::string::npos);
}

TEST(GuardDutyFilter, FieldTableIsTheApiReferences) {
  EXPECT_EQ(guardDutyFieldType("severity"), 'D');
  EXPECT_EQ(guardDutyFieldType("type"), 'S');
  EXPECT_EQ(guardDutyFieldType("resource.instanceDetails.tags.value"), 'S');
  EXPECT_EQ(guardDutyFieldType("updatedAt"), 'T');
  EXPECT_EQ(guardDutyFieldType("service.count"), 'N');
  EXPECT_EQ(guardDutyFieldType("detail.type"), 0);
}

}  // namespace
}  // namespace riposte::policy
