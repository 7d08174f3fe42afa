// The built-in actions against moto_server, every effect observed through AWS API calls.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>

#include "actions/registry.h"
#include "support/aws_fixtures.h"
#include "support/findings.h"
#include "support/moto_server.h"

namespace riposte::actions {
namespace {

using riposte::testing::AwsFixtures;
using riposte::testing::Ec2Env;

class ActionsMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    fx_ = std::make_unique<AwsFixtures>(client());
    ctx_.incident_id = "inc-test-1";
    ctx_.execution_id = "exec-1";
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

  Registry registry_ = Registry::builtins();
  std::unique_ptr<AwsFixtures> fx_;
  ActionContext ctx_;
};

std::vector<std::string> ruleIds(const json::value& sg, const char* key) {
  std::vector<std::string> out;
  const json::value& v = sg.at(key);  // an empty list comes back as "" (<ipPermissions/>)
  if (v.is_array()) {
    for (const auto& p : v.as_array()) out.push_back(toJson(p));
  } else if (!v.is_string() || !v.as_string().empty()) {
    out.push_back(toJson(v));
  }
  return out;
}

// ---------------------------------------------------------------- isolateInstance

TEST_F(ActionsMotoTest, IsolateMovesEveryInterfaceToARulelessQuarantineGroup) {
  Ec2Env env = fx().makeEc2Env();
  ASSERT_FALSE(env.instance_id.empty());

  auto r = run("riposte:aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  const std::string q(r->output.at("quarantineGroupId").as_string());
  ASSERT_FALSE(q.empty());

  // The quarantine group: one, in the instance's VPC, no ingress and no egress.
  auto groups = fx().findSecurityGroups(env.vpc_id, "riposte-quarantine");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].at("groupId").as_string(), q);
  json::value sg = fx().describeSecurityGroup(q);
  EXPECT_TRUE(ruleIds(sg, "ipPermissions").empty()) << toJson(sg);
  EXPECT_TRUE(ruleIds(sg, "ipPermissionsEgress").empty()) << toJson(sg);

  // The instance and every ENI show only the quarantine group.
  EXPECT_EQ(fx().instanceGroupIds(env.instance_id), std::vector<std::string>{q});
  auto enis = fx().eniGroupIds(env.instance_id);
  ASSERT_FALSE(enis.empty());
  for (const auto& [eni, ids] : enis) {
    EXPECT_EQ(ids, std::vector<std::string>{q}) << eni;
    auto in_q = fx().enisInGroup(q);
    EXPECT_NE(std::find(in_q.begin(), in_q.end(), eni), in_q.end()) << eni;
  }

  // Tags.
  auto tags = fx().instanceTags(env.instance_id);
  EXPECT_EQ(tags["riposte:status"], "quarantined");
  EXPECT_EQ(tags["riposte:incident"], "inc-test-1");

  // `before` records each interface's groups (enough to undo).
  const auto& before_enis = r->before.at("networkInterfaces").as_array();
  ASSERT_EQ(before_enis.size(), enis.size());
  std::set<std::string> recorded;
  for (const auto& g : before_enis[0].at("groups").as_array())
    recorded.insert(std::string(g.as_string()));
  EXPECT_EQ(recorded, (std::set<std::string>{env.sg_web, env.sg_app}));
  EXPECT_NE(r->summary.find(env.sg_web), std::string::npos) << r->summary;
  EXPECT_NE(r->summary.find(q), std::string::npos) << r->summary;
  EXPECT_EQ(r->output.at("summary").as_string(), r->summary);
}

TEST_F(ActionsMotoTest, IsolateTwiceChangesNothingTheSecondTime) {
  Ec2Env env = fx().makeEc2Env();
  auto first = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(first) << first.error().str();
  auto second = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_FALSE(second->changed);
  EXPECT_NE(second->summary.find("nothing changed"), std::string::npos) << second->summary;
  EXPECT_EQ(second->output.at("quarantineGroupId"), first->output.at("quarantineGroupId"));
  EXPECT_EQ(fx().findSecurityGroups(env.vpc_id, "riposte-quarantine").size(), 1u);
}

TEST_F(ActionsMotoTest, IsolateReusesTheGroupForASecondInstanceAndRestripsIt) {
  Ec2Env env = fx().makeEc2Env();
  auto first = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(first) << first.error().str();
  const std::string q(first->output.at("quarantineGroupId").as_string());
  // Someone opens the quarantine group.
  fx().query("ec2", "AuthorizeSecurityGroupEgress",
             {{"GroupId", q},
              {"IpPermissions.1.IpProtocol", "tcp"},
              {"IpPermissions.1.FromPort", "443"},
              {"IpPermissions.1.ToPort", "443"},
              {"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"}});
  ASSERT_FALSE(ruleIds(fx().describeSecurityGroup(q), "ipPermissionsEgress").empty());

  std::string other = fx().runInstance(env.subnet_id, {env.sg_app});
  auto second = run("aws.ec2.isolateInstance", {{"instanceId", other}});
  ASSERT_TRUE(second) << second.error().str();
  EXPECT_TRUE(second->changed);
  EXPECT_EQ(second->output.at("quarantineGroupId").as_string(), q);
  EXPECT_EQ(fx().findSecurityGroups(env.vpc_id, "riposte-quarantine").size(), 1u);
  EXPECT_TRUE(ruleIds(fx().describeSecurityGroup(q), "ipPermissionsEgress").empty());
  EXPECT_EQ(fx().instanceGroupIds(other), std::vector<std::string>{q});
}

TEST_F(ActionsMotoTest, IsolateUnknownInstanceFailsWithAwsCode) {
  auto r = run("aws.ec2.isolateInstance", {{"instanceId", "i-0123456789abcdef0"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInstanceID.NotFound");
}

TEST_F(ActionsMotoTest, IsolateRefusesProtectedInstance) {
  Ec2Env env = fx().makeEc2Env({{"riposte:protected", "true"}});
  auto r = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceProtected");
  EXPECT_NE(r.error().message.find("riposte:protected"), std::string::npos);
  auto ids = fx().instanceGroupIds(env.instance_id);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()),
            (std::set<std::string>{env.sg_web, env.sg_app}));
  EXPECT_TRUE(fx().findSecurityGroups(env.vpc_id, "riposte-quarantine").empty());
}

TEST_F(ActionsMotoTest, IsolateDryRunPlansAndChangesNothing) {
  Ec2Env env = fx().makeEc2Env();
  ctx_.dry_run = true;
  auto r = run("aws.ec2.isolateInstance", {{"instanceId", env.instance_id}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->changed);
  EXPECT_TRUE(r->output.at("dryRun").as_bool());
  EXPECT_FALSE(r->output.at("plan").as_array().empty());
  EXPECT_NE(r->summary.find("dry run"), std::string::npos);
  EXPECT_TRUE(fx().findSecurityGroups(env.vpc_id, "riposte-quarantine").empty());
  auto ids = fx().instanceGroupIds(env.instance_id);
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(fx().instanceTags(env.instance_id).count("riposte:status"), 0u);
}

TEST_F(ActionsMotoTest, IsolateRejectsBadInput) {
  auto r = run("aws.ec2.isolateInstance", {{"instance", "i-1"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInput");
  r = run("aws.ec2.isolateInstance", {{"instanceId", "vol-1"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInput");
}

// ---------------------------------------------------------------- blockIp

std::vector<json::value> ingressDenies(const json::value& acl) {
  std::vector<json::value> out;
  for (const auto& e : acl.at("entrySet").as_array()) {
    if (e.at("egress").as_string() == "false" && e.at("ruleAction").as_string() == "deny" &&
        e.at("ruleNumber").as_string() != "32767") {
      out.push_back(e);
    }
  }
  return out;
}

int lowestIngressAllow(const json::value& acl) {
  int low = 32767;
  for (const auto& e : acl.at("entrySet").as_array()) {
    if (e.at("egress").as_string() == "false" && e.at("ruleAction").as_string() == "allow") {
      low = std::min(low, std::stoi(std::string(e.at("ruleNumber").as_string())));
    }
  }
  return low;
}

TEST_F(ActionsMotoTest, BlockIpAddsDenyBeforeTheAllowsAndIsIdempotent) {
  Ec2Env env = fx().makeEc2Env();
  auto r = run("aws.ec2.blockIp", {{"instanceId", env.instance_id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  json::value acl = fx().naclOfSubnet(env.subnet_id);
  auto denies = ingressDenies(acl);
  ASSERT_EQ(denies.size(), 1u) << toJson(acl);
  EXPECT_EQ(denies[0].at("cidrBlock").as_string(), "198.51.100.7/32");
  EXPECT_EQ(denies[0].at("protocol").as_string(), "-1");
  const int rule = std::stoi(std::string(denies[0].at("ruleNumber").as_string()));
  EXPECT_LT(rule, lowestIngressAllow(acl));
  EXPECT_EQ(r->after.at("ruleNumber").as_int64(), rule);
  EXPECT_EQ(r->after.at("networkAclId").as_string(), acl.at("networkAclId").as_string());
  EXPECT_FALSE(r->before.at("entries").as_array().empty());

  auto again = run("aws.ec2.blockIp", {{"instanceId", env.instance_id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);
  EXPECT_NE(again->summary.find("nothing changed"), std::string::npos);
  EXPECT_EQ(ingressDenies(fx().naclOfSubnet(env.subnet_id)).size(), 1u);

  // A second address gets its own free number, by subnet id this time.
  auto other = run("aws.ec2.blockIp", {{"subnetId", env.subnet_id}, {"ip", "203.0.113.9"}});
  ASSERT_TRUE(other) << other.error().str();
  EXPECT_NE(other->after.at("ruleNumber").as_int64(), rule);
  EXPECT_EQ(ingressDenies(fx().naclOfSubnet(env.subnet_id)).size(), 2u);
}

TEST_F(ActionsMotoTest, BlockIpNeverCollidesWithExistingEntries) {
  Ec2Env env = fx().makeEc2Env();
  json::value acl = fx().naclOfSubnet(env.subnet_id);
  const std::string acl_id(acl.at("networkAclId").as_string());
  for (int n : {1, 2, 4}) {
    fx().query("ec2", "CreateNetworkAclEntry",
               {{"NetworkAclId", acl_id},
                {"RuleNumber", std::to_string(n)},
                {"Protocol", "6"},
                {"RuleAction", "deny"},
                {"Egress", "false"},
                {"CidrBlock", "192.0.2." + std::to_string(n) + "/32"},
                {"PortRange.From", "22"},
                {"PortRange.To", "22"}});
  }
  auto r = run("aws.ec2.blockIp", {{"subnetId", env.subnet_id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(r->after.at("ruleNumber").as_int64(), 3);
}

// A transport that runs a hook before forwarding each request (to simulate a concurrent
// writer between the action's read and its write).
class HookTransport : public aws::HttpTransport {
 public:
  HookTransport(std::shared_ptr<aws::HttpTransport> inner,
                std::function<void(const aws::HttpRequest&)> hook)
      : inner_(std::move(inner)), hook_(std::move(hook)) {}
  Result<aws::HttpResponse> send(const aws::HttpRequest& req) override {
    hook_(req);
    return inner_->send(req);
  }

 private:
  std::shared_ptr<aws::HttpTransport> inner_;
  std::function<void(const aws::HttpRequest&)> hook_;
};

TEST_F(ActionsMotoTest, BlockIpPicksTheNextNumberWhenARaceTakesItsOwn) {
  Ec2Env env = fx().makeEc2Env();
  std::atomic<int> raced{0};
  auto hook = [&](const aws::HttpRequest& req) {
    if (raced > 0 || req.body.find("Action=CreateNetworkAclEntry") == std::string::npos) return;
    ++raced;
    auto pos = req.body.find("RuleNumber=");
    std::string number = req.body.substr(pos + 11, req.body.find('&', pos) - pos - 11);
    auto acl_pos = req.body.find("NetworkAclId=");
    std::string acl = req.body.substr(acl_pos + 13, req.body.find('&', acl_pos) - acl_pos - 13);
    fx().query("ec2", "CreateNetworkAclEntry",
               {{"NetworkAclId", acl},
                {"RuleNumber", number},
                {"Protocol", "-1"},
                {"RuleAction", "deny"},
                {"Egress", "false"},
                {"CidrBlock", "192.0.2.99/32"}});
  };
  aws::RetryPolicy p;
  p.max_attempts = 1;
  aws::Client racing(aws::Credentials{"test", "test", ""}, p,
                     std::make_shared<HookTransport>(aws::makeCurlTransport(), hook));
  std::string ep = moto().endpoint();
  racing.setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
  ctx_.aws = &racing;

  auto r = run("aws.ec2.blockIp", {{"subnetId", env.subnet_id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(raced.load(), 1);
  EXPECT_EQ(r->after.at("ruleNumber").as_int64(), 2);  // 1 was taken by the racer
  auto denies = ingressDenies(fx().naclOfSubnet(env.subnet_id));
  EXPECT_EQ(denies.size(), 2u);
}

TEST_F(ActionsMotoTest, BlockIpRejectsBadInputAndUnknownInstance) {
  auto r = run("aws.ec2.blockIp", {{"instanceId", "i-0123456789abcdef0"}, {"ip", "not-an-ip"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInput");
  r = run("aws.ec2.blockIp", {{"ip", "198.51.100.7"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInput");
  r = run("aws.ec2.blockIp", {{"instanceId", "i-0123456789abcdef0"}, {"ip", "198.51.100.7"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInstanceID.NotFound");
}

TEST_F(ActionsMotoTest, BlockIpDryRunChangesNothing) {
  Ec2Env env = fx().makeEc2Env();
  ctx_.dry_run = true;
  auto r = run("aws.ec2.blockIp", {{"instanceId", env.instance_id}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->changed);
  EXPECT_TRUE(ingressDenies(fx().naclOfSubnet(env.subnet_id)).empty());
}

// ---------------------------------------------------------------- sns.publish

TEST_F(ActionsMotoTest, SnsPublishDeliversAReadableAlert) {
  const std::string topic = fx().createTopic("riposte-alerts");
  const std::string queue = fx().subscribeNewQueue(topic, "alerts-inbox");
  riposte::testing::FindingSpec spec;
  spec.instance_id = "i-0abc1234567890def";
  json::value actions = json::object{
      {"isolation",
       json::object{{"summary",
                     "moved i-0abc1234567890def from [sg-a, sg-b] to sg-q (riposte-quarantine)"}}},
      {"block", json::object{{"summary", "denied 198.51.100.7/32 inbound at rule 1 of acl-1"}}}};
  auto r = run("aws.sns.publish", {{"topicArn", topic},
                                   {"finding", riposte::testing::guardDutyFinding(spec)},
                                   {"actions", actions},
                                   {"incidentId", "inc-42"}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);
  EXPECT_FALSE(r->output.at("messageId").as_string().empty());

  auto bodies = fx().receiveMessages(queue);
  ASSERT_EQ(bodies.size(), 1u);
  auto envelope = parseJson(bodies[0]);
  ASSERT_TRUE(envelope) << bodies[0];
  const std::string subject(envelope->at("Subject").as_string());
  const std::string message(envelope->at("Message").as_string());
  EXPECT_LE(subject.size(), 100u);
  EXPECT_EQ(subject.find('\n'), std::string::npos);
  EXPECT_NE(subject.find("HIGH"), std::string::npos) << subject;
  EXPECT_NE(subject.find("i-0abc1234567890def"), std::string::npos) << subject;
  for (const char* needle :
       {"UnauthorizedAccess:EC2/SSHBruteForce", "severity 8, HIGH",
        "EC2 instance i-0abc1234567890def", "198.51.100.7", "Exampleland", "inc-42",
        "moved i-0abc1234567890def from [sg-a, sg-b]", "denied 198.51.100.7/32 inbound at rule 1",
        "is performing SSH brute force attacks"}) {
    EXPECT_NE(message.find(needle), std::string::npos) << needle << "\n" << message;
  }
  EXPECT_EQ(envelope->at("MessageAttributes").at("severity").at("Value").as_string(), "HIGH");
}

TEST_F(ActionsMotoTest, SnsPublishExplicitMessageAndUnknownTopic) {
  const std::string topic = fx().createTopic("plain");
  const std::string queue = fx().subscribeNewQueue(topic, "plain-inbox");
  auto r = run("aws.sns.publish",
               {{"topicArn", topic}, {"subject", "line one\nline two"}, {"message", "hello"}});
  ASSERT_TRUE(r) << r.error().str();
  auto bodies = fx().receiveMessages(queue);
  ASSERT_EQ(bodies.size(), 1u);
  auto envelope = parseJson(bodies[0]);
  ASSERT_TRUE(envelope);
  EXPECT_EQ(envelope->at("Message").as_string(), "hello");
  EXPECT_EQ(envelope->at("Subject").as_string(), "line one line two");

  auto missing = run("aws.sns.publish",
                     {{"topicArn", "arn:aws:sns:us-east-1:123456789012:nope"}, {"message", "x"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "NotFound");
}

// ---------------------------------------------------------------- securityhub.importFindings

TEST_F(ActionsMotoTest, SecurityHubImportRecordsAValidAsffFinding) {
  fx().enableSecurityHub();
  riposte::testing::FindingSpec spec;
  spec.instance_id = "i-0abc1234567890def";
  json::value actions = json::array{json::object{
      {"summary", "moved i-0abc1234567890def from [sg-a] to sg-q (riposte-quarantine)"}}};
  json::object input{{"finding", riposte::testing::guardDutyFinding(spec)},
                     {"actions", actions},
                     {"incidentId", "inc-42"}};
  auto r = run("aws.securityhub.importFindings", input);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->changed);

  json::array findings = fx().getFindings();
  ASSERT_EQ(findings.size(), 1u);
  const json::value& f = findings[0];
  for (const char* field :
       {"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt",
        "UpdatedAt", "Severity", "Title", "Description", "Resources"}) {
    EXPECT_TRUE(f.as_object().contains(field)) << field;
  }
  EXPECT_EQ(f.at("SchemaVersion").as_string(), "2018-10-08");
  EXPECT_EQ(f.at("Id").as_string(), r->output.at("findingId").as_string());
  EXPECT_EQ(f.at("ProductArn").as_string(),
            "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default");
  EXPECT_EQ(f.at("AwsAccountId").as_string(), "123456789012");
  EXPECT_EQ(f.at("Severity").at("Label").as_string(), "HIGH");
  EXPECT_EQ(f.at("Types").as_array()[0].as_string(),
            "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce");
  EXPECT_EQ(f.at("Resources").as_array()[0].at("Type").as_string(), "AwsEc2Instance");
  EXPECT_EQ(f.at("Resources").as_array()[0].at("Id").as_string(),
            "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc1234567890def");
  int64_t t = 0;
  EXPECT_TRUE(parseIso8601(std::string(f.at("CreatedAt").as_string()), t));
  EXPECT_TRUE(parseIso8601(std::string(f.at("UpdatedAt").as_string()), t));
  EXPECT_NE(std::string(f.at("Description").as_string()).find("moved i-0abc1234567890def"),
            std::string::npos);

  // A repeat updates the same finding (one per incident).
  auto again = run("aws.securityhub.importFindings", input);
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(fx().getFindings().size(), 1u);
}

// A long title in a script of multi-byte characters is cut on a character boundary: the
// finding AWS receives is valid UTF-8 (a byte cut made moto answer 500, and the incident fail).
TEST_F(ActionsMotoTest, SecurityHubImportCutsALongTitleOnACharacterBoundary) {
  fx().enableSecurityHub();
  riposte::testing::FindingSpec spec;
  spec.instance_id = "i-0abc1234567890def";
  json::value finding = riposte::testing::guardDutyFinding(spec);
  std::string title;
  while (title.size() < 600) title += "é侵入🛑";  // 2-, 3- and 4-byte characters
  finding.as_object()["title"] = title;
  json::object input{{"finding", finding}, {"actions", json::array{}}, {"incidentId", "inc-43"}};
  auto r = run("aws.securityhub.importFindings", input);
  ASSERT_TRUE(r) << r.error().str();
  json::array findings = fx().getFindings();
  ASSERT_EQ(findings.size(), 1u);
  const std::string got(findings[0].at("Title").as_string());
  EXPECT_LE(got.size(), 256u);
  EXPECT_TRUE(got.ends_with("..."));
  const std::string kept = got.substr(std::string("riposte response: ").size(),
                                      got.size() - 3 - std::string("riposte response: ").size());
  EXPECT_EQ(title.substr(0, kept.size()), kept);  // a whole-character prefix of the title
  EXPECT_NE(std::string("é侵入🛑").find(title.substr(kept.size(), 1)), std::string::npos);
}

// The undo of the import: the finding is imported again archived (the provider's way;
// moto routes no BatchUpdateFindings), only its own members, and a repeat changes nothing.
TEST_F(ActionsMotoTest, SecurityHubArchiveArchivesTheImportedFindingOnce) {
  fx().enableSecurityHub();
  riposte::testing::FindingSpec other;
  other.id = "other";
  ASSERT_TRUE(
      run("aws.securityhub.importFindings",
          {{"finding", riposte::testing::guardDutyFinding(other)}, {"incidentId", "inc-7"}}));
  json::object input{{"finding", riposte::testing::guardDutyFinding()}, {"incidentId", "inc-42"}};
  auto imported = run("aws.securityhub.importFindings", input);
  ASSERT_TRUE(imported) << imported.error().str();
  const std::string id(imported->output.at("findingId").as_string());

  ctx_.dry_run = true;
  auto plan = run("aws.securityhub.archiveFindings", undoInput(imported->output, nullptr));
  ASSERT_TRUE(plan) << plan.error().str();
  EXPECT_FALSE(plan->changed);
  EXPECT_EQ(plan->output.at("dryRun"), true);
  ctx_.dry_run = false;

  auto archived = run("aws.securityhub.archiveFindings", undoInput(imported->output, nullptr));
  ASSERT_TRUE(archived) << archived.error().str();
  EXPECT_TRUE(archived->changed);
  EXPECT_EQ(archived->before.at("recordState"), "ACTIVE");
  std::map<std::string, std::string> states;
  for (const auto& f : fx().getFindings())
    states[std::string(f.at("Id").as_string())] = std::string(f.at("RecordState").as_string());
  EXPECT_EQ(states[id], "ARCHIVED");
  EXPECT_EQ(states.size(), 2u);
  for (const auto& [fid, st] : states) {
    if (fid == id) continue;
    EXPECT_EQ(st, "ACTIVE") << "another incident's finding was touched";
  }

  auto again = run("aws.securityhub.archiveFindings", undoInput(imported->output, nullptr));
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_FALSE(again->changed);
  auto absent = run("aws.securityhub.archiveFindings",
                    {{"findingId", "arn:aws:securityhub:us-east-1:123456789012:riposte/incident/x"},
                     {"productArn", imported->output.at("productArn")}});
  ASSERT_TRUE(absent) << absent.error().str();
  EXPECT_FALSE(absent->changed);
  auto bad = run("aws.securityhub.archiveFindings", {{"findingId", id}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidInput");
}

TEST_F(ActionsMotoTest, SecurityHubImportNeedsAFinding) {
  auto r = run("aws.securityhub.importFindings", {{"incidentId", "inc-1"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInput");
}

}  // namespace
}  // namespace riposte::actions
