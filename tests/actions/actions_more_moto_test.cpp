// releaseInstance, unblockIp, snapshotVolumes, tagResource and the IAM actions against moto:
// effect, idempotency, undo, dry run and protection.
#include <gtest/gtest.h>

#include "actions/registry.h"
#include "support/aws_fixtures.h"
#include "support/moto_server.h"

namespace riposte::actions {
namespace {

using riposte::testing::AwsFixtures;
using riposte::testing::Ec2Env;

class MoreActionsTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    fx_ = std::make_unique<AwsFixtures>(client());
    ctx_.incident_id = "inc-more-1";
    ctx_.account = "123456789012";
    ctx_.region = "us-east-1";
    ctx_.aws = &client();
  }
  Result<ActionOutcome> run(std::string_view action, json::value input) {
    const Action* a = registry_.find(action);
    EXPECT_NE(a, nullptr) << action;
    if (!a) return fail("Unknown", std::string(action));
    return a->run(input, ctx_);
  }
  AwsFixtures& fx() { return *fx_; }
  std::set<std::string> groupsOf(const std::string& instance) {
    auto ids = fx().instanceGroupIds(instance);
    return {ids.begin(), ids.end()};
  }

  Registry registry_ = Registry::builtins();
  std::unique_ptr<AwsFixtures> fx_;
  ActionContext ctx_;
};

TEST_F(MoreActionsTest, ReleaseRestoresRecordedGroupsAndRemovesTags) {
  Ec2Env env = fx().makeEc2Env();
  auto iso = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(iso) << iso.error().str();
  ASSERT_EQ(fx().instanceGroupIds(env.instance_id).size(), 1u);

  auto rel = run("aws.ec2.releaseInstance", {{"instanceId", env.instance_id}, {"before", iso->before}});
  ASSERT_TRUE(rel) << rel.error().str();
  EXPECT_TRUE(rel->changed);
  const std::set<std::string> original{env.sg_web, env.sg_app};
  EXPECT_EQ(groupsOf(env.instance_id), original);
  for (const auto& [eni, ids] : fx().eniGroupIds(env.instance_id)) {
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), original) << eni;
  }
  auto tags = fx().instanceTags(env.instance_id);
  EXPECT_EQ(tags.count("riposte:status"), 0u);
  EXPECT_EQ(tags.count("riposte:incident"), 0u);

  auto again = run("aws.ec2.releaseInstance", {{"instanceId", env.instance_id}, {"before", iso->before}});
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);
}

TEST_F(MoreActionsTest, ReleaseWithoutRecordUsesThePreviousGroupsTag) {
  Ec2Env env = fx().makeEc2Env();
  ASSERT_TRUE(run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}}));
  auto rel = run("aws.ec2.releaseInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(rel) << rel.error().str();
  EXPECT_EQ(groupsOf(env.instance_id), (std::set<std::string>{env.sg_web, env.sg_app}));
}

TEST_F(MoreActionsTest, UnblockRemovesOnlyTheRecordedEntry) {
  Ec2Env env = fx().makeEc2Env();
  auto blocked = run("aws.ec2.blockIp", {{"instanceId", env.instance_id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(blocked) << blocked.error().str();
  auto other = run("aws.ec2.blockIp", {{"instanceId", env.instance_id}, {"ip", "203.0.113.9"}});
  ASSERT_TRUE(other) << other.error().str();

  json::object undo = blocked->after.as_object();
  auto un = run("aws.ec2.unblockIp", undo);
  ASSERT_TRUE(un) << un.error().str();
  EXPECT_TRUE(un->changed);
  json::value acl = fx().naclOfSubnet(env.subnet_id);
  std::set<std::string> denied;
  for (const auto& e : acl.at("entrySet").as_array()) {
    if (e.at("ruleAction").as_string() == "deny" && e.at("ruleNumber").as_string() != "32767") {
      denied.insert(std::string(e.at("cidrBlock").as_string()));
    }
  }
  EXPECT_EQ(denied, std::set<std::string>{"203.0.113.9/32"});

  auto again = run("aws.ec2.unblockIp", undo);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);  // and no DeleteNetworkAclEntry on a missing rule (moto 500s)
}

TEST_F(MoreActionsTest, SnapshotVolumesOncePerIncident) {
  Ec2Env env = fx().makeEc2Env();
  auto vols = fx().volumesOf(env.instance_id);
  ASSERT_EQ(vols.size(), 1u);
  const std::string vol(vols[0].at("volumeId").as_string());

  ctx_.dry_run = true;
  auto dry = run("aws.ec2.snapshotVolumes", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(dry) << dry.error().str();
  EXPECT_FALSE(dry->changed);
  EXPECT_TRUE(fx().snapshotsOfVolume(vol).empty());
  ctx_.dry_run = false;

  auto r = run("aws.ec2.snapshotVolumes", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  auto snaps = fx().snapshotsOfVolume(vol);
  ASSERT_EQ(snaps.size(), 1u);
  std::map<std::string, std::string> tags;
  for (const auto& t : snaps[0].at("tagSet").as_array()) {
    tags[std::string(t.at("key").as_string())] = std::string(t.at("value").as_string());
  }
  EXPECT_EQ(tags["riposte:incident"], "inc-more-1");
  EXPECT_EQ(tags["riposte:instance"], env.instance_id);
  EXPECT_EQ(r->output.at("snapshots").as_array()[0].at("snapshotId"), snaps[0].at("snapshotId"));

  auto again = run("aws.ec2.snapshotVolumes", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(fx().snapshotsOfVolume(vol).size(), 1u);
}

TEST_F(MoreActionsTest, TagResourceRecordsPreviousValuesAndRefusesProtected) {
  Ec2Env env = fx().makeEc2Env({{"Owner", "team-a"}});
  auto r = run("aws.ec2.tagResource", {{"resourceId", env.instance_id},
                                       {"tags", {{"Owner", "security"}, {"riposte:case", "42"}}}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->before.at(env.instance_id).at("Owner").as_string(), "team-a");
  EXPECT_TRUE(r->before.at(env.instance_id).at("riposte:case").is_null());
  auto tags = fx().instanceTags(env.instance_id);
  EXPECT_EQ(tags["Owner"], "security");
  EXPECT_EQ(tags["riposte:case"], "42");
  auto again = run("aws.ec2.tagResource", {{"resourceId", env.instance_id},
                                           {"tags", {{"Owner", "security"}}}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);

  std::string prot = fx().runInstance(env.subnet_id, {env.sg_app}, {{"riposte:protected", "true"}});
  auto refused = run("aws.ec2.tagResource", {{"resourceId", prot}, {"tags", {{"x", "y"}}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "ResourceProtected");
}

TEST_F(MoreActionsTest, DisableAccessKeyAndItsUndo) {
  const std::string user = fx().createUser("alice");
  const std::string k1 = fx().createAccessKey(user);
  const std::string k2 = fx().createAccessKey(user);
  auto r = run("aws.iam.disableAccessKey", {{"userName", user}, {"accessKeyId", k1}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  auto st = fx().accessKeyStatuses(user);
  EXPECT_EQ(st[k1], "Inactive");
  EXPECT_EQ(st[k2], "Active");
  EXPECT_EQ(r->before.at("keys").at(k1).as_string(), "Active");

  auto again = run("aws.iam.disableAccessKey", {{"userName", user}, {"accessKeyId", k1}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);

  auto all = run("aws.iam.disableAccessKey", {{"userName", user}, {"allKeys", true}});
  ASSERT_TRUE(all) << all.error().str();
  EXPECT_EQ(fx().accessKeyStatuses(user)[k2], "Inactive");

  auto undo = run("aws.iam.enableAccessKey", {{"userName", user}, {"accessKeyId", k1}});
  ASSERT_TRUE(undo) << undo.error().str();
  EXPECT_EQ(fx().accessKeyStatuses(user)[k1], "Active");

  auto missing = run("aws.iam.disableAccessKey", {{"userName", "nobody"}, {"accessKeyId", "AKIANOPE"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "NoSuchEntity");
}

TEST_F(MoreActionsTest, DisableAccessKeyRefusesProtectedUser) {
  const std::string user = fx().createUser("break-glass");
  const std::string k = fx().createAccessKey(user);
  fx().query("iam", "TagUser",
             {{"UserName", user}, {"Tags.member.1.Key", "riposte:protected"}, {"Tags.member.1.Value", "true"}});
  auto r = run("aws.iam.disableAccessKey", {{"userName", user}, {"accessKeyId", k}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceProtected");
  EXPECT_EQ(fx().accessKeyStatuses(user)[k], "Active");
}

TEST_F(MoreActionsTest, RevokeSessionsPutsADenyPolicyOnceAndRestoreRemovesIt) {
  const std::string user = fx().createUser("bob");
  auto r = run("aws.iam.revokeSessions", {{"userName", user}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  auto got = fx().query("iam", "GetUserPolicy",
                        {{"UserName", user}, {"PolicyName", "riposte-revoke-sessions"}});
  ASSERT_TRUE(got.is_object());
  std::string doc(got.at("GetUserPolicyResult").at("PolicyDocument").as_string());
  EXPECT_NE(doc.find("TokenIssueTime"), std::string::npos) << doc;
  EXPECT_NE(doc.find("Deny"), std::string::npos) << doc;

  auto again = run("aws.iam.revokeSessions", {{"userName", user}});
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);

  auto undo = run("aws.iam.restoreSessions", {{"userName", user}, {"before", r->before}});
  ASSERT_TRUE(undo) << undo.error().str();
  EXPECT_TRUE(undo->changed);
  auto list = fx().query("iam", "ListUserPolicies", {{"UserName", user}});
  EXPECT_EQ(toJson(list).find("riposte-revoke-sessions"), std::string::npos) << toJson(list);

  auto role = run("aws.iam.revokeSessions", {{"roleName", "no-such-role"}});
  ASSERT_FALSE(role);
  EXPECT_EQ(role.error().code, "NoSuchEntity");
}

}  // namespace
}  // namespace riposte::actions
