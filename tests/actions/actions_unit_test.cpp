// Actions without AWS: registry, input validation, alert and ASFF rendering.
#include <gtest/gtest.h>

#include "actions/finding.h"
#include "actions/notify.h"
#include "actions/registry.h"
#include "actions/util.h"
#include "support/findings.h"

namespace riposte::actions {
namespace {

TEST(Registry, FindsBuiltinsWithOrWithoutPrefix) {
  Registry r = Registry::builtins();
  for (const char* n : {"aws.ec2.isolateInstance", "aws.ec2.blockIp", "aws.sns.publish",
                        "aws.securityhub.importFindings"}) {
    const Action* a = r.find(n);
    ASSERT_NE(a, nullptr) << n;
    EXPECT_EQ(a->name(), n);
    EXPECT_EQ(r.find(std::string("riposte:") + n), a);
    EXPECT_FALSE(a->descriptor().description.empty());
    EXPECT_FALSE(a->descriptor().permissions.empty());
    for (const auto& p : a->descriptor().permissions)
      EXPECT_NE(p.action.find(':'), std::string::npos) << p.action;
  }
  EXPECT_EQ(r.find("riposte:aws.ec2.nope"), nullptr);
  // Step Functions integrations for the Query services.
  const Action* sdk = r.find("arn:aws:states:::aws-sdk:ec2:describeInstances");
  ASSERT_NE(sdk, nullptr);
  EXPECT_EQ(sdk, r.find("arn:aws:states:::aws-sdk:ec2:describeInstances"));  // cached
  EXPECT_EQ(sdk->descriptor().permissionNames(), std::vector<std::string>{"ec2:DescribeInstances"});
  EXPECT_NE(r.find("arn:aws:states:::sns:publish"), nullptr);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:s3:getObject"), nullptr);  // not a Query service
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:"), nullptr);
  EXPECT_EQ(r.find("arn:aws:states:::lambda:invoke"), nullptr);
  auto names = r.names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_FALSE(r.add(makeBlockIp()));  // duplicate
}

// What the engine does with an attempt a crash interrupted (Descriptor::replay).
TEST(Registry, ReplayPolicyOfEveryAction) {
  Registry r = Registry::builtins();
  for (const auto& n : r.names()) {
    const Action* a = r.find(n);
    ASSERT_NE(a, nullptr) << n;
    // Every built-in checks the state first, except the notifications (SNS, an HTTP request),
    // which cannot be checked and are sent again with the same deduplication id.
    EXPECT_EQ(a->descriptor().replay, n == "aws.sns.publish" || n == "http.invoke"
                                          ? Replay::kRerunDeduplicated
                                          : Replay::kRerun)
        << n;
  }
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:describeInstances")->descriptor().replay,
            Replay::kRerun);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:iam:listAccessKeys")->descriptor().replay,
            Replay::kRerun);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:iam:updateAccessKey")->descriptor().replay,
            Replay::kRerun);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:sns:publish")->descriptor().replay,
            Replay::kRerunDeduplicated);
  EXPECT_EQ(r.find("arn:aws:states:::sns:publish")->descriptor().replay,
            Replay::kRerunDeduplicated);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:createSnapshot")->descriptor().replay,
            Replay::kFailInterrupted);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:terminateInstances")->descriptor().replay,
            Replay::kFailInterrupted);
}

TEST(Registry, ActionsFailCleanlyWithoutAClientOrWithBadInput) {
  Registry r = Registry::builtins();
  ActionContext ctx;
  ctx.region = "us-east-1";
  auto res = r.find("aws.ec2.isolateInstance")->run({{"instanceId", "i-1"}}, ctx);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, "NotConfigured");
  res = r.find("aws.ec2.blockIp")->run(json::value("198.51.100.7"), ctx);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, "InvalidInput");
  res = r.find("aws.sns.publish")->run({{"topicArn", "not-an-arn"}}, ctx);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, "InvalidInput");
}

TEST(Finding, SummarizesGuardDutyFindingAndEvent) {
  riposte::testing::FindingSpec spec;
  spec.instance_id = "i-0abc";
  spec.severity = 9.5;
  FindingSummary f = summarizeFinding(riposte::testing::guardDutyEvent(spec));
  EXPECT_EQ(f.type, "UnauthorizedAccess:EC2/SSHBruteForce");
  EXPECT_EQ(f.resource_id, "i-0abc");
  EXPECT_EQ(f.resource_label,
            "EC2 instance i-0abc (Name: web-1) in account 123456789012, us-east-1");
  EXPECT_EQ(f.remote_ip, "198.51.100.7");
  EXPECT_EQ(f.remote_where, "Exampleland, Example Hosting");
  EXPECT_EQ(f.severity_label, "CRITICAL");
  EXPECT_EQ(f.account, "123456789012");
}

TEST(Finding, RemoteIpFromApiCallsAndPortProbes) {
  auto api = parseJson(R"({"type":"Recon:IAMUser/MaliciousIPCaller","severity":5,
    "resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"AKIA1","userName":"bob"}},
    "service":{"action":{"awsApiCallAction":{"remoteIpDetails":{"ipAddressV4":"203.0.113.1"}}}}})");
  ASSERT_TRUE(api);
  FindingSummary f = summarizeFinding(*api);
  EXPECT_EQ(f.remote_ip, "203.0.113.1");
  EXPECT_EQ(f.resource_label, "IAM access key AKIA1 of bob");
  EXPECT_EQ(f.severity_label, "MEDIUM");
  auto probe =
      parseJson(R"({"severity":2,"service":{"action":{"portProbeAction":{"portProbeDetails":[
    {"localPortDetails":{"port":22}},{"remoteIpDetails":{"ipAddressV4":"192.0.2.8"}}]}}}})");
  ASSERT_TRUE(probe);
  EXPECT_EQ(summarizeFinding(*probe).remote_ip, "192.0.2.8");
  EXPECT_EQ(summarizeFinding(*probe).severity_label, "LOW");
  EXPECT_EQ(summarizeFinding(json::object{}).remote_ip, "");
}

TEST(Finding, ActionLinesFromAnyShape) {
  auto v = parseJson(
      R"({"isolate":{"summary":"moved i-1"},"block":{"Error":"InvalidInstanceID.NotFound","Cause":"gone"},"raw":42})");
  ASSERT_TRUE(v);
  auto lines = actionLines(*v);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "isolate: moved i-1");
  EXPECT_EQ(lines[1], "block: FAILED InvalidInstanceID.NotFound: gone");
  EXPECT_EQ(lines[2], "raw: 42");
  auto arr = parseJson(R"([{"summary":"a"},"b"])");
  EXPECT_EQ(actionLines(*arr), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(actionLines(json::value("x")), std::vector<std::string>{"x"});
  EXPECT_TRUE(actionLines(nullptr).empty());
}

TEST(Alert, SubjectIsOneShortLine) {
  riposte::testing::FindingSpec spec;
  spec.type = std::string(200, 'X') + "\n\tmore";
  Alert a = renderAlert(riposte::testing::guardDutyFinding(spec), nullptr, "inc-1");
  EXPECT_LE(a.subject.size(), 100u);
  EXPECT_EQ(a.subject.find('\n'), std::string::npos);
  EXPECT_EQ(a.subject.find('\t'), std::string::npos);
  EXPECT_NE(a.message.find("(none: notification only)"), std::string::npos);
  EXPECT_EQ(singleLine("caf\xC3\xA9  \n bar", 100), "caf?? bar");
  EXPECT_EQ(singleLine(std::string(150, 'a'), 100).size(), 100u);
}

TEST(Alert, NamesFindingResourceAttackerAndActions) {
  riposte::testing::FindingSpec spec;
  json::value actions = json::array{json::object{{"summary", "moved i-0123456789abcdef0 to sg-q"}}};
  Alert a = renderAlert(riposte::testing::guardDutyFinding(spec), actions, "inc-9");
  EXPECT_EQ(a.subject,
            "[riposte] HIGH UnauthorizedAccess:EC2/SSHBruteForce on i-0123456789abcdef0: 1 "
            "action(s) taken");
  for (const char* s :
       {"severity 8, HIGH", "Attacker:   198.51.100.7 (Exampleland, Example Hosting)",
        "Incident:   inc-9", "  - moved i-0123456789abcdef0 to sg-q",
        "Resource:   EC2 instance i-0123456789abcdef0 (Name: web-1)"}) {
    EXPECT_NE(a.message.find(s), std::string::npos) << s << "\n" << a.message;
  }
}

TEST(Asff, HasEveryRequiredField) {
  riposte::testing::FindingSpec spec;
  FindingSummary f = summarizeFinding(riposte::testing::guardDutyFinding(spec));
  json::object asff =
      buildAsff(f, {"moved i-1"}, "inc-7", "111122223333", "eu-west-1", "2026-11-23T09:00:00.000Z");
  for (const char* k :
       {"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt",
        "UpdatedAt", "Severity", "Title", "Description", "Resources"}) {
    EXPECT_TRUE(asff.contains(k)) << k;
  }
  EXPECT_EQ(asff.at("Id").as_string(),
            "arn:aws:securityhub:eu-west-1:111122223333:riposte/incident/inc-7");
  EXPECT_EQ(asff.at("ProductArn").as_string(),
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default");
  EXPECT_EQ(asff.at("Severity").at("Normalized").as_int64(), 80);
  EXPECT_EQ(asff.at("CreatedAt").as_string(), "2026-11-23T06:00:00.000Z");
  EXPECT_EQ(asff.at("UpdatedAt").as_string(), "2026-11-23T09:00:00.000Z");
  EXPECT_LE(asff.at("Title").as_string().size(), 256u);
  EXPECT_LE(asff.at("Description").as_string().size(), 1024u);
  EXPECT_EQ(asff.at("Network").at("SourceIpV4").as_string(), "198.51.100.7");
  EXPECT_EQ(asff.at("RelatedFindings").as_array()[0].at("ProductArn").as_string(),
            "arn:aws:securityhub:eu-west-1::product/aws/guardduty");
}

// The one table of what a Task blocks (descriptor.h blocksOf / blockedAddresses), which the
// engine's trusted-list check reads.
TEST(Blocks, WhatEachTaskBlocks) {
  Registry r = Registry::builtins();
  using V = std::vector<std::string>;
  auto blocked = [&](const char* resource, const char* params) {
    const Action* a = r.find(resource);
    EXPECT_NE(a, nullptr) << resource;
    auto got = blockedAddresses(a->descriptor(), parseJson(params).value());
    EXPECT_TRUE(got) << resource << " " << params << " " << got.error().str();
    return got ? *got : V{"<error>"};
  };
  EXPECT_EQ(blocked("riposte:aws.ec2.blockIp", R"({"ip":"203.0.113.7","subnetId":"subnet-1"})"),
            V{"203.0.113.7"});
  EXPECT_EQ(blocked("riposte:aws.wafv2.blockIp", R"({"ipSetName":"s","cidr":"203.0.113.7/32"})"),
            V{"203.0.113.7/32"});
  EXPECT_EQ(blocked("riposte:aws.ec2.isolateInstance", R"({"instanceId":"i-1","ip":"1.2.3.4"})"),
            V{});
  // A network ACL deny entry, in either family, whatever the case of its members.
  const char* create = "arn:aws:states:::aws-sdk:ec2:createNetworkAclEntry";
  EXPECT_EQ(blocked(create, R"({"NetworkAclId":"acl-1","RuleNumber":90,"Protocol":"-1",
      "RuleAction":"deny","Egress":false,"CidrBlock":"10.0.0.0/8"})"),
            V{"10.0.0.0/8"});
  EXPECT_EQ(blocked(create, R"({"RuleAction":"DENY","Ipv6CidrBlock":"2001:db8::/32"})"),
            V{"2001:db8::/32"});
  EXPECT_EQ(blocked(create, R"({"ruleAction":"deny","cidrBlock":"10.1.2.3/32"})"),
            V{"10.1.2.3/32"});
  EXPECT_EQ(blocked("arn:aws:states:::aws-sdk:ec2:replaceNetworkAclEntry",
                    R"({"RuleAction":"deny","CidrBlock":"192.0.2.0/24"})"),
            V{"192.0.2.0/24"});
  // An allow entry blocks nothing; a missing or unreadable RuleAction counts as a deny.
  EXPECT_EQ(blocked(create, R"({"RuleAction":"allow","CidrBlock":"10.0.0.0/8"})"), V{});
  EXPECT_EQ(blocked(create, R"({"RuleAction":"Allow","CidrBlock":"10.0.0.0/8"})"), V{});
  EXPECT_EQ(blocked(create, R"({"CidrBlock":"10.0.0.0/8"})"), V{"10.0.0.0/8"});
  EXPECT_EQ(blocked(create, R"({"RuleAction":1,"CidrBlock":"10.0.0.0/8"})"), V{"10.0.0.0/8"});
  EXPECT_EQ(
      blocked(create, R"({"RuleAction":"allow","ruleAction":"deny","CidrBlock":"10.0.0.0/8"})"),
      V{"10.0.0.0/8"});
  // Security groups allow: nothing is blocked; reads block nothing.
  EXPECT_EQ(blocked("arn:aws:states:::aws-sdk:ec2:authorizeSecurityGroupIngress",
                    R"({"CidrIp":"10.0.0.0/8"})"),
            V{});
  EXPECT_EQ(blocked("arn:aws:states:::aws-sdk:ec2:describeNetworkAcls", R"({})"), V{});
  // What cannot be read is an error (the engine refuses the Task).
  const Action* a = r.find(create);
  auto bad = blockedAddresses(a->descriptor(), parseJson(R"({"CidrBlock":{"a":1}})").value());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidInput");
  // WAF's UpdateIPSet (a REST/JSON integration not wired yet): every address of the list.
  const Descriptor::Blocks* waf = sdkBlocks("wafv2:UpdateIPSet");
  ASSERT_NE(waf, nullptr);
  Descriptor d;
  d.blocks = *waf;
  EXPECT_EQ(blockedAddresses(d, parseJson(R"({"Addresses":["192.0.2.1/32","10.0.0.0/8"]})").value())
                .value(),
            (V{"192.0.2.1/32", "10.0.0.0/8"}));
  auto mixed = blockedAddresses(d, parseJson(R"({"Addresses":["192.0.2.1/32",7]})").value());
  EXPECT_FALSE(mixed);
  EXPECT_EQ(sdkBlocks("ec2:AuthorizeSecurityGroupIngress"), nullptr);
}

TEST(Util, NormalizeCidr) {
  bool v6 = false;
  EXPECT_EQ(*normalizeCidr("198.51.100.7", v6), "198.51.100.7/32");
  EXPECT_FALSE(v6);
  EXPECT_EQ(*normalizeCidr("198.51.100.7/32", v6), "198.51.100.7/32");
  EXPECT_EQ(*normalizeCidr("2001:DB8:0:0::1", v6), "2001:db8::1/128");
  EXPECT_TRUE(v6);
  EXPECT_FALSE(normalizeCidr("198.51.100.0/24", v6));
  EXPECT_FALSE(normalizeCidr("198.51.100.300", v6));
  EXPECT_FALSE(normalizeCidr("", v6));
}

TEST(Util, ProtectionTag) {
  ActionContext ctx;
  EXPECT_TRUE(checkNotProtected(ctx, {{"riposte:protected", "false"}}, "i-1"));
  EXPECT_TRUE(checkNotProtected(ctx, {}, "i-1"));
  auto r = checkNotProtected(ctx, {{"riposte:protected", "TRUE"}}, "i-1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceProtected");
  ctx.protection_tag = "do-not-touch";
  EXPECT_FALSE(checkNotProtected(ctx, {{"do-not-touch", "true"}}, "i-1"));
}

}  // namespace
}  // namespace riposte::actions

#include <fstream>
#include <sstream>

namespace riposte::actions {
namespace {

TEST(Registry, EveryBuiltinIsDocumented) {
  std::ifstream f(std::string(RIPOSTE_SOURCE_DIR) + "/docs/actions.md");
  ASSERT_TRUE(f) << "docs/actions.md missing";
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  std::vector<std::string> headings;
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("## ", 0) == 0) headings.push_back(line);
  }
  for (const auto& name : Registry::builtins().names()) {
    bool found = false;
    for (const auto& h : headings) {
      found |=
          h.find(" " + name + " ") != std::string::npos ||
          (h.size() >= name.size() && h.compare(h.size() - name.size(), name.size(), name) == 0);
    }
    EXPECT_TRUE(found) << name << " has no section in docs/actions.md";
  }
  EXPECT_GE(Registry::builtins().names().size(), 14u);
}

// Every declared undo exists, and an undo has no undo of its own: release records the undo as
// an action of the incident, and a second release must find nothing in it to reverse (an
// enableAccessKey with an undo re-disabled the key on the second release).
TEST(Registry, UndoActionsExistAndAreTerminal) {
  Registry r = Registry::builtins();
  int undoable = 0;
  for (const auto& name : r.names()) {
    const Action* a = r.find(name);
    ASSERT_NE(a, nullptr) << name;
    const Descriptor& d = a->descriptor();
    if (d.undo.empty()) continue;
    ++undoable;
    const Action* u = r.find(d.undo);
    ASSERT_NE(u, nullptr) << name << " declares the unknown undo " << d.undo;
    EXPECT_TRUE(u->descriptor().undo.empty())
        << d.undo << " (undo of " << name << ") declares an undo: " << u->descriptor().undo;
    EXPECT_EQ(u->descriptor().role, Role::kRestore) << d.undo;
    EXPECT_EQ(r.undoOf(d.undo), name);
  }
  // isolate, blockIp, wafv2.blockIp, disableKey, revoke, suspend, stop, importFindings
  EXPECT_GE(undoable, 8);
}

}  // namespace
}  // namespace riposte::actions

namespace riposte::actions {
namespace {

// Every built-in's descriptor is complete: what it does, its role, its IAM calls with the
// resources each applies to, and a word on its undo (or it is itself an undo).
TEST(Descriptor, EveryBuiltinIsComplete) {
  Registry r = Registry::builtins();
  for (const auto& name : r.names()) {
    const Descriptor& d = r.find(name)->descriptor();
    EXPECT_EQ(d.name, name);
    EXPECT_FALSE(d.description.empty()) << name;
    // approval asks people and http.invoke calls an HTTP API, not AWS: the built-ins without
    // an AWS call.
    if (name != "approval" && name != "http.invoke") {
      EXPECT_FALSE(d.permissions.empty()) << name;
    }
    for (const auto& p : d.permissions) {
      EXPECT_NE(p.action.find(':'), std::string::npos) << name << ": " << p.action;
      EXPECT_TRUE(p.task_topics || !p.resources.empty()) << name << ": " << p.action;
      for (const auto& res : p.resources)
        EXPECT_TRUE(res == "*" || res.rfind("arn:aws:", 0) == 0) << name << ": " << res;
    }
    const bool is_undo = !r.undoOf(name).empty();
    EXPECT_EQ(is_undo, d.role == Role::kRestore) << name;
    EXPECT_EQ(d.undo_note.empty(), is_undo) << name << ": an undo needs no note, others do";
    EXPECT_TRUE(d.undo.empty() || !d.undo_note.empty()) << name;
  }
  // What the engine and the next blast-radius limits ask.
  EXPECT_TRUE(r.find("aws.ec2.isolateInstance")->descriptor().isDestructive());
  EXPECT_FALSE(r.find("aws.ec2.releaseInstance")->descriptor().isDestructive());
  EXPECT_EQ(r.find("aws.ec2.snapshotVolumes")->descriptor().role, Role::kEvidence);
  EXPECT_EQ(r.find("aws.sns.publish")->descriptor().role, Role::kNotify);
  EXPECT_EQ(r.find("aws.securityhub.importFindings")->descriptor().role, Role::kSiem);
  EXPECT_EQ(r.find("aws.securityhub.importFindings")->descriptor().undo,
            "aws.securityhub.archiveFindings");
}

// The role of a direct AWS call is decided from its API: reads read, SNS Publish notifies,
// anything else changes something riposte cannot classify and counts as destructive.
TEST(Descriptor, IntegrationsTakeTheirRoleFromTheApi) {
  Registry r = Registry::builtins();
  auto role = [&](const char* res) { return r.find(res)->descriptor().role; };
  EXPECT_EQ(role("arn:aws:states:::aws-sdk:ec2:describeInstances"), Role::kRead);
  EXPECT_EQ(role("arn:aws:states:::aws-sdk:iam:listAccessKeys"), Role::kRead);
  EXPECT_EQ(role("arn:aws:states:::aws-sdk:sts:getCallerIdentity"), Role::kRead);
  EXPECT_EQ(role("arn:aws:states:::sns:publish"), Role::kNotify);
  EXPECT_EQ(role("arn:aws:states:::aws-sdk:sns:publish"), Role::kNotify);
  EXPECT_EQ(role("arn:aws:states:::aws-sdk:ec2:terminateInstances"), Role::kContain);
  EXPECT_EQ(role("arn:aws:states:::aws-sdk:iam:updateAccessKey"), Role::kContain);
  const Descriptor& d = r.find("arn:aws:states:::aws-sdk:ec2:stopInstances")->descriptor();
  EXPECT_EQ(d.permissions.at(0).action, "ec2:StopInstances");
  EXPECT_EQ(d.permissions.at(0).resources, std::vector<std::string>{kEc2Instance});
  EXPECT_TRUE(d.undo.empty());
  EXPECT_FALSE(d.undo_note.empty());
  // An IAM change nobody has scoped gets no resources: iam-policy will not grant it on "*".
  const Descriptor& attach = r.find("arn:aws:states:::aws-sdk:iam:attachRolePolicy")->descriptor();
  EXPECT_TRUE(attach.permissions.at(0).resources.empty());
  EXPECT_TRUE(attach.permissions.at(0).writes_principal);
}

TEST(Descriptor, AwsPermissionScopes) {
  EXPECT_EQ(awsPermission("ec2:DescribeInstances").resources, std::vector<std::string>{"*"});
  EXPECT_EQ(awsPermission("iam:UpdateAccessKey").resources, std::vector<std::string>{kIamUser});
  EXPECT_TRUE(awsPermission("iam:PutRolePolicy").writes_principal);
  EXPECT_FALSE(awsPermission("iam:GetRolePolicy").writes_principal);
  const Permission pass = awsPermission("iam:PassRole");
  EXPECT_EQ(pass.resources, std::vector<std::string>{kIamRole});
  ASSERT_EQ(pass.conditions.size(), 1u);
  EXPECT_EQ(pass.conditions[0].key, "iam:PassedToService");
  EXPECT_EQ(awsPermission("ec2:CreateTags", {kEc2Instance}).resources,
            std::vector<std::string>{kEc2Instance});
  EXPECT_EQ(onlyWithParameter(awsPermission("wafv2:GetIPSet"), "wafIpSetName").when_parameter,
            "wafIpSetName");
}

}  // namespace
}  // namespace riposte::actions
