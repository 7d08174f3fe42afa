// policy/limits.h: the parsers of `limits:`, `breaker:` and `scope:` (strict, every problem
// with its path) and the decisions (which counters an action takes, share caps, scope).

#include "policy/limits.h"

#include <gtest/gtest.h>

namespace riposte::policy {
namespace {

json::value js(const char* text) {
  auto v = parseJson(text);
  EXPECT_TRUE(v) << text;
  return v ? *v : json::value();
}

std::string all(const std::vector<Problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += p.path + ": " + p.message + "\n";
  return s;
}

TEST(LimitsParseTest, ReadsRateLimitsAndShareCaps) {
  std::vector<Problem> problems;
  auto limits = parseLimits(js(R"([
    {"name":"contain-per-account","role":"contain","per":"account","max":10,"window":"10m",
     "on_limit":"approve"},
    {"name":"isolations","action":"riposte:aws.ec2.isolateInstance","per":"global","max":50,
     "window":"1h","on_limit":"fail"},
    {"name":"share","role":"contain","per":["account","region"],"max_percent":5,"window":"1h",
     "on_limit":"dry_run"}])"),
                            problems);
  ASSERT_TRUE(problems.empty()) << all(problems);
  ASSERT_EQ(limits.size(), 3u);
  EXPECT_EQ(limits[0].role, "contain");
  EXPECT_TRUE(limits[0].per_account);
  EXPECT_FALSE(limits[0].per_region);
  EXPECT_EQ(limits[0].max, 10);
  EXPECT_EQ(limits[0].window_ms, 600'000);
  EXPECT_EQ(limits[0].on_limit, OnLimit::kApprove);
  EXPECT_EQ(limits[0].describe(), "10 actions of role contain per 10m per account");
  EXPECT_EQ(limits[1].action, "aws.ec2.isolateInstance");
  EXPECT_FALSE(limits[1].per_account || limits[1].per_region);
  EXPECT_EQ(limits[1].on_limit, OnLimit::kFail);
  ASSERT_TRUE(limits[2].max_percent);
  EXPECT_DOUBLE_EQ(*limits[2].max_percent, 5);
  EXPECT_EQ(limits[2].describe(),
            "actions of role contain on 5% of the running instances per 1h per account and region");
}

struct BadLimit {
  const char* json;
  const char* path;
  const char* says;
};

TEST(LimitsParseTest, EveryBadSettingIsAnErrorAtItsPath) {
  const BadLimit cases[] = {
      {R"({"name":"a","role":"contain","per":"account","max":10,"window":"10m","on_limit":"aprove"})",
       "limits[0].on_limit", "approve, dry_run or fail"},
      {R"({"name":"a","role":"contain","per":"account","max":10,"window":"10 min","on_limit":"fail"})",
       "limits[0].window", "duration"},
      {R"({"name":"a","role":"contain","per":"account","max":10,"window":"0m","on_limit":"fail"})",
       "limits[0].window", "duration"},
      {R"({"name":"a","role":"contain","per":"account","max":0,"window":"1m","on_limit":"fail"})",
       "limits[0].max", "whole number from 1"},
      {R"({"name":"a","role":"contain","per":"account","max":2.5,"window":"1m","on_limit":"fail"})",
       "limits[0].max", "whole number"},
      {R"({"name":"a","role":"contain","per":"account","max":"10","window":"1m","on_limit":"fail"})",
       "limits[0].max", "whole number"},
      {R"({"name":"a","role":"notify","per":"account","max":1,"window":"1m","on_limit":"fail"})",
       "limits[0].role", "not destructive"},
      {R"({"name":"a","role":"contian","per":"account","max":1,"window":"1m","on_limit":"fail"})",
       "limits[0].role", "unknown role"},
      {R"({"name":"a","per":"account","max":1,"window":"1m","on_limit":"fail"})", "limits[0]",
       "needs role"},
      {R"({"name":"a","role":"contain","per":"acount","max":1,"window":"1m","on_limit":"fail"})",
       "limits[0].per", "must be global, account, region"},
      {R"({"name":"a","role":"contain","per":"account","max":1,"max_percent":5,"window":"1m","on_limit":"fail"})",
       "limits[0]", "not both"},
      {R"({"name":"a","role":"contain","per":"account","max_percent":5,"window":"1m","on_limit":"fail"})",
       "limits[0].per", "[account, region]"},
      {R"({"name":"a","role":"contain","per":["account","region"],"max_percent":150,"window":"1m","on_limit":"fail"})",
       "limits[0].max_percent", "at most 100"},
      {R"({"name":"a","role":"contain","per":"account","max":1,"window":"1m","on_limit":"fail","windw":"1m"})",
       "limits[0].windw", "did you mean 'window'"},
      {R"({"name":"a b","role":"contain","per":"account","max":1,"window":"1m","on_limit":"fail"})",
       "limits[0].name", "a name is"},
      {R"({"role":"contain","per":"account","max":1,"window":"1m","on_limit":"fail"})",
       "limits[0].name", "is required"},
      {R"({"name":"a","role":"contain","per":"account","max":1,"window":"1m"})",
       "limits[0].on_limit", "is required"},
  };
  for (const auto& c : cases) {
    std::vector<Problem> problems;
    auto limits = parseLimits(js(("[" + std::string(c.json) + "]").c_str()), problems);
    EXPECT_TRUE(limits.empty()) << c.json;
    bool found = false;
    for (const auto& p : problems) {
      if (p.path == c.path && p.message.find(c.says) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << c.json << "\n" << all(problems);
  }
  std::vector<Problem> problems;
  parseLimits(
      js(R"([{"name":"a","role":"contain","per":"global","max":1,"window":"1m","on_limit":"fail"},
                     {"name":"a","role":"contain","per":"global","max":1,"window":"1m","on_limit":"fail"}])"),
      problems);
  ASSERT_EQ(problems.size(), 1u) << all(problems);
  EXPECT_EQ(problems[0].path, "limits[1].name");
  problems.clear();
  parseLimits(js(R"({"name":"a"})"), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "limits");
}

TEST(LimitsParseTest, WindowsAreExact) {
  EXPECT_EQ(parseWindow("30s"), 30'000);
  EXPECT_EQ(parseWindow("10m"), 600'000);
  EXPECT_EQ(parseWindow("1h"), 3'600'000);
  EXPECT_EQ(parseWindow("7d"), 7 * 86'400'000LL);
  for (const char* bad : {"", "m", "10", "10M", "-1m", "+1m", "01m", "1.5h", " 1m", "1m ", "367d",
                          "99999999999999s"}) {
    EXPECT_FALSE(parseWindow(bad)) << bad;
  }
  EXPECT_EQ(windowName(600'000), "10m");
  EXPECT_EQ(windowName(90'000), "90s");
  EXPECT_EQ(windowName(86'400'000), "1d");
}

TEST(LimitsParseTest, BreakerNeedsEverySetting) {
  std::vector<Problem> problems;
  auto b = parseBreaker(js(R"({"threshold":20,"window":"10m","on_limit":"approve"})"), problems);
  ASSERT_TRUE(b) << all(problems);
  EXPECT_EQ(b->threshold, 20);
  EXPECT_EQ(b->window_ms, 600'000);
  EXPECT_EQ(b->on_limit, OnLimit::kApprove);
  EXPECT_EQ(b->describe(),
            "opens when more than 20 executions attempt a destructive action within 10m");
  problems.clear();
  EXPECT_FALSE(parseBreaker(js(R"({"threshold":20,"window":"10m"})"), problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "breaker.on_limit");
  problems.clear();
  EXPECT_FALSE(parseBreaker(
      js(R"({"threshold":true,"window":"10m","on_limit":"fail","armed":true})"), problems));
  EXPECT_EQ(problems.size(), 2u) << all(problems);
}

TEST(ScopeParseTest, ReadsBothListsStrictly) {
  std::vector<Problem> problems;
  auto s = parseScope(js(R"({"allow":{"accounts":["123456789012"],"regions":["us-east-1"],
                                       "vpcs":["vpc-1"],"tags":{"env":["prod","staging"]}},
                             "deny":{"resource_ids":["i-keep"],"tags":{"riposte:scope":["exclude"]}}})"),
                      problems);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_EQ(s.allow.accounts, std::vector<std::string>{"123456789012"});
  EXPECT_EQ(s.allow.tags.at("env"), (std::vector<std::string>{"prod", "staging"}));
  EXPECT_TRUE(s.needsVpc());
  EXPECT_TRUE(s.needsTags());
  EXPECT_TRUE(s.needsResourceId());
  problems.clear();
  parseScope(
      js(R"({"allow":{"accounts":[123456789012],"vpcs":["subnet-1"],"tag":{}},"denied":{}})"),
      problems);
  std::string text = all(problems);
  EXPECT_NE(text.find("scope.allow.accounts[0]: must be a non-empty string"), std::string::npos)
      << text;
  EXPECT_NE(text.find("scope.allow.vpcs[0]: 'subnet-1'"), std::string::npos) << text;
  EXPECT_NE(text.find("scope.allow.tag: unknown key 'tag' (did you mean 'tags'?)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("scope.denied: unknown key"), std::string::npos) << text;
}

TEST(LimitsDecideTest, ChecksSelectByRoleOrActionWithTheirKeys) {
  GuardRails rails;
  std::vector<Problem> problems;
  rails.limits = parseLimits(js(R"([
    {"name":"acct","role":"contain","per":"account","max":10,"window":"10m","on_limit":"approve"},
    {"name":"stops","action":"aws.ec2.stopInstance","per":"region","max":1,"window":"1h","on_limit":"fail"},
    {"name":"share","role":"contain","per":["account","region"],"max_percent":5,"window":"1h","on_limit":"fail"},
    {"name":"all","role":"contain","per":"global","max":100,"window":"1d","on_limit":"fail"}])"),
                             problems);
  ASSERT_TRUE(problems.empty()) << all(problems);
  auto checks =
      checksFor(rails, {"aws.ec2.isolateInstance", "contain", "111111111111", "eu-west-1"});
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0].limit->name, "acct");
  EXPECT_EQ(checks[0].key, "account=111111111111");
  EXPECT_EQ(checks[1].key, "account=111111111111/region=eu-west-1");
  EXPECT_TRUE(checks[1].share_cap());
  EXPECT_EQ(checks[2].key, "global");
  checks = checksFor(rails, {"aws.ec2.stopInstance", "contain", "1", "us-east-1"});
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[1].key, "region=us-east-1");
  EXPECT_TRUE(checksFor(rails, {"aws.sns.publish", "notify", "1", "r"}).empty());
}

TEST(LimitsDecideTest, ShareCapsRoundDown) {
  EXPECT_EQ(shareCapMax(5, 20), 1);
  EXPECT_EQ(shareCapMax(5, 19), 0);
  EXPECT_EQ(shareCapMax(5, 200), 10);
  EXPECT_EQ(shareCapMax(100, 7), 7);
  EXPECT_EQ(shareCapMax(33.3, 3), 0);
  EXPECT_EQ(shareCapMax(5, 0), 0);
}

TEST(LimitsDecideTest, TheRulesOnLimitWins) {
  EXPECT_EQ(effectiveOnLimit(std::nullopt, OnLimit::kApprove), OnLimit::kApprove);
  EXPECT_EQ(effectiveOnLimit(OnLimit::kFail, OnLimit::kApprove), OnLimit::kFail);
}

ResourceFacts instance(std::map<std::string, std::string> tags, std::string vpc = "vpc-1") {
  ResourceFacts f;
  f.account = "123456789012";
  f.region = "us-east-1";
  f.resource_id = "i-1";
  f.has_vpc = f.has_tags = true;
  f.vpc = std::move(vpc);
  f.tags = std::move(tags);
  return f;
}

TEST(ScopeDecideTest, DenyThenAllowAgainstTheCurrentState) {
  std::vector<Problem> problems;
  auto scope = parseScope(js(R"({"allow":{"accounts":["123456789012"],"vpcs":["vpc-1"],
                                          "tags":{"env":["prod"]}},
                                 "deny":{"tags":{"riposte:scope":["exclude"]},"resource_ids":["i-9"]}})"),
                          problems);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_TRUE(checkScope(scope, instance({{"env", "prod"}})).allowed);
  auto d = checkScope(scope, instance({{"env", "dev"}}));
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("none of the tags of scope.allow.tags (env=prod)"), std::string::npos)
      << d.reason;
  d = checkScope(scope, instance({{"env", "prod"}, {"riposte:scope", "exclude"}}));
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("scope.deny.tags"), std::string::npos) << d.reason;
  d = checkScope(scope, instance({{"env", "prod"}}, "vpc-2"));
  EXPECT_NE(d.reason.find("vpc-2, not in scope.allow.vpcs"), std::string::npos) << d.reason;
  auto other = instance({{"env", "prod"}});
  other.account = "210987654321";
  EXPECT_NE(checkScope(scope, other).reason.find("not in scope.allow.accounts"), std::string::npos);
  auto denied = instance({{"env", "prod"}});
  denied.resource_id = "i-9";
  EXPECT_NE(checkScope(scope, denied).reason.find("scope.deny.resource_ids"), std::string::npos);
  // A kind of resource without VPC or tags (a WAF IP set) is not held to those lists.
  ResourceFacts waf;
  waf.account = "123456789012";
  waf.region = "us-east-1";
  waf.resource_id = "blocklist";
  scope.deny.resource_ids.clear();
  EXPECT_TRUE(checkScope(scope, waf).allowed);
}

TEST(ScopeDecideTest, FailsClosedWhenWhatItNeedsCannotBeRead) {
  Scope scope;
  scope.deny.tags["riposte:scope"] = {"exclude"};
  auto f = instance({});
  f.tags.reset();
  f.tags_error = "UnauthorizedOperation: not allowed to describe tags";
  auto d = checkScope(scope, f);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason,
            "scope lists tags, and riposte cannot read the tags of i-1: UnauthorizedOperation: "
            "not allowed to describe tags; not acting");
  Scope by_vpc;
  by_vpc.allow.vpcs = {"vpc-1"};
  f = instance({});
  f.vpc.reset();
  f.vpc_error = "throttled";
  EXPECT_FALSE(checkScope(by_vpc, f).allowed);
  Scope by_id;
  by_id.deny.resource_ids = {"i-9"};
  ResourceFacts unknown;
  unknown.resource_id_error = "aws-sdk:ec2:terminateInstances names no resource riposte reads";
  d = checkScope(by_id, unknown);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("cannot tell which resource"), std::string::npos);
  // An empty scope needs nothing.
  EXPECT_TRUE(checkScope(Scope{}, unknown).allowed);
}

}  // namespace
}  // namespace riposte::policy
