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
    EXPECT_FALSE(a->description().empty());
    EXPECT_FALSE(a->permissions().empty());
    for (const auto& p : a->permissions()) EXPECT_NE(p.find(':'), std::string::npos) << p;
  }
  EXPECT_EQ(r.find("riposte:aws.ec2.nope"), nullptr);
  // Step Functions integrations for the Query services.
  const Action* sdk = r.find("arn:aws:states:::aws-sdk:ec2:describeInstances");
  ASSERT_NE(sdk, nullptr);
  EXPECT_EQ(sdk, r.find("arn:aws:states:::aws-sdk:ec2:describeInstances"));  // cached
  EXPECT_EQ(sdk->permissions(), std::vector<std::string>{"ec2:DescribeInstances"});
  EXPECT_NE(r.find("arn:aws:states:::sns:publish"), nullptr);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:s3:getObject"), nullptr);  // not a Query service
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:"), nullptr);
  EXPECT_EQ(r.find("arn:aws:states:::lambda:invoke"), nullptr);
  auto names = r.names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_FALSE(r.add(makeBlockIp()));  // duplicate
}

// What the engine does with an attempt a crash interrupted (Action::replay()).
TEST(Registry, ReplayPolicyOfEveryAction) {
  Registry r = Registry::builtins();
  for (const auto& n : r.names()) {
    const Action* a = r.find(n);
    ASSERT_NE(a, nullptr) << n;
    // Every built-in checks the state first, except the notification, which cannot be checked
    // and is sent again with the same deduplication id.
    EXPECT_EQ(a->replay(), n == "aws.sns.publish" ? Replay::kRerunDeduplicated : Replay::kRerun)
        << n;
  }
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:describeInstances")->replay(), Replay::kRerun);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:iam:listAccessKeys")->replay(), Replay::kRerun);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:iam:updateAccessKey")->replay(), Replay::kRerun);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:sns:publish")->replay(), Replay::kRerunDeduplicated);
  EXPECT_EQ(r.find("arn:aws:states:::sns:publish")->replay(), Replay::kRerunDeduplicated);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:createSnapshot")->replay(),
            Replay::kFailInterrupted);
  EXPECT_EQ(r.find("arn:aws:states:::aws-sdk:ec2:terminateInstances")->replay(),
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
    if (a->undoName().empty()) continue;
    ++undoable;
    const Action* u = r.find(a->undoName());
    ASSERT_NE(u, nullptr) << name << " declares the unknown undo " << a->undoName();
    EXPECT_TRUE(u->undoName().empty())
        << a->undoName() << " (undo of " << name << ") declares an undo: " << u->undoName();
  }
  EXPECT_GE(undoable, 7);  // isolate, blockIp, wafv2.blockIp, disableKey, revoke, suspend, stop
}

}  // namespace
}  // namespace riposte::actions
