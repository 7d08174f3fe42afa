// iamPolicyFor: the least-privilege policy of playbooks, from the action descriptors: every grant
// scoped, errors instead of wider grants. The evaluator (support/iam_evaluator.h) checks the
// documents with IAM's matching rules, as moto has no SimulateCustomPolicy.
#include "runbook/iam_policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/config.h"
#include "policy/threat_config.h"
#include "support/iam_evaluator.h"

namespace riposte::runbook {
namespace {

using actions::Registry;
using testing::evaluateIam;
using testing::IamDecision;
using testing::IamRequest;

constexpr const char* kTopic = "arn:aws:sns:us-east-1:123456789012:security-alerts";

json::value parse(const std::string& text) {
  auto v = parseJson(text, 512);
  EXPECT_TRUE(v) << (v ? "" : v.error().message);
  return v ? *v : json::value();
}

std::map<std::string, json::value> loadPlaybooks(const std::string& dir) {
  std::map<std::string, json::value> out;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(RIPOSTE_SOURCE_DIR) + "/" + dir)) {
    std::ifstream f(e.path());
    std::stringstream ss;
    ss << f.rdbuf();
    std::string name = e.path().filename().string();
    out[name.substr(0, name.find(".asl."))] = parse(ss.str());
  }
  return out;
}

IamPolicyOptions defaults() {
  IamPolicyOptions o;
  o.notify_topic_arn = kTopic;
  o.protected_tag_key = "riposte:protected";
  o.protected_tag_value = "true";
  return o;
}

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.emplace_back(v.as_string());
  if (v.is_array())
    for (const auto& x : v.as_array()) out.emplace_back(x.as_string());
  return out;
}

// action → the statements granting it.
std::map<std::string, std::vector<json::object>> grants(const json::value& doc) {
  std::map<std::string, std::vector<json::object>> out;
  for (const auto& st : doc.at("Statement").as_array()) {
    if (st.at("Effect") != "Allow") continue;
    for (const auto& a : strings(st.at("Action"))) out[a].push_back(st.as_object());
  }
  return out;
}

IamDecision decide(const json::value& doc, const std::string& action, const std::string& resource,
                   std::map<std::string, std::string> context = {}) {
  return evaluateIam(doc, IamRequest{action, resource, std::move(context)});
}

TEST(IamPolicy, DefaultConfigNeedsExactlyItsActionsAndTheirUndos) {
  auto pbs = loadPlaybooks("config/default/playbooks");
  ASSERT_EQ(pbs.size(), 4u);
  auto p = iamPolicyFor(pbs, Registry::builtins(), defaults());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->document.at("Version"), "2012-10-17");
  auto g = grants(p->document);
  // Exactly the union of the used actions' permissions and their undos' (blockIp's WAF
  // fallback only when a Task names a WAF IP set: none of these does).
  std::set<std::string> want;
  for (const char* n :
       {"aws.ec2.snapshotVolumes", "aws.ec2.isolateInstance", "aws.ec2.releaseInstance",
        "aws.ec2.blockIp", "aws.ec2.unblockIp", "aws.sns.publish", "aws.securityhub.importFindings",
        "aws.securityhub.archiveFindings", "aws.iam.disableAccessKey", "aws.iam.enableAccessKey",
        "aws.iam.revokeSessions", "aws.iam.restoreSessions"}) {
    const actions::Action* a = Registry::builtins().find(n);
    ASSERT_NE(a, nullptr) << n;
    for (const auto& perm : a->descriptor().permissions)
      if (perm.when_parameter.empty()) want.insert(perm.action);
  }
  std::set<std::string> got;
  for (const auto& [k, _] : g) got.insert(k);
  EXPECT_EQ(got, want);
  for (const char* never : {"ec2:StopInstances", "ec2:TerminateInstances", "iam:DeleteLoginProfile",
                            "wafv2:UpdateIPSet", "iam:*", "*"}) {
    EXPECT_FALSE(g.count(never)) << never;
  }
  // Sids are unique; every task is explained.
  std::set<std::string> sids;
  for (const auto& st : p->document.at("Statement").as_array())
    EXPECT_TRUE(sids.insert(std::string(st.at("Sid").as_string())).second) << st.at("Sid");
  auto snap = std::find_if(p->tasks.begin(), p->tasks.end(), [](const TaskPermissions& t) {
    return t.playbook == "contain-ec2-instance" && t.state == "SnapshotVolumes";
  });
  ASSERT_NE(snap, p->tasks.end());
  EXPECT_EQ(snap->action, "aws.ec2.snapshotVolumes");
  EXPECT_EQ(snap->undo, "");
  EXPECT_TRUE(snap->undo_permissions.empty());
}

// The issue's privilege-escalation paths: no IAM change and no PassRole on "*", every IAM
// change only on unprotected principals, PassRole only to EC2, sns:Publish only on the topic.
TEST(IamPolicy, DefaultConfigGrantsNothingOnEveryResourceButReads) {
  auto p =
      iamPolicyFor(loadPlaybooks("config/default/playbooks"), Registry::builtins(), defaults());
  ASSERT_TRUE(p) << p.error().message;
  for (const auto& [action, statements] : grants(p->document)) {
    const std::string api = action.substr(action.find(':') + 1);
    const bool read =
        api.rfind("Describe", 0) == 0 || api.rfind("Get", 0) == 0 || api.rfind("List", 0) == 0;
    for (const auto& st : statements) {
      for (const auto& r : strings(st.at("Resource")))
        EXPECT_TRUE(read || r != "*") << action << " is granted on every resource";
    }
  }
  const auto& doc = p->document;
  const std::string alice = "arn:aws:iam::123456789012:user/alice";
  const std::string admin = "arn:aws:iam::123456789012:role/admin";
  for (const char* a : {"iam:PutUserPolicy", "iam:UpdateAccessKey", "iam:DeleteUserPolicy"}) {
    EXPECT_EQ(decide(doc, a, alice), IamDecision::kAllow) << a;
    EXPECT_EQ(decide(doc, a, alice, {{"aws:ResourceTag/riposte:protected", "True"}}),
              IamDecision::kImplicitDeny)
        << a << " on a protected user";
  }
  EXPECT_EQ(decide(doc, "iam:PutRolePolicy", admin), IamDecision::kAllow);
  EXPECT_EQ(
      decide(doc, "iam:PutRolePolicy", admin, {{"aws:ResourceTag/riposte:protected", "true"}}),
      IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "iam:PutUserPolicy", "*"), IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "iam:PassRole", admin, {{"iam:PassedToService", "ec2.amazonaws.com"}}),
            IamDecision::kAllow);
  EXPECT_EQ(decide(doc, "iam:PassRole", admin, {{"iam:PassedToService", "lambda.amazonaws.com"}}),
            IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "iam:PassRole", admin), IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "iam:CreateAccessKey", alice), IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "sns:Publish", kTopic), IamDecision::kAllow);
  EXPECT_EQ(decide(doc, "sns:Publish", "arn:aws:sns:us-east-1:123456789012:other"),
            IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "ec2:ModifyInstanceAttribute",
                   "arn:aws:ec2:eu-west-1:210987654321:instance/i-0abc"),
            IamDecision::kAllow);
  EXPECT_EQ(decide(doc, "ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1"),
            IamDecision::kImplicitDeny);  // only the types the actions tag
  EXPECT_EQ(decide(doc, "ec2:CreateTags", "arn:aws:ec2:us-east-1::snapshot/snap-1"),
            IamDecision::kAllow);
}

TEST(IamPolicy, AnUnsetTopicIsAnErrorNamingTheSetting) {
  IamPolicyOptions o = defaults();
  o.notify_topic_arn.clear();
  auto p = iamPolicyFor(loadPlaybooks("config/default/playbooks"), Registry::builtins(), o);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "NotConfigured");
  EXPECT_NE(p.error().message.find("notifications.sns_topic_arn"), std::string::npos)
      << p.error().message;
  EXPECT_NE(p.error().message.find("state Notify"), std::string::npos) << p.error().message;
}

TEST(IamPolicy, ATopicRiposteCannotKnowIsAnError) {
  for (const char* params : {R"({"topicArn.$": "$.detail.topic"})", R"({"message": "x"})",
                             R"({"topicArn": "security-alerts"})", R"({"topicArns.$": "$.t"})"}) {
    auto def = parse(std::string(R"({"StartAt": "N", "States": {"N": {"Type": "Task",
      "Resource": "riposte:aws.sns.publish", "Parameters": )") +
                     params + R"(, "End": true}}})");
    auto p = iamPolicyFor({{"pb", def}}, Registry::builtins(), defaults());
    ASSERT_FALSE(p) << params;
    EXPECT_EQ(p.error().code, "UnknownTopic") << params;
    EXPECT_NE(p.error().message.find("playbook pb, state N"), std::string::npos);
  }
}

TEST(IamPolicy, TheRolesRiposteActsAsAreDeniedEveryIamChange) {
  IamPolicyOptions o = defaults();
  o.own_roles = {"arn:aws:iam::210987654321:role/riposte", "arn:aws:iam::123456789012:role/rip"};
  auto p = iamPolicyFor(loadPlaybooks("config/default/playbooks"), Registry::builtins(), o);
  ASSERT_TRUE(p) << p.error().message;
  const auto& st = p->document.at("Statement").as_array();
  const auto& deny = st.back();
  EXPECT_EQ(deny.at("Sid"), "RiposteNeverOnItself");
  EXPECT_EQ(deny.at("Effect"), "Deny");
  const auto denied = strings(deny.at("Action"));
  for (const char* a : {"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PassRole",
                        "iam:PutUserPolicy", "iam:UpdateAccessKey"}) {
    EXPECT_NE(std::find(denied.begin(), denied.end(), a), denied.end()) << a;
  }
  EXPECT_EQ(decide(p->document, "iam:PutRolePolicy", o.own_roles[0]), IamDecision::kExplicitDeny);
  EXPECT_EQ(decide(p->document, "iam:PassRole", o.own_roles[1],
                   {{"iam:PassedToService", "ec2.amazonaws.com"}}),
            IamDecision::kExplicitDeny);
  EXPECT_EQ(decide(p->document, "iam:PutRolePolicy", "arn:aws:iam::123456789012:role/app"),
            IamDecision::kAllow);
}

TEST(IamPolicy, WithoutUndoLeavesOutTheReleasePermissions) {
  IamPolicyOptions o = defaults();
  o.include_undo = false;
  auto p = iamPolicyFor(loadPlaybooks("config/default/playbooks"), Registry::builtins(), o);
  ASSERT_TRUE(p) << p.error().message;
  auto g = grants(p->document);
  EXPECT_TRUE(g.count("ec2:CreateNetworkAclEntry"));
  EXPECT_FALSE(g.count("ec2:DeleteTags"));  // unblockIp / releaseInstance only
  EXPECT_FALSE(g.count("ec2:AssociateIamInstanceProfile"));
  EXPECT_FALSE(g.count("iam:PassRole"));
  EXPECT_FALSE(g.count("securityhub:GetFindings"));  // archiveFindings only
}

TEST(IamPolicy, WalksParallelAndMapAndStepFunctionsIntegrations) {
  auto def = parse(R"({"StartAt": "P", "States": {
    "P": {"Type": "Parallel", "Next": "M", "Branches": [
      {"StartAt": "Stop", "States": {"Stop": {"Type": "Task",
         "Resource": "riposte:aws.ec2.stopInstance", "End": true}}}]},
    "M": {"Type": "Map", "Next": "N", "ItemProcessor": {"StartAt": "D", "States": {
      "D": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeVolumes",
            "End": true}}}},
    "N": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
          "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:1:a", "Message": "x"}, "Next": "W"},
    "W": {"Type": "Task", "Resource": "riposte:aws.sns.publish",
          "Parameters": {"topicArns": {"HIGH": "arn:aws:sns:us-east-1:1:b"}}, "End": true}}})");
  auto p = iamPolicyFor({{"pb", def}}, Registry::builtins(), defaults());
  ASSERT_TRUE(p) << p.error().message;
  auto g = grants(p->document);
  EXPECT_TRUE(g.count("ec2:StopInstances"));
  EXPECT_TRUE(g.count("ec2:StartInstances"));  // its undo
  EXPECT_TRUE(g.count("ec2:DescribeVolumes"));
  ASSERT_EQ(g["sns:Publish"].size(), 1u);
  EXPECT_EQ(g["sns:Publish"][0].at("Resource"),
            (json::array{"arn:aws:sns:us-east-1:1:a", "arn:aws:sns:us-east-1:1:b"}));
  EXPECT_EQ(g["ec2:StopInstances"][0].at("Resource"), actions::kEc2Instance);
  EXPECT_EQ(p->tasks.size(), 4u);
}

TEST(IamPolicy, AnIamChangeRiposteCannotScopeIsRefused) {
  auto def = parse(R"({"StartAt": "X", "States": {"X": {"Type": "Task",
    "Resource": "arn:aws:states:::aws-sdk:iam:attachRolePolicy", "End": true}}})");
  auto p = iamPolicyFor({{"pb", def}}, Registry::builtins(), defaults());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "NoScope");
  EXPECT_NE(p.error().message.find("iam:AttachRolePolicy"), std::string::npos);
}

TEST(IamPolicy, BlockIpsWafFallbackIsGrantedOnlyWhenATaskNamesAnIpSet) {
  auto with = parse(R"({"StartAt": "B", "States": {"B": {"Type": "Task",
    "Resource": "riposte:aws.ec2.blockIp",
    "Parameters": {"instanceId.$": "$.i", "ip.$": "$.ip", "wafIpSetName": "blocklist"},
    "End": true}}})");
  auto p = iamPolicyFor({{"pb", with}}, Registry::builtins(), defaults());
  ASSERT_TRUE(p) << p.error().message;
  auto g = grants(p->document);
  for (const char* a : {"wafv2:ListIPSets", "wafv2:GetIPSet", "wafv2:UpdateIPSet"})
    EXPECT_TRUE(g.count(a)) << a;
  EXPECT_EQ(g["wafv2:UpdateIPSet"][0].at("Resource"), actions::kWafIpSet);
}

// What riposte calls itself (runbook::engineCalls): the threat lists it reads from S3, the
// threat intel set it publishes, the breaker's alert; each on exactly the resource configured.
TEST(IamPolicy, RiposteOwnCallsAreGrantedOnTheConfiguredResourcesOnly) {
  engine::Config cfg;
  cfg.default_region = "eu-west-1";
  cfg.sns_topic_arn = kTopic;
  policy::ThreatListConfig list;
  list.name = "corp-egress";
  list.verdict = policy::Verdict::kTrusted;
  list.source = *policy::parseListSource("s3://corp-secops/lists/egress.txt");
  cfg.threat_intel.lists.push_back(list);
  policy::ThreatListConfig file = list;
  file.name = "local";
  file.source = *policy::parseListSource("lists/local.txt");
  cfg.threat_intel.lists.push_back(file);
  policy::PublishConfig pub;
  pub.location = *policy::parseListSource("s3://corp-secops/riposte/blocked.txt");
  pub.detector_id = "12abc34d567e8fa901bc2d34e56789f0";
  cfg.threat_intel.publish = pub;
  cfg.guard_rails.breaker = policy::Breaker{};
  cfg.guardduty = policy::GuardDutySettings{"99abc34d567e8fa901bc2d34e56789f0", "us-east-1"};
  auto calls = engineCalls(cfg, kTopic);
  ASSERT_TRUE(calls) << calls.error().message;
  std::vector<std::string> what;
  for (const auto& c : *calls) what.push_back(c.what);
  EXPECT_EQ(what, (std::vector<std::string>{"threat list corp-egress", "threat intel publication",
                                            "GuardDuty filters of suppressions", "breaker alert"}));
  IamPolicyOptions o = defaults();
  o.engine_calls = *calls;
  // No playbooks: only riposte's own calls (the shipped ones change unprotected roles too).
  auto p = iamPolicyFor({}, Registry::builtins(), o);
  ASSERT_TRUE(p) << p.error().message;
  const auto& doc = p->document;
  const std::string detector =
      "arn:aws:guardduty:eu-west-1:123456789012:detector/" + pub.detector_id;
  const std::string slr =
      "arn:aws:iam::123456789012:role/aws-service-role/guardduty.amazonaws.com/"
      "AWSServiceRoleForAmazonGuardDuty";
  EXPECT_EQ(decide(doc, "s3:GetObject", "arn:aws:s3:::corp-secops/lists/egress.txt"),
            IamDecision::kAllow);
  EXPECT_NE(decide(doc, "s3:GetObject", "arn:aws:s3:::corp-secops/lists/other.txt"),
            IamDecision::kAllow);
  EXPECT_EQ(decide(doc, "s3:PutObject", "arn:aws:s3:::corp-secops/riposte/blocked.txt"),
            IamDecision::kAllow);
  EXPECT_EQ(decide(doc, "s3:GetObject", "arn:aws:s3:::corp-secops/riposte/blocked.txt"),
            IamDecision::kAllow);
  EXPECT_NE(decide(doc, "s3:PutObject", "arn:aws:s3:::corp-secops/lists/egress.txt"),
            IamDecision::kAllow);
  for (const char* a : {"guardduty:ListThreatIntelSets", "guardduty:CreateThreatIntelSet"})
    EXPECT_EQ(decide(doc, a, detector), IamDecision::kAllow) << a;
  for (const char* a : {"guardduty:GetThreatIntelSet", "guardduty:UpdateThreatIntelSet"}) {
    EXPECT_EQ(decide(doc, a, detector + "/threatintelset/abc"), IamDecision::kAllow) << a;
    EXPECT_NE(decide(doc, a,
                     "arn:aws:guardduty:eu-west-1:123456789012:detector/other/threatintelset/abc"),
              IamDecision::kAllow)
        << a;
  }
  EXPECT_NE(decide(doc, "guardduty:DeleteThreatIntelSet", detector + "/threatintelset/abc"),
            IamDecision::kAllow);
  for (const char* a : {"iam:PutRolePolicy", "iam:DeleteRolePolicy"}) {
    EXPECT_EQ(decide(doc, a, slr), IamDecision::kAllow) << a;
    EXPECT_NE(decide(doc, a, "arn:aws:iam::123456789012:role/admin"), IamDecision::kAllow) << a;
  }
  EXPECT_EQ(decide(doc, "sns:Publish", kTopic), IamDecision::kAllow);
  // The filters of `guardduty: archive` suppressions: riposte's own names, on its detector.
  const std::string filters =
      "arn:aws:guardduty:us-east-1:123456789012:detector/99abc34d567e8fa901bc2d34e56789f0/filter/";
  for (const char* a : {"guardduty:CreateFilter", "guardduty:GetFilter", "guardduty:UpdateFilter",
                        "guardduty:DeleteFilter"}) {
    EXPECT_EQ(decide(doc, a, filters + "riposte-pentest"), IamDecision::kAllow) << a;
    EXPECT_NE(decide(doc, a, filters + "their-filter"), IamDecision::kAllow) << a;
  }
  const auto explained =
      std::find_if(p->tasks.begin(), p->tasks.end(), [](const TaskPermissions& t) {
        return t.playbook == "(riposte)" && t.state == "threat intel publication";
      });
  ASSERT_NE(explained, p->tasks.end());

  // Without them, nothing of it.
  auto none = engineCalls(engine::Config{}, kTopic);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  engine::Config no_topic = cfg;
  auto quiet = engineCalls(no_topic, "");
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->size(), 3u);  // no topic: the breaker sends no alert, so no grant
}

// Notifications: notifications.on_failure's topic and every sns sink's get sns:Publish (the
// webhook sinks need nothing); on_failure off, or no topic, grants nothing for it.
TEST(IamPolicy, NotificationTopicsArePublishable) {
  engine::Config cfg;
  cfg.on_failure.sns_topic_arn = "arn:aws:sns:us-east-1:111122223333:failures";
  cfg.settings["sinks"] = json::array{
      json::object{{"type", "sns"}, {"name", "soc"}, {"topic_arn", "arn:aws:sns:eu-west-1:1:soc"}},
      json::object{{"type", "webhook"}, {"name", "slack"}, {"format", "slack"}}};
  auto calls = engineCalls(cfg, "");
  ASSERT_TRUE(calls) << calls.error().message;
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ((*calls)[0].what, "notifications (on_failure, sns sinks)");
  ASSERT_EQ((*calls)[0].permissions.size(), 1u);
  EXPECT_EQ((*calls)[0].permissions[0].action, "sns:Publish");
  EXPECT_EQ((*calls)[0].permissions[0].resources,
            (std::vector<std::string>{"arn:aws:sns:eu-west-1:1:soc",
                                      "arn:aws:sns:us-east-1:111122223333:failures"}));
  cfg.on_failure.enabled = false;
  cfg.settings.erase("sinks");
  EXPECT_TRUE(engineCalls(cfg, "")->empty());
}

TEST(IamPolicy, UnknownResourceIsAnErrorNamingTheState) {
  auto def = parse(R"({"StartAt": "X", "States": {"X": {"Type": "Task",
    "Resource": "riposte:aws.ec2.nukeEverything", "End": true}}})");
  auto p = iamPolicyFor({{"pb", def}}, Registry::builtins(), defaults());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "UnknownAction");
  EXPECT_NE(p.error().message.find("state X"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("aws.ec2.nukeEverything"), std::string::npos);
}

TEST(IamPolicy, EveryExampleConfigHasAPolicy) {
  for (const char* dir : {"config/examples/000-isolate-and-block/playbooks",
                          "config/examples/001-severity-based/playbooks",
                          "config/examples/003-step-functions/playbooks"}) {
    auto p = iamPolicyFor(loadPlaybooks(dir), Registry::builtins(), defaults());
    ASSERT_TRUE(p) << dir << ": " << p.error().message;
    EXPECT_TRUE(grants(p->document).count("sns:Publish")) << dir;
    EXPECT_TRUE(grants(p->document).count("ec2:ModifyNetworkInterfaceAttribute")) << dir;
  }
}

// ----- the evaluator itself, on IAM's documented matching rules

TEST(IamEvaluator, MatchesActionsResourcesAndConditionsAsIamDoes) {
  using testing::iamGlob;
  EXPECT_TRUE(iamGlob("ec2:Describe*", "EC2:describeinstances", true));
  EXPECT_FALSE(iamGlob("ec2:Describe*", "ec2:CreateTags", true));
  EXPECT_TRUE(iamGlob("a?c*", "abcdef", false));
  EXPECT_FALSE(iamGlob("a?c", "ac", false));
  auto doc = parse(R"({"Statement": [
    {"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/*"},
    {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:PutUserPolicy"], "Resource": "arn:aws:iam::*:user/*",
     "Condition": {"StringNotEqualsIgnoreCase": {"aws:ResourceTag/p": "true"}}},
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
     "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com"]}}},
    {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}]})");
  const std::string inst = "arn:aws:ec2:us-east-1:123456789012:instance/i-1";
  EXPECT_EQ(decide(doc, "ec2:StopInstances", inst), IamDecision::kAllow);
  EXPECT_EQ(decide(doc, "ec2:TerminateInstances", inst), IamDecision::kExplicitDeny);
  // A pattern never matches the "*" of an action without resource-level permissions.
  EXPECT_EQ(decide(doc, "ec2:DescribeVolumes", "*"), IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "ec2:DescribeInstances", "*"), IamDecision::kAllow);
  // Segments: a * does not reach into the next one.
  EXPECT_EQ(decide(doc, "ec2:StopInstances", "arn:aws:ec2:us-east-1:123456789012:volume/v"),
            IamDecision::kImplicitDeny);
  // A negated operator holds when the key is missing; a positive one does not.
  const std::string user = "arn:aws:iam::1:user/u";
  EXPECT_EQ(decide(doc, "iam:PutUserPolicy", user), IamDecision::kAllow);
  EXPECT_EQ(decide(doc, "iam:PutUserPolicy", user, {{"aws:resourcetag/p", "TRUE"}}),
            IamDecision::kImplicitDeny);
  EXPECT_EQ(decide(doc, "iam:PassRole", "arn:aws:iam::1:role/r"), IamDecision::kImplicitDeny);
}

}  // namespace
}  // namespace riposte::runbook
