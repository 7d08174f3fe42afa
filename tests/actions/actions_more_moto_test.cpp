// releaseInstance, unblockIp, snapshotVolumes, tagResource and the IAM actions against moto:
// effect, idempotency, undo, dry run and protection.
#include <gtest/gtest.h>

#include <set>

#include "actions/registry.h"
#include "support/aws_fixtures.h"
#include "support/findings.h"
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

  auto rel =
      run("aws.ec2.releaseInstance", {{"instanceId", env.instance_id}, {"before", iso->before}});
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

  auto again =
      run("aws.ec2.releaseInstance", {{"instanceId", env.instance_id}, {"before", iso->before}});
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
  auto again = run("aws.ec2.tagResource",
                   {{"resourceId", env.instance_id}, {"tags", {{"Owner", "security"}}}});
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

  auto missing =
      run("aws.iam.disableAccessKey", {{"userName", "nobody"}, {"accessKeyId", "AKIANOPE"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "NoSuchEntity");
}

TEST_F(MoreActionsTest, DisableAccessKeyRefusesProtectedUser) {
  const std::string user = fx().createUser("break-glass");
  const std::string k = fx().createAccessKey(user);
  fx().query("iam", "TagUser",
             {{"UserName", user},
              {"Tags.member.1.Key", "riposte:protected"},
              {"Tags.member.1.Value", "true"}});
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

// ---------------------------------------------------------------- AWS faults end to end

#include "support/fault_transport.h"

namespace riposte::actions {
namespace {

using riposte::testing::FaultTransport;

class FaultyActionsTest : public MoreActionsTest {
 protected:
  void SetUp() override {
    MoreActionsTest::SetUp();
    if (HasFatalFailure()) return;
    faults_ = std::make_shared<FaultTransport>(aws::makeCurlTransport());
    aws::RetryPolicy p;
    p.max_attempts = 4;
    p.base_delay = std::chrono::milliseconds(10);
    p.max_delay = std::chrono::milliseconds(50);
    p.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    faulty_ = std::make_unique<aws::Client>(aws::Credentials{"test", "test", ""}, p, faults_);
    std::string ep = moto().endpoint();
    faulty_->setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
    ctx_.aws = faulty_.get();
  }
  std::shared_ptr<FaultTransport> faults_;
  std::unique_ptr<aws::Client> faulty_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(FaultyActionsTest, ThrottlingAnd5xxAreRetriedAndTheActionSucceeds) {
  Ec2Env env = fx().makeEc2Env();
  faults_->inject(FaultTransport::ec2Throttling(), 2, "Action=ModifyNetworkInterfaceAttribute");
  faults_->inject(FaultTransport::html500(), 1, "Action=CreateTags");
  faults_->inject(FaultTransport::transportError(), 1, "Action=DescribeSecurityGroups");
  auto r = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(faults_->injected(), 4);
  EXPECT_EQ(sleeps_.size(), 4u);
  for (auto d : sleeps_) EXPECT_LE(d.count(), 50);
  EXPECT_EQ(fx().instanceGroupIds(env.instance_id).size(), 1u);
  EXPECT_EQ(fx().instanceTags(env.instance_id)["riposte:status"], "quarantined");
}

TEST_F(FaultyActionsTest, PersistentThrottlingFailsWithAwsCodeAfterBoundedAttempts) {
  Ec2Env env = fx().makeEc2Env();
  faults_->inject(FaultTransport::ec2Throttling(), 100, "Action=DescribeInstances");
  auto r = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "RequestLimitExceeded");
  EXPECT_EQ(faults_->injected(), 4);  // max_attempts
  EXPECT_EQ(faults_->forwarded(), 0);
}

TEST_F(FaultyActionsTest, IamThrottlingIsRetried) {
  const std::string user = fx().createUser("carol");
  const std::string k = fx().createAccessKey(user);
  faults_->inject(FaultTransport::queryThrottling(), 1, "Action=UpdateAccessKey");
  auto r = run("aws.iam.disableAccessKey", {{"userName", user}, {"accessKeyId", k}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(faults_->injected(), 1);
  EXPECT_EQ(fx().accessKeyStatuses(user)[k], "Inactive");
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

// Every mutating action in dry run: reports a plan, changes nothing (observed through AWS).
TEST_F(MoreActionsTest, DryRunOfEveryUndoAndIamActionChangesNothing) {
  Ec2Env env = fx().makeEc2Env();
  const std::string user = fx().createUser("dave");
  const std::string key = fx().createAccessKey(user);
  auto iso = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(iso) << iso.error().str();
  auto blocked = run("aws.ec2.blockIp", {{"instanceId", env.instance_id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(blocked) << blocked.error().str();
  const std::string acl = toJson(fx().naclOfSubnet(env.subnet_id).at("entrySet"));
  const auto groups = fx().instanceGroupIds(env.instance_id);

  ctx_.dry_run = true;
  struct Case {
    const char* action;
    json::value input;
  };
  std::vector<Case> cases = {
      {"aws.ec2.releaseInstance", {{"instanceId", env.instance_id}, {"before", iso->before}}},
      {"aws.ec2.unblockIp", blocked->after},
      {"aws.ec2.tagResource", {{"resourceId", env.instance_id}, {"tags", {{"k", "v"}}}}},
      {"aws.iam.disableAccessKey", {{"userName", user}, {"accessKeyId", key}}},
      {"aws.iam.revokeSessions", {{"userName", user}}},
      {"aws.sns.publish",
       {{"topicArn", "arn:aws:sns:us-east-1:123456789012:none"}, {"message", "x"}}},
      {"aws.securityhub.importFindings",
       {{"finding", {{"type", "Recon:EC2/PortProbeUnprotectedPort"}, {"severity", 2}}},
        {"incidentId", "inc-dry"}}},
  };
  for (const auto& c : cases) {
    auto r = run(c.action, c.input);
    ASSERT_TRUE(r) << c.action << ": " << r.error().str();
    EXPECT_FALSE(r->changed) << c.action;
    EXPECT_TRUE(r->output.at("dryRun").as_bool()) << c.action;
    EXPECT_NE(r->summary.find("dry run"), std::string::npos) << c.action << ": " << r->summary;
  }
  EXPECT_EQ(fx().instanceGroupIds(env.instance_id), groups);
  EXPECT_EQ(fx().instanceTags(env.instance_id)["riposte:status"], "quarantined");
  EXPECT_EQ(fx().instanceTags(env.instance_id).count("k"), 0u);
  EXPECT_EQ(toJson(fx().naclOfSubnet(env.subnet_id).at("entrySet")), acl);
  EXPECT_EQ(fx().accessKeyStatuses(user)[key], "Active");
  auto policies = fx().query("iam", "ListUserPolicies", {{"UserName", user}});
  EXPECT_EQ(toJson(policies).find("riposte-revoke-sessions"), std::string::npos);
  EXPECT_TRUE(fx().getFindings().empty());
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

TEST_F(MoreActionsTest, IsolateDetachesProfileProtectsAndReleaseRestoresBoth) {
  Ec2Env env = fx().makeEc2Env();
  const std::string profile = fx().createInstanceProfile("web-profile");
  ASSERT_FALSE(profile.empty());
  const std::string inst = fx().runInstance(env.subnet_id, {env.sg_web, env.sg_app}, {}, profile);
  ASSERT_EQ(fx().associatedProfileArn(inst), profile);
  ASSERT_FALSE(fx().terminationProtected(inst));

  auto iso = run("aws.ec2.isolateInstance", {{"instanceId", inst}});
  ASSERT_TRUE(iso) << iso.error().str();
  EXPECT_EQ(fx().associatedProfileArn(inst), "");
  EXPECT_TRUE(fx().terminationProtected(inst));
  EXPECT_EQ(iso->before.at("instanceProfile").at("arn").as_string(), profile);
  EXPECT_EQ(iso->output.at("instanceProfileDetached").as_string(), profile);
  EXPECT_FALSE(iso->output.at("uncutFlows").as_string().empty());
  // The allow-all step group exists and allows everything both ways.
  auto open = fx().findSecurityGroups(env.vpc_id, "riposte-quarantine-untrack");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(iso->output.at("untrackedThrough").as_string(), open[0].at("groupId").as_string());
  EXPECT_NE(toJson(open[0].at("ipPermissions")).find("0.0.0.0/0"), std::string::npos);
  // Termination is refused now.
  aws::Call term{.service = "ec2",
                 .region = "us-east-1",
                 .action = "TerminateInstances",
                 .params = {{"InstanceId.1", inst}}};
  auto t = client().query(term);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, "OperationNotPermitted");

  auto again = run("aws.ec2.isolateInstance", {{"instanceId", inst}});
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);

  auto rel = run("aws.ec2.releaseInstance", {{"instanceId", inst}, {"before", iso->before}});
  ASSERT_TRUE(rel) << rel.error().str();
  EXPECT_EQ(fx().associatedProfileArn(inst), profile);
  EXPECT_FALSE(fx().terminationProtected(inst));
  EXPECT_EQ(groupsOf(inst), (std::set<std::string>{env.sg_web, env.sg_app}));
}

TEST_F(MoreActionsTest, IsolateOptionsCanSkipTheExtras) {
  Ec2Env env = fx().makeEc2Env();
  auto iso = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id},
                                             {"terminationProtection", false},
                                             {"untrackConnections", false}});
  ASSERT_TRUE(iso) << iso.error().str();
  EXPECT_FALSE(fx().terminationProtected(env.instance_id));
  EXPECT_TRUE(fx().findSecurityGroups(env.vpc_id, "riposte-quarantine-untrack").empty());
  auto bad = run("aws.ec2.isolateInstance",
                 {{"instanceId", env.instance_id}, {"untrackConnections", "no"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidInput");
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

std::vector<std::string> ipSetAddresses(AwsFixtures& fx, const std::string& name,
                                        const std::string& id) {
  aws::Call c{.service = "wafv2",
              .region = "us-east-1",
              .action = "AWSWAF_20190729.GetIPSet",
              .body = {{"Name", name}, {"Scope", "REGIONAL"}, {"Id", id}}};
  auto r = fx.client().jsonRpc(c);
  EXPECT_TRUE(r) << r.error().str();
  std::vector<std::string> out;
  if (!r) return out;
  for (const auto& a : r->at("IPSet").at("Addresses").as_array()) out.emplace_back(a.as_string());
  return out;
}

std::string createIpSet(AwsFixtures& fx, const std::string& name) {
  aws::Call c{.service = "wafv2",
              .region = "us-east-1",
              .action = "AWSWAF_20190729.CreateIPSet",
              .body = {{"Name", name},
                       {"Scope", "REGIONAL"},
                       {"IPAddressVersion", "IPV4"},
                       {"Addresses", json::array{"192.0.2.1/32"}}}};
  auto r = fx.client().jsonRpc(c);
  EXPECT_TRUE(r) << r.error().str();
  return r ? std::string(r->at("Summary").at("Id").as_string()) : "";
}

TEST_F(MoreActionsTest, WafBlockIpRetriesOnAStaleLockTokenAndUnblocks) {
  const std::string id = createIpSet(fx(), "riposte-blocklist");
  // A concurrent writer updates the set between our GetIPSet and UpdateIPSet, once.
  bool raced = false;
  auto hook = [&](const aws::HttpRequest& req) {
    if (raced) return;
    for (const auto& [k, v] : req.headers) {
      if (k == "X-Amz-Target" && v == "AWSWAF_20190729.UpdateIPSet") {
        raced = true;
        aws::Call get{.service = "wafv2",
                      .region = "us-east-1",
                      .action = "AWSWAF_20190729.GetIPSet",
                      .body = {{"Name", "riposte-blocklist"}, {"Scope", "REGIONAL"}, {"Id", id}}};
        auto cur = client().jsonRpc(get);
        ASSERT_TRUE(cur);
        aws::Call upd{.service = "wafv2",
                      .region = "us-east-1",
                      .action = "AWSWAF_20190729.UpdateIPSet",
                      .body = {{"Name", "riposte-blocklist"},
                               {"Scope", "REGIONAL"},
                               {"Id", id},
                               {"Addresses", json::array{"192.0.2.1/32", "192.0.2.2/32"}},
                               {"LockToken", cur->at("LockToken")}}};
        ASSERT_TRUE(client().jsonRpc(upd));
      }
    }
  };
  class Hook : public aws::HttpTransport {
   public:
    Hook(std::function<void(const aws::HttpRequest&)> h)
        : h_(std::move(h)), inner_(aws::makeCurlTransport()) {}
    Result<aws::HttpResponse> send(const aws::HttpRequest& r) override {
      h_(r);
      return inner_->send(r);
    }
    std::function<void(const aws::HttpRequest&)> h_;
    std::shared_ptr<aws::HttpTransport> inner_;
  };
  aws::Client racing(aws::Credentials{"test", "test", ""}, {}, std::make_shared<Hook>(hook));
  std::string ep = moto().endpoint();
  racing.setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
  ctx_.aws = &racing;

  auto r = run("aws.wafv2.blockIp", {{"ipSetName", "riposte-blocklist"}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(raced);
  EXPECT_EQ(r->output.at("lockAttempts").as_int64(), 2);
  auto addrs = ipSetAddresses(fx(), "riposte-blocklist", id);
  EXPECT_EQ(std::set<std::string>(addrs.begin(), addrs.end()),
            (std::set<std::string>{"192.0.2.1/32", "192.0.2.2/32", "198.51.100.7/32"}));

  auto again =
      run("aws.wafv2.blockIp", {{"ipSetName", "riposte-blocklist"}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  auto un = run("aws.wafv2.unblockIp",
                {{"ipSetName", "riposte-blocklist"}, {"ipSetId", id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(un) << un.error().str();
  EXPECT_TRUE(un->changed);
  addrs = ipSetAddresses(fx(), "riposte-blocklist", id);
  EXPECT_EQ(std::count(addrs.begin(), addrs.end(), "198.51.100.7/32"), 0);
}

TEST_F(MoreActionsTest, BlockIpFallsBackToWafWhenTheAclIsFull) {
  Ec2Env env = fx().makeEc2Env();
  const std::string id = createIpSet(fx(), "fallback-set");
  // A custom ACL whose first ingress entry is an allow at rule 1: no room for a deny before it.
  auto acl = fx().query("ec2", "CreateNetworkAcl", {{"VpcId", env.vpc_id}});
  const std::string acl_id(acl.at("networkAcl").at("networkAclId").as_string());
  fx().query("ec2", "CreateNetworkAclEntry",
             {{"NetworkAclId", acl_id},
              {"RuleNumber", "1"},
              {"Protocol", "-1"},
              {"RuleAction", "allow"},
              {"Egress", "false"},
              {"CidrBlock", "0.0.0.0/0"}});
  json::value current = fx().naclOfSubnet(env.subnet_id);
  std::string assoc;
  for (const auto& a : current.at("associationSet").as_array()) {
    if (a.at("subnetId").as_string() == env.subnet_id)
      assoc = a.at("networkAclAssociationId").as_string();
  }
  ASSERT_FALSE(assoc.empty());
  fx().query("ec2", "ReplaceNetworkAclAssociation",
             {{"AssociationId", assoc}, {"NetworkAclId", acl_id}});

  auto no_fallback = run("aws.ec2.blockIp", {{"subnetId", env.subnet_id}, {"ip", "198.51.100.7"}});
  ASSERT_FALSE(no_fallback);
  EXPECT_EQ(no_fallback.error().code, "NetworkAclFull");

  auto r =
      run("aws.ec2.blockIp",
          {{"subnetId", env.subnet_id}, {"ip", "198.51.100.7"}, {"wafIpSetName", "fallback-set"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->output.at("fallback").as_string(), "wafv2");
  auto addrs = ipSetAddresses(fx(), "fallback-set", id);
  EXPECT_EQ(std::count(addrs.begin(), addrs.end(), "198.51.100.7/32"), 1);
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

// The engine's release: each recorded action's undo, run with undoInput(output, before), in
// reverse order, restores everything.
TEST_F(MoreActionsTest, UndoNameAndUndoInputReverseEveryAction) {
  Ec2Env env = fx().makeEc2Env();
  const std::string user = fx().createUser("erin");
  const std::string key = fx().createAccessKey(user);
  const std::string set_id = createIpSet(fx(), "undo-set");
  const auto original_acl = toJson(fx().naclOfSubnet(env.subnet_id).at("entrySet"));

  struct Step {
    const char* action;
    json::value input;
  };
  std::vector<Step> steps = {
      {"aws.ec2.isolateInstance", {{"instanceId", env.instance_id}}},
      {"aws.ec2.blockIp", {{"instanceId", env.instance_id}, {"ip", "198.51.100.7"}}},
      {"aws.wafv2.blockIp", {{"ipSetName", "undo-set"}, {"ip", "198.51.100.7"}}},
      {"aws.iam.disableAccessKey", {{"userName", user}, {"accessKeyId", key}}},
      {"aws.iam.revokeSessions", {{"userName", user}}},
  };
  std::vector<std::pair<const Action*, ActionOutcome>> done;
  for (const auto& s : steps) {
    const Action* a = registry_.find(s.action);
    ASSERT_NE(a, nullptr);
    auto r = a->run(s.input, ctx_);
    ASSERT_TRUE(r) << s.action << ": " << r.error().str();
    ASSERT_TRUE(r->changed) << s.action;
    done.emplace_back(a, *r);
  }
  for (auto it = done.rbegin(); it != done.rend(); ++it) {
    const Action* undo = registry_.find(it->first->descriptor().undo);
    ASSERT_NE(undo, nullptr) << it->first->name();
    auto r = undo->run(undoInput(it->second.output, it->second.before), ctx_);
    ASSERT_TRUE(r) << undo->name() << ": " << r.error().str();
    EXPECT_TRUE(r->changed) << undo->name();
  }
  EXPECT_EQ(groupsOf(env.instance_id), (std::set<std::string>{env.sg_web, env.sg_app}));
  EXPECT_EQ(fx().instanceTags(env.instance_id).count("riposte:status"), 0u);
  EXPECT_FALSE(fx().terminationProtected(env.instance_id));
  EXPECT_EQ(toJson(fx().naclOfSubnet(env.subnet_id).at("entrySet")), original_acl);
  auto addrs = ipSetAddresses(fx(), "undo-set", set_id);
  EXPECT_EQ(addrs, std::vector<std::string>{"192.0.2.1/32"});
  EXPECT_EQ(fx().accessKeyStatuses(user)[key], "Active");
  auto policies = fx().query("iam", "ListUserPolicies", {{"UserName", user}});
  EXPECT_EQ(toJson(policies).find("riposte-revoke-sessions"), std::string::npos);
  for (const char* none : {"aws.sns.publish", "aws.ec2.snapshotVolumes"}) {
    EXPECT_TRUE(registry_.find(none)->descriptor().undo.empty()) << none;
  }
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

TEST_F(MoreActionsTest, AwsSdkGroupsAclsVolumesAndSnapshotsHaveTheSdksShape) {
  Ec2Env env = fx().makeEc2Env();
  auto sg = run("arn:aws:states:::aws-sdk:ec2:describeSecurityGroups",
                {{"GroupIds", json::array{env.sg_web}}});
  ASSERT_TRUE(sg) << sg.error().str();
  const auto& g = sg->output.at("SecurityGroups").as_array().at(0);
  EXPECT_EQ(g.at("GroupId").as_string(), env.sg_web);
  EXPECT_TRUE(g.at("Description").is_string());  // the wire's groupDescription
  EXPECT_FALSE(g.as_object().contains("GroupDescription"));
  const auto& egress = g.at("IpPermissionsEgress").as_array().at(0);
  EXPECT_EQ(egress.at("IpProtocol").as_string(), "-1");
  EXPECT_EQ(egress.at("UserIdGroupPairs"), json::array());  // the wire's <groups/>

  auto acl = run("arn:aws:states:::aws-sdk:ec2:describeNetworkAcls",
                 {{"Filters", json::array{json::object{{"Name", "association.subnet-id"},
                                                       {"Values", json::array{env.subnet_id}}}}}});
  ASSERT_TRUE(acl) << acl.error().str();
  const auto& a = acl->output.at("NetworkAcls").as_array().at(0);
  EXPECT_EQ(a.at("IsDefault"), true);
  bool saw_allow = false;
  for (const auto& e : a.at("Entries").as_array()) {
    EXPECT_TRUE(e.at("Egress").is_bool());
    if (e.at("RuleNumber") == 100 && e.at("RuleAction").as_string() == "allow") saw_allow = true;
  }
  EXPECT_TRUE(saw_allow) << toJson(a);

  auto vols =
      run("arn:aws:states:::aws-sdk:ec2:describeVolumes",
          {{"Filters", json::array{json::object{{"Name", "attachment.instance-id"},
                                                {"Values", json::array{env.instance_id}}}}}});
  ASSERT_TRUE(vols) << vols.error().str();
  const auto& v = vols->output.at("Volumes").as_array().at(0);
  EXPECT_TRUE(v.at("Size").is_int64()) << toJson(v);
  EXPECT_EQ(v.at("State").as_string(), "in-use");
  EXPECT_EQ(v.at("Attachments").as_array().at(0).at("State").as_string(), "attached");
  EXPECT_EQ(v.at("Attachments").as_array().at(0).at("InstanceId").as_string(), env.instance_id);
  EXPECT_EQ(v.at("Encrypted"), false);

  auto snap = run("arn:aws:states:::aws-sdk:ec2:createSnapshot",
                  {{"VolumeId", v.at("VolumeId")}, {"Description", "evidence"}});
  ASSERT_TRUE(snap) << snap.error().str();
  EXPECT_EQ(snap->output.at("State").as_string(), "completed");  // moto completes at once
  EXPECT_EQ(snap->output.at("VolumeSize"), v.at("Size"));
  EXPECT_EQ(snap->output.at("Encrypted"), false);
  EXPECT_EQ(std::string(snap->output.at("SnapshotId").as_string()).rfind("snap-", 0), 0u);
  EXPECT_TRUE(snap->changed);
}

TEST_F(MoreActionsTest, AwsSdkIntegrationsCallTheApiWithSdkShapes) {
  Ec2Env env = fx().makeEc2Env();
  auto tag = run("arn:aws:states:::aws-sdk:ec2:createTags",
                 {{"Resources", json::array{env.instance_id}},
                  {"Tags", json::array{json::object{{"Key", "ir"}, {"Value", "open"}}}}});
  ASSERT_TRUE(tag) << tag.error().str();
  EXPECT_EQ(fx().instanceTags(env.instance_id)["ir"], "open");

  auto d = run("arn:aws:states:::aws-sdk:ec2:describeInstances",
               {{"InstanceIds", json::array{env.instance_id}},
                {"Filters",
                 json::array{json::object{{"Name", "tag:ir"}, {"Values", json::array{"open"}}}}}});
  ASSERT_TRUE(d) << d.error().str();
  const auto& inst = d->output.at("Reservations").as_array().at(0).at("Instances").as_array().at(0);
  EXPECT_EQ(inst.at("InstanceId").as_string(), env.instance_id);
  // The SDK's shape: an instance's groups are SecurityGroups (the wire's groupSet), the state
  // code is a number, EbsOptimized a boolean.
  ASSERT_EQ(inst.at("SecurityGroups").as_array().size(), 2u) << toJson(inst);
  std::set<std::string> groups;
  for (const auto& g : inst.at("SecurityGroups").as_array())
    groups.insert(std::string(g.at("GroupId").as_string()));
  EXPECT_EQ(groups, (std::set<std::string>{env.sg_web, env.sg_app}));
  EXPECT_FALSE(inst.as_object().contains("Groups"));
  EXPECT_EQ(inst.at("State").at("Name").as_string(), "running");
  EXPECT_EQ(inst.at("State").at("Code"), 16);
  EXPECT_TRUE(inst.at("EbsOptimized").is_bool());
  EXPECT_EQ(inst.at("AmiLaunchIndex"), 0);
  EXPECT_TRUE(inst.at("SourceDestCheck").is_bool());
  const auto& eni = inst.at("NetworkInterfaces").as_array().at(0);
  EXPECT_EQ(eni.at("Groups").as_array().size(), 2u);  // an ENI's groups are Groups
  EXPECT_EQ(eni.at("Attachment").at("DeviceIndex"), 0);
  EXPECT_EQ(eni.at("PrivateIpAddresses").as_array().at(0).at("Primary"), true);
  EXPECT_FALSE(d->changed);

  auto missing = run("arn:aws:states:::aws-sdk:ec2:describeInstances",
                     {{"InstanceIds", json::array{"i-0123456789abcdef0"}}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "Ec2.InvalidInstanceIDNotFoundException");

  const std::string user = fx().createUser("frank");
  fx().createAccessKey(user);
  auto keys = run("arn:aws:states:::aws-sdk:iam:listAccessKeys", {{"UserName", user}});
  ASSERT_TRUE(keys) << keys.error().str();
  ASSERT_EQ(keys->output.at("AccessKeyMetadata").as_array().size(), 1u);
  const std::string key_id(
      keys->output.at("AccessKeyMetadata").as_array()[0].at("AccessKeyId").as_string());
  auto upd = run("arn:aws:states:::aws-sdk:iam:updateAccessKey",
                 {{"UserName", user}, {"AccessKeyId", key_id}, {"Status", "Inactive"}});
  ASSERT_TRUE(upd) << upd.error().str();
  EXPECT_EQ(upd->output, json::object());  // the SDK's UpdateAccessKey has no output members
  EXPECT_EQ(fx().accessKeyStatuses(user)[key_id], "Inactive");
  auto who = run("arn:aws:states:::aws-sdk:iam:getUser", {{"UserName", user}});
  ASSERT_TRUE(who) << who.error().str();
  EXPECT_EQ(who->output.at("User").at("UserName").as_string(), user);
  const std::string other = fx().createUser("grace");
  auto none = run("arn:aws:states:::aws-sdk:iam:listAccessKeys", {{"UserName", other}});
  ASSERT_TRUE(none) << none.error().str();
  EXPECT_EQ(none->output.at("AccessKeyMetadata"), json::array());  // empty: a list, not ""
  auto me = run("arn:aws:states:::aws-sdk:sts:getCallerIdentity", json::object());
  ASSERT_TRUE(me) << me.error().str();
  EXPECT_EQ(me->output.at("Account").as_string(), "123456789012");
  auto nouser = run("arn:aws:states:::aws-sdk:iam:getUser", {{"UserName", "nobody"}});
  ASSERT_FALSE(nouser);
  EXPECT_EQ(nouser.error().code, "Iam.NoSuchEntityException");

  const std::string topic = fx().createTopic("sdk-topic");
  const std::string queue = fx().subscribeNewQueue(topic, "sdk-inbox");
  auto pub = run("arn:aws:states:::sns:publish",
                 {{"TopicArn", topic}, {"Subject", "s"}, {"Message", "from a Task"}});
  ASSERT_TRUE(pub) << pub.error().str();
  EXPECT_FALSE(pub->output.at("MessageId").as_string().empty());
  auto bodies = fx().receiveMessages(queue);
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_NE(bodies[0].find("from a Task"), std::string::npos);

  // A map member (SNS MessageAttributes) goes on the wire as Query map entries
  // (MessageAttributes.entry.N.Name / .Value.DataType / .Value.StringValue): the subscriber
  // sees the attributes.
  auto attrs = run(
      "arn:aws:states:::aws-sdk:sns:publish",
      {{"TopicArn", topic},
       {"Message", "with attributes"},
       {"MessageAttributes",
        json::object{{"severity", json::object{{"DataType", "String"}, {"StringValue", "HIGH"}}},
                     {"count", json::object{{"DataType", "Number"}, {"StringValue", "3"}}}}}});
  ASSERT_TRUE(attrs) << attrs.error().str();
  auto more = fx().receiveMessages(queue);
  ASSERT_EQ(more.size(), 1u);
  auto envelope = parseJson(more[0]);
  ASSERT_TRUE(envelope) << more[0];
  EXPECT_EQ(envelope->at("Message").as_string(), "with attributes");
  EXPECT_EQ(envelope->at("MessageAttributes").at("severity").at("Value").as_string(), "HIGH");
  EXPECT_EQ(envelope->at("MessageAttributes").at("count").at("Type").as_string(), "Number");
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

TEST_F(MoreActionsTest, StopInstanceIsIdempotentAndStartUndoesIt) {
  Ec2Env env = fx().makeEc2Env();
  auto stop = run("aws.ec2.stopInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(stop) << stop.error().str();
  EXPECT_TRUE(stop->changed);
  auto state = [&] {
    return std::string(
        fx().describeInstance(env.instance_id).at("instanceState").at("name").as_string());
  };
  EXPECT_EQ(state(), "stopped");
  auto again = run("aws.ec2.stopInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(registry_.find("aws.ec2.stopInstance")->descriptor().undo, "aws.ec2.startInstance");
  auto start = run("aws.ec2.startInstance", undoInput(stop->output, stop->before));
  ASSERT_TRUE(start) << start.error().str();
  EXPECT_NE(state(), "stopped");
}

TEST_F(MoreActionsTest, SuspendUserDeletesLoginAndDeniesAllThenUnsuspend) {
  const std::string user = fx().createUser("grace");
  fx().query("iam", "CreateLoginProfile", {{"UserName", user}, {"Password", "Sup3r-Secret!pw"}});
  auto r = run("aws.iam.suspendUser", {{"userName", user}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  EXPECT_TRUE(r->output.at("loginProfileDeleted").as_bool());
  aws::Call get{.service = "iam",
                .region = "us-east-1",
                .action = "GetLoginProfile",
                .params = {{"UserName", user}}};
  auto login = client().query(get);
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code, "NoSuchEntity");
  auto pol = fx().query("iam", "ListUserPolicies", {{"UserName", user}});
  EXPECT_NE(toJson(pol).find("riposte-suspend-user"), std::string::npos);

  auto again = run("aws.iam.suspendUser", {{"userName", user}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  auto undo = run("aws.iam.unsuspendUser", undoInput(r->output, r->before));
  ASSERT_TRUE(undo) << undo.error().str();
  EXPECT_TRUE(undo->changed);
  pol = fx().query("iam", "ListUserPolicies", {{"UserName", user}});
  EXPECT_EQ(toJson(pol).find("riposte-suspend-user"), std::string::npos);
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

TEST_F(MoreActionsTest, SnsPublishPicksTheTopicBySeverity) {
  const std::string high = fx().createTopic("alerts-high");
  const std::string low = fx().createTopic("alerts-low");
  const std::string q_high = fx().subscribeNewQueue(high, "high-inbox");
  const std::string q_low = fx().subscribeNewQueue(low, "low-inbox");
  json::object topics{{"HIGH", high}, {"CRITICAL", high}, {"default", low}};
  riposte::testing::FindingSpec spec;
  spec.severity = 2;
  auto r = run("aws.sns.publish",
               {{"topicArns", topics}, {"finding", riposte::testing::guardDutyFinding(spec)}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->output.at("topicArn").as_string(), low);
  spec.severity = 8.5;
  r = run("aws.sns.publish",
          {{"topicArns", topics}, {"finding", riposte::testing::guardDutyFinding(spec)}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(fx().receiveMessages(q_high).size(), 1u);
  EXPECT_EQ(fx().receiveMessages(q_low).size(), 1u);
  auto none = run("aws.sns.publish", {{"topicArns", {{"HIGH", high}}}, {"message", "x"}});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "InvalidInput");
}

}  // namespace
}  // namespace riposte::actions

#include "support/http_recorder.h"

namespace riposte::actions {
namespace {

// moto has no BatchUpdateFindings route: a local receiver checks the request as AWS documents it.
TEST(SecurityHubUpdate, SendsBatchUpdateFindingsAsAwsDocumentsIt) {
  riposte::testing::HttpRecorder rec;
  rec.respond(
      200,
      R"({"ProcessedFindings":[{"Id":"f-1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/guardduty"}],"UnprocessedFindings":[]})");
  aws::RetryPolicy p;
  p.max_attempts = 1;
  aws::Client c(aws::Credentials{"AKID", "SECRET", ""}, p);
  c.setEndpointResolver([ep = rec.endpoint()](std::string_view, std::string_view) { return ep; });
  ActionContext ctx;
  ctx.region = "eu-west-1";
  ctx.incident_id = "inc-5";
  ctx.aws = &c;
  const Action* a = Registry::builtins().find("riposte:aws.securityhub.updateFindings");
  ASSERT_NE(a, nullptr);
  json::value finding = {{"Id", "f-1"},
                         {"ProductArn", "arn:aws:securityhub:us-east-1::product/aws/guardduty"},
                         {"Title", "x"}};
  auto r = a->run({{"finding", finding}, {"status", "RESOLVED"}}, ctx);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  auto reqs = rec.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "PATCH");
  EXPECT_EQ(reqs[0].target, "/findings/batchupdate");
  EXPECT_EQ(reqs[0].header("content-type"), "application/json");
  EXPECT_NE(reqs[0].header("authorization").find("/eu-west-1/securityhub/aws4_request"),
            std::string::npos);
  auto body = parseJson(reqs[0].body);
  ASSERT_TRUE(body) << reqs[0].body;
  EXPECT_EQ(
      toJson(*body),
      R"({"FindingIdentifiers":[{"Id":"f-1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/guardduty"}],)"
      R"("Workflow":{"Status":"RESOLVED"},"Note":{"Text":"riposte incident inc-5","UpdatedBy":"riposte"}})");

  rec.respond(
      200,
      R"({"ProcessedFindings":[],"UnprocessedFindings":[{"FindingIdentifier":{"Id":"f-1","ProductArn":"p"},"ErrorCode":"FindingNotFound","ErrorMessage":"gone"}]})");
  auto bad = a->run({{"finding", finding}}, ctx);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "SecurityHubUpdateFailed");
  EXPECT_NE(bad.error().message.find("FindingNotFound"), std::string::npos);
  auto invalid = a->run({{"finding", finding}, {"status", "DONE"}}, ctx);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, "InvalidInput");
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

TEST_F(MoreActionsTest, ReleaseWithTheRecordOfARepeatIsolationStillRestores) {
  Ec2Env env = fx().makeEc2Env();
  const std::string profile = fx().createInstanceProfile("repeat-profile");
  env.instance_id = fx().runInstance(env.subnet_id, {env.sg_web, env.sg_app}, {}, profile);
  ASSERT_TRUE(run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}}));
  auto repeat = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(repeat);
  ASSERT_FALSE(repeat->changed);
  auto rel = run("aws.ec2.releaseInstance", undoInput(repeat->output, repeat->before));
  ASSERT_TRUE(rel) << rel.error().str();
  EXPECT_EQ(groupsOf(env.instance_id), (std::set<std::string>{env.sg_web, env.sg_app}));
  EXPECT_FALSE(fx().terminationProtected(env.instance_id));
  auto tags = fx().instanceTags(env.instance_id);
  for (const auto& [k, v] : tags) EXPECT_NE(k.rfind("riposte:", 0), 0u) << k;
  EXPECT_EQ(fx().associatedProfileArn(env.instance_id), profile);
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

TEST_F(MoreActionsTest, BlockIpHandlesIpv6) {
  Ec2Env env = fx().makeEc2Env();
  auto r = run("aws.ec2.blockIp", {{"subnetId", env.subnet_id}, {"ip", "2001:DB8::7"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->after.at("cidr").as_string(), "2001:db8::7/128");
  std::string acl = toJson(fx().naclOfSubnet(env.subnet_id));
  EXPECT_NE(acl.find("2001:db8::7/128"), std::string::npos) << acl;
  auto again = run("aws.ec2.blockIp", {{"subnetId", env.subnet_id}, {"ip", "2001:db8::7"}});
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);
  auto un = run("aws.ec2.unblockIp", undoInput(r->output, r->before));
  ASSERT_TRUE(un) << un.error().str();
  EXPECT_EQ(toJson(fx().naclOfSubnet(env.subnet_id)).find("2001:db8::7/128"), std::string::npos);
}

}  // namespace
}  // namespace riposte::actions
