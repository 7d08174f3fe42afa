// iamPolicyFor: the least-privilege policy of playbooks, from the actions' declared permissions.
#include "actions/iam_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace riposte::actions {
namespace {

json::value parse(const std::string& text) {
  auto v = parseJson(text, 512);
  EXPECT_TRUE(v) << (v ? "" : v.error().message);
  return v ? *v : json::value();
}

// Every Action of every statement, and the statement that holds it.
std::map<std::string, json::object> actionsOf(const json::value& doc) {
  std::map<std::string, json::object> out;
  for (const auto& st : doc.at("Statement").as_array()) {
    EXPECT_EQ(st.at("Effect"), "Allow");
    for (const auto& a : st.at("Action").as_array())
      out[std::string(a.as_string())] = st.as_object();
  }
  return out;
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

TEST(IamPolicy, DefaultConfigNeedsExactlyItsActionsAndTheirUndos) {
  auto pbs = loadPlaybooks("config/default/playbooks");
  ASSERT_EQ(pbs.size(), 3u);
  IamPolicyOptions opt;
  opt.notify_topic_arn = "arn:aws:sns:us-east-1:123456789012:security-alerts";
  auto p = iamPolicyFor(pbs, Registry::builtins(), opt);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->document.at("Version"), "2012-10-17");
  auto acts = actionsOf(p->document);
  // Exactly the union of the used actions' permissions and their undos'.
  std::set<std::string> want;
  for (const char* n :
       {"aws.ec2.snapshotVolumes", "aws.ec2.isolateInstance", "aws.ec2.releaseInstance",
        "aws.ec2.blockIp", "aws.ec2.unblockIp", "aws.sns.publish", "aws.securityhub.importFindings",
        "aws.iam.disableAccessKey", "aws.iam.enableAccessKey", "aws.iam.revokeSessions",
        "aws.iam.restoreSessions", "aws.securityhub.archiveFindings"}) {
    const Action* a = Registry::builtins().find(n);
    ASSERT_NE(a, nullptr) << n;
    // blockIp's WAF fallback only when a Task names a WAF IP set (none of these does).
    for (const auto& perm : a->descriptor().permissions)
      if (perm.when_parameter.empty()) want.insert(perm.action);
  }
  std::set<std::string> got;
  for (const auto& [k, _] : acts) got.insert(k);
  EXPECT_EQ(got, want);
  for (const char* must : {"ec2:CreateSnapshot", "ec2:ModifyNetworkInterfaceAttribute",
                           "ec2:AssociateIamInstanceProfile", "ec2:DeleteNetworkAclEntry",
                           "iam:UpdateAccessKey", "iam:PutUserPolicy", "iam:DeleteUserPolicy",
                           "securityhub:BatchImportFindings", "sns:Publish"}) {
    EXPECT_TRUE(acts.count(must)) << must;
  }
  // Nothing the playbooks do not use.
  for (const char* never : {"ec2:StopInstances", "ec2:TerminateInstances", "iam:DeleteLoginProfile",
                            "wafv2:UpdateIPSet", "iam:*", "*"}) {
    EXPECT_FALSE(acts.count(never)) << never;
  }
  // sns:Publish only to the configured topic (every playbook publishes to it).
  EXPECT_EQ(acts["sns:Publish"].at("Resource"), json::array{opt.notify_topic_arn});
  EXPECT_EQ(acts["sns:Publish"].at("Sid"), "RiposteSnsPublish");
  EXPECT_EQ(acts["ec2:CreateSnapshot"].at("Resource"), "*");
  EXPECT_EQ(acts["ec2:CreateSnapshot"].at("Sid"), "RiposteEc2");
  // Sids are unique; every task is explained.
  std::set<std::string> sids;
  for (const auto& st : p->document.at("Statement").as_array())
    EXPECT_TRUE(sids.insert(std::string(st.at("Sid").as_string())).second);
  auto snap = std::find_if(p->tasks.begin(), p->tasks.end(), [](const TaskPermissions& t) {
    return t.playbook == "contain-ec2-instance" && t.state == "SnapshotVolumes";
  });
  ASSERT_NE(snap, p->tasks.end());
  EXPECT_EQ(snap->action, "aws.ec2.snapshotVolumes");
  EXPECT_EQ(snap->undo, "");
}

TEST(IamPolicy, WithoutUndoLeavesOutTheReleasePermissions) {
  auto pbs = loadPlaybooks("config/default/playbooks");
  IamPolicyOptions opt;
  opt.include_undo = false;
  auto p = iamPolicyFor(pbs, Registry::builtins(), opt);
  ASSERT_TRUE(p) << p.error().message;
  auto acts = actionsOf(p->document);
  EXPECT_TRUE(acts.count("ec2:CreateNetworkAclEntry"));
  EXPECT_FALSE(acts.count("ec2:DeleteTags"));  // unblockIp only
  EXPECT_FALSE(acts.count("ec2:AssociateIamInstanceProfile"));
  // No notification topic configured: sns:Publish cannot be scoped.
  EXPECT_EQ(acts["sns:Publish"].at("Resource"), "*");
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
  auto p = iamPolicyFor({{"pb", def}}, Registry::builtins());
  ASSERT_TRUE(p) << p.error().message;
  auto acts = actionsOf(p->document);
  EXPECT_TRUE(acts.count("ec2:StopInstances"));
  EXPECT_TRUE(acts.count("ec2:StartInstances"));  // its undo
  EXPECT_TRUE(acts.count("ec2:DescribeVolumes"));
  EXPECT_EQ(acts["sns:Publish"].at("Resource"),
            (json::array{"arn:aws:sns:us-east-1:1:a", "arn:aws:sns:us-east-1:1:b"}));
  EXPECT_EQ(p->tasks.size(), 4u);

  // A topic taken from the event cannot be known: sns:Publish on "*".
  auto dyn = parse(R"({"StartAt": "N", "States": {"N": {"Type": "Task",
    "Resource": "riposte:aws.sns.publish", "Parameters": {"topicArn.$": "$.topic"}, "End": true}}})");
  auto q = iamPolicyFor({{"pb", dyn}}, Registry::builtins(), {true, "arn:aws:sns:us-east-1:1:a"});
  ASSERT_TRUE(q);
  EXPECT_EQ(actionsOf(q->document)["sns:Publish"].at("Resource"), "*");
}

TEST(IamPolicy, UnknownResourceIsAnErrorNamingTheState) {
  auto def = parse(R"({"StartAt": "X", "States": {"X": {"Type": "Task",
    "Resource": "riposte:aws.ec2.nukeEverything", "End": true}}})");
  auto p = iamPolicyFor({{"pb", def}}, Registry::builtins());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, "UnknownAction");
  EXPECT_NE(p.error().message.find("state X"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("aws.ec2.nukeEverything"), std::string::npos);
}

TEST(IamPolicy, EveryExampleConfigHasAPolicy) {
  for (const char* dir : {"config/examples/000-isolate-and-block/playbooks",
                          "config/examples/001-severity-based/playbooks",
                          "config/examples/003-step-functions/playbooks"}) {
    auto p = iamPolicyFor(loadPlaybooks(dir), Registry::builtins());
    ASSERT_TRUE(p) << dir << ": " << p.error().message;
    EXPECT_TRUE(actionsOf(p->document).count("sns:Publish")) << dir;
    EXPECT_TRUE(actionsOf(p->document).count("ec2:ModifyNetworkInterfaceAttribute")) << dir;
  }
}

}  // namespace
}  // namespace riposte::actions
