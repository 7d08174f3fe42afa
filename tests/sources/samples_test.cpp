// The sample finding generator: every type is well-formed GuardDuty JSON whose resource,
// action, ids, addresses and timestamps agree; the event and ASFF forms carry what their
// consumers need; and the shipped rules fire on EC2 samples as the severity strategy says.
#include "sources/samples.h"

#include <gtest/gtest.h>

#include <set>

#include "core/clock.h"
#include "engine/config.h"
#include "engine/incident.h"
#include "pattern/pattern.h"
#include "sources/ingest.h"

namespace riposte::sources {
namespace {

constexpr int64_t kNow = 1'795'000'000'000;  // 2026-11-18T…

SampleOptions opts(uint64_t seed = 42) {
  SampleOptions o;
  o.seed = seed;
  o.now_ms = kNow;
  return o;
}

std::string s(const json::value& v, std::string_view path) {
  return stringAt(v, path).value_or("<missing " + std::string(path) + ">");
}

bool inDocRange(const std::string& ip) {
  return ip.rfind("192.0.2.", 0) == 0 || ip.rfind("198.51.100.", 0) == 0 ||
         ip.rfind("203.0.113.", 0) == 0 || ip.rfind("2001:db8:", 0) == 0;
}

// Every string that looks like an IPv4 address anywhere in the finding.
void collectIps(const json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      std::string_view k = kv.key();
      if ((k == "ipAddressV4" || k == "privateIpAddress" || k == "publicIp" || k == "SourceIpV4" ||
           k == "DestinationIpV4") &&
          kv.value().is_string()) {
        out.emplace_back(kv.value().get_string());
      }
      collectIps(kv.value(), out);
    }
  } else if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (e.is_string() && std::string_view(e.get_string()).rfind("2001:", 0) == 0)
        out.emplace_back(e.get_string());
      collectIps(e, out);
    }
  }
}

TEST(Samples, CatalogueCoversTheFamilies) {
  const auto& types = sampleTypes();
  EXPECT_GE(types.size(), 40u);
  std::map<std::string, int> per_family;
  std::set<std::string> names;
  for (const auto& t : types) {
    ++per_family[t.family];
    EXPECT_TRUE(names.insert(t.type).second) << "duplicate " << t.type;
    EXPECT_TRUE(t.severity == 2 || t.severity == 5 || t.severity == 8) << t.type;
    EXPECT_EQ(findSampleType(t.type), &t);
  }
  for (const char* f : {"EC2", "IAM", "S3", "EKS", "Runtime", "Malware"}) {
    EXPECT_GE(per_family[f], 5) << f;
  }
  EXPECT_EQ(findSampleType("Nope:EC2/Nothing"), nullptr);
}

TEST(Samples, EveryTypeIsAWellFormedFinding) {
  for (const auto& t : sampleTypes()) {
    SCOPED_TRACE(t.type);
    auto f = sampleFinding(t.type, opts());
    ASSERT_TRUE(f) << f.error().str();
    // Valid JSON that round-trips.
    auto parsed = parseJson(json::serialize(*f));
    ASSERT_TRUE(parsed);
    const json::value& v = *parsed;
    for (const char* field :
         {"schemaVersion", "accountId", "region", "partition", "id", "arn", "type", "createdAt",
          "updatedAt", "title", "description", "service.serviceName", "service.detectorId",
          "service.eventFirstSeen", "service.eventLastSeen", "service.resourceRole",
          "resource.resourceType"}) {
      EXPECT_TRUE(stringAt(v, field)) << "missing " << field;
    }
    EXPECT_EQ(s(v, "schemaVersion"), "2.0");
    EXPECT_EQ(s(v, "type"), t.type);
    EXPECT_EQ(numberAt(v, "severity"), t.severity);
    EXPECT_EQ(s(v, "resource.resourceType"), t.resource_type);
    EXPECT_TRUE(isBareGuardDutyFinding(f.value()));
    // Consistent ids: the ARN names the account, region, detector and finding id.
    const std::string id = s(v, "id");
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(s(v, "arn"), "arn:aws:guardduty:us-east-1:123456789012:detector/" +
                               s(v, "service.detectorId") + "/finding/" + id);
    // Timestamps in order: first seen ≤ created ≤ updated; last seen ≤ updated.
    int64_t first = 0, last = 0, created = 0, updated = 0;
    ASSERT_TRUE(parseIso8601(s(v, "service.eventFirstSeen"), first));
    ASSERT_TRUE(parseIso8601(s(v, "service.eventLastSeen"), last));
    ASSERT_TRUE(parseIso8601(s(v, "createdAt"), created));
    ASSERT_TRUE(parseIso8601(s(v, "updatedAt"), updated));
    EXPECT_EQ(updated, kNow);
    EXPECT_LE(first, created);
    EXPECT_LE(created, updated);
    EXPECT_LE(first, last);
    EXPECT_LE(last, updated);
    // The action has the type's shape.
    static const std::map<std::string, std::string> kActionKey = {
        {"NETWORK_CONNECTION", "networkConnectionAction"},
        {"PORT_PROBE", "portProbeAction"},
        {"DNS_REQUEST", "dnsRequestAction"},
        {"AWS_API_CALL", "awsApiCallAction"},
        {"KUBERNETES_API_CALL", "kubernetesApiCallAction"}};
    if (t.action_type.empty()) {
      EXPECT_EQ(findPath(v, "service.action"), nullptr);
    } else {
      EXPECT_EQ(s(v, "service.action.actionType"), t.action_type);
      EXPECT_NE(findPath(v, "service.action." + kActionKey.at(t.action_type)), nullptr);
    }
    if (t.family == "Runtime") {
      EXPECT_NE(findPath(v, "service.runtimeDetails.process"), nullptr);
    }
    if (t.family == "Malware" && t.resource_type != "S3Object") {
      EXPECT_NE(findPath(v, "service.ebsVolumeScanDetails.scanDetections"), nullptr);
    }
    // Every address is in a documentation range.
    std::vector<std::string> ips;
    collectIps(v, ips);
    for (const auto& ip : ips) EXPECT_TRUE(inDocRange(ip)) << ip;
    // The engine finds the resource and, when the action names one, the attacker.
    json::object event{{"source", "aws.guardduty"}, {"detail", *f}};
    auto facts = engine::describeIncident(event);
    EXPECT_FALSE(facts.resource_id.empty());
    EXPECT_NE(facts.resource_id, "aws.guardduty");
    // ... the one its resourceType names, though the finding may describe others too.
    EXPECT_EQ(facts.resource_type, t.resource_type);
    static const std::map<std::string, std::string> kIdAt = {
        {"Instance", "resource.instanceDetails.instanceId"},
        {"AccessKey", "resource.accessKeyDetails.accessKeyId"},
        {"EKSCluster", "resource.eksClusterDetails.name"},
        {"ECSCluster", "resource.ecsClusterDetails.name"},
        {"Container", "resource.containerDetails.id"}};
    if (t.resource_type == "S3Bucket" || t.resource_type == "S3Object") {
      const json::value& bucket = findPath(v, "resource.s3BucketDetails")->get_array()[0];
      std::string want = s(bucket, "name");
      if (t.resource_type == "S3Object")
        want += "/" + s(findPath(bucket, "s3ObjectDetails")->get_array()[0], "key");
      EXPECT_EQ(facts.resource_id, want);
    } else {
      ASSERT_EQ(kIdAt.count(t.resource_type), 1u) << "a resource type this test does not know";
      EXPECT_EQ(facts.resource_id, s(v, kIdAt.at(t.resource_type)));
    }
    if (t.action_type == "NETWORK_CONNECTION" || t.action_type == "PORT_PROBE" ||
        (t.action_type == "AWS_API_CALL" && t.type.find("InsideAWS") == std::string::npos)) {
      std::string ip = engine::remoteIpOf(f.value());
      EXPECT_TRUE(ip.rfind("198.51.100.", 0) == 0 || ip.rfind("203.0.113.", 0) == 0) << ip;
      // Attacks on the resource name the attacker in the title, as GuardDuty's do.
      if (t.action_type == "PORT_PROBE" ||
          s(v, "service.action.networkConnectionAction.connectionDirection") == "INBOUND") {
        EXPECT_NE(s(v, "title").find(ip), std::string::npos) << s(v, "title");
      }
    }
  }
}

TEST(Samples, ResourceDetailsMatchTheFamily) {
  std::map<std::string, std::string> detail_key = {
      {"Instance", "resource.instanceDetails.instanceId"},
      {"AccessKey", "resource.accessKeyDetails.accessKeyId"},
      {"EKSCluster", "resource.eksClusterDetails.arn"},
      {"ECSCluster", "resource.ecsClusterDetails.arn"},
      {"Container", "resource.containerDetails.id"}};
  for (const auto& t : sampleTypes()) {
    SCOPED_TRACE(t.type);
    auto f = sampleFinding(t.type, opts(7));
    ASSERT_TRUE(f);
    json::value v = *f;
    if (t.resource_type == "S3Bucket" || t.resource_type == "S3Object") {
      const auto* b = findPath(v, "resource.s3BucketDetails");
      ASSERT_TRUE(b && b->is_array() && !b->get_array().empty());
      const std::string name = s(b->get_array()[0], "name");
      EXPECT_EQ(s(b->get_array()[0], "arn"), "arn:aws:s3:::" + name);
      if (t.type.find("Account") == std::string::npos) {  // account-wide: no bucket named
        EXPECT_NE(s(v, "title").find(name), std::string::npos);
      }
    } else {
      EXPECT_TRUE(stringAt(v, detail_key.at(t.resource_type))) << detail_key.at(t.resource_type);
    }
    if (t.resource_type == "Instance") {
      const std::string iid = s(v, "resource.instanceDetails.instanceId");
      EXPECT_EQ(iid.rfind("i-0", 0), 0u);
      EXPECT_EQ(iid.size(), 19u);
      EXPECT_NE(s(v, "title").find(iid), std::string::npos);
    }
    if (t.family == "IAM") {
      EXPECT_EQ(t.resource_type, "AccessKey");
    }
    if (t.family == "S3") {
      EXPECT_EQ(t.resource_type, "S3Bucket");
    }
    if (t.family == "EKS") {
      EXPECT_EQ(t.resource_type, "EKSCluster");
    }
    if (t.family == "EKS") {
      EXPECT_EQ(
          s(v, "resource.eksClusterDetails.arn"),
          "arn:aws:eks:us-east-1:123456789012:cluster/" + s(v, "resource.eksClusterDetails.name"));
    }
    if (t.family == "EC2") {
      EXPECT_EQ(t.resource_type, "Instance");
    }
  }
}

TEST(Samples, DeterministicPerSeedAndOptionsApply) {
  const std::string type = "UnauthorizedAccess:EC2/SSHBruteForce";
  auto a = sampleFinding(type, opts(5));
  auto b = sampleFinding(type, opts(5));
  auto c = sampleFinding(type, opts(6));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(json::serialize(*a), json::serialize(*b));
  EXPECT_NE(s(*a, "id"), s(*c, "id"));
  // Two types with one seed: the same world (instance), different findings.
  auto d = sampleFinding("CryptoCurrency:EC2/BitcoinTool.B", opts(5));
  ASSERT_TRUE(d);
  EXPECT_EQ(s(*a, "resource.instanceDetails.instanceId"),
            s(*d, "resource.instanceDetails.instanceId"));
  EXPECT_NE(s(*a, "id"), s(*d, "id"));

  SampleOptions o = opts();
  o.instance_id = "i-0123456789abcdef0";
  o.severity = 9.5;
  o.region = "eu-west-1";
  o.account = "111122223333";
  auto e = sampleFinding(type, o);
  ASSERT_TRUE(e) << e.error().str();
  EXPECT_EQ(s(*e, "resource.instanceDetails.instanceId"), "i-0123456789abcdef0");
  EXPECT_EQ(numberAt(*e, "severity"), 9.5);
  EXPECT_EQ(s(*e, "region"), "eu-west-1");
  EXPECT_EQ(s(*e, "accountId"), "111122223333");
  EXPECT_EQ(s(*e, "resource.instanceDetails.availabilityZone").rfind("eu-west-1", 0), 0u);
  EXPECT_EQ(s(*e, "arn").rfind("arn:aws:guardduty:eu-west-1:111122223333:detector/", 0), 0u);
}

TEST(Samples, RejectsBadInput) {
  auto u = sampleFinding("Nope:EC2/Nothing", opts());
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, "UnknownFindingType");
  EXPECT_NE(u.error().message.find("UnauthorizedAccess:EC2/SSHBruteForce"), std::string::npos);
  SampleOptions o = opts();
  o.severity = 11;
  EXPECT_EQ(sampleFinding("Backdoor:EC2/Spambot", o).error().code, "InvalidInput");
  o = opts();
  o.account = "12345";
  EXPECT_EQ(sampleFinding("Backdoor:EC2/Spambot", o).error().code, "InvalidInput");
  o = opts();
  o.region = "mars";
  EXPECT_EQ(sampleFinding("Backdoor:EC2/Spambot", o).error().code, "InvalidInput");
  o = opts();
  o.instance_id = "vol-123";
  EXPECT_EQ(sampleFinding("Backdoor:EC2/Spambot", o).error().code, "InvalidInput");
}

TEST(Samples, EventEnvelopeIsWhatEventBridgeDelivers) {
  auto f = sampleFinding("Recon:EC2/PortProbeUnprotectedPort", opts());
  ASSERT_TRUE(f);
  json::object ev = sampleEvent(*f);
  ManualClock clock(kNow);
  auto n = normalizeEvent(ev, clock, "event");
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(n->source, "aws.guardduty");
  EXPECT_EQ(n->detail_type, "GuardDuty Finding");
  EXPECT_EQ(n->account, "123456789012");
  EXPECT_EQ(n->region, "us-east-1");
  EXPECT_EQ(s(ev, "id").size(), 36u);
  EXPECT_EQ(s(ev, "time").size(), 20u);  // 2026-11-18T09:46:40Z
  EXPECT_EQ(s(ev, "detail.id"), s(*f, "id"));
  EXPECT_EQ(json::serialize(sampleEvent(*f)), json::serialize(ev));  // stable id
}

TEST(Samples, AsffFormHasEveryRequiredField) {
  for (const auto& t : sampleTypes()) {
    SCOPED_TRACE(t.type);
    auto f = sampleFinding(t.type, opts());
    ASSERT_TRUE(f);
    json::object a = toAsff(*f);
    EXPECT_TRUE(isAsffFinding(a));
    for (const char* field : {"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId",
                              "CreatedAt", "UpdatedAt", "Title", "Description"}) {
      ASSERT_TRUE(a.contains(field)) << field;
      EXPECT_TRUE(a.at(field).is_string() && !a.at(field).get_string().empty()) << field;
    }
    EXPECT_EQ(s(a, "SchemaVersion"), "2018-10-08");
    EXPECT_EQ(s(a, "Id"), s(*f, "arn"));
    EXPECT_EQ(s(a, "ProductArn"), "arn:aws:securityhub:us-east-1::product/aws/guardduty");
    ASSERT_TRUE(a.at("Types").is_array());
    ASSERT_EQ(a.at("Types").get_array().size(), 1u);
    std::string asff_type(a.at("Types").get_array()[0].get_string());
    EXPECT_NE(asff_type.find('/'), std::string::npos);
    std::string gd = t.type;
    std::replace(gd.begin(), gd.end(), '/', '-');
    EXPECT_TRUE(asff_type.ends_with("/" + gd)) << asff_type;
    EXPECT_EQ(numberAt(a, "Severity.Normalized"), t.severity * 10);
    EXPECT_EQ(s(a, "Severity.Label"), t.severity >= 7   ? "HIGH"
                                      : t.severity >= 4 ? "MEDIUM"
                                                        : "LOW");
    const auto& res = a.at("Resources");
    ASSERT_TRUE(res.is_array() && !res.get_array().empty());
    for (const auto& r : res.get_array()) {
      EXPECT_FALSE(s(r, "Type").empty());
      EXPECT_FALSE(s(r, "Id").empty());
    }
    static const std::map<std::string, std::string> kAsffType = {
        {"Instance", "AwsEc2Instance"},  {"AccessKey", "AwsIamAccessKey"},
        {"S3Bucket", "AwsS3Bucket"},     {"S3Object", "AwsS3Bucket"},
        {"EKSCluster", "AwsEksCluster"}, {"ECSCluster", "AwsEcsCluster"},
        {"Container", "AwsEc2Instance"}};
    EXPECT_EQ(s(res.get_array()[0], "Type"), kAsffType.at(t.resource_type));
    // The engine reads the wrapped form as a Security Hub finding.
    json::object ev = wrapAsffFindings(json::array{a}, "e-1", "2026-11-18T09:46:40Z");
    auto facts = engine::describeIncident(ev);
    EXPECT_EQ(facts.account, "123456789012");
    EXPECT_EQ(facts.finding_id, s(*f, "arn"));
    EXPECT_DOUBLE_EQ(facts.severity, t.severity);
  }
}

// The shipped severity strategy (config/default) on EC2 samples: high → contain, medium →
// notify, low → record; non-EC2 findings of medium/high severity fire nothing.
TEST(Samples, DefaultRulesFireAsExpected) {
  engine::Checkers checkers;  // patterns and playbooks are checked by the loader itself
  std::vector<engine::Problem> problems;
  auto cfg =
      engine::loadConfig(std::string(RIPOSTE_SOURCE_DIR) + "/config/default", checkers, problems);
  ASSERT_TRUE(cfg) << cfg.error().str();
  pattern::RuleSetBuilder b;
  std::vector<std::string> names;
  for (const auto& r : cfg->rules) {
    ASSERT_TRUE(b.add(r.name, r.pattern_json));
    names.push_back(r.name);
  }
  auto rules = b.build();
  auto fired = [&](const json::object& finding) {
    auto m = rules->match(json::serialize(sampleEvent(finding)));
    EXPECT_TRUE(m);
    std::vector<std::string> out;
    if (m) {
      for (auto i : *m) out.push_back(names[i]);
    }
    return out;
  };
  using V = std::vector<std::string>;
  int checked = 0;
  for (const auto& t : sampleTypes()) {
    SCOPED_TRACE(t.type);
    auto f = sampleFinding(t.type, opts());
    ASSERT_TRUE(f);
    V got = fired(*f);
    if (t.severity < 4) {
      EXPECT_EQ(got, V{"guardduty-low"});
    } else if (t.resource_type == "Instance") {
      EXPECT_EQ(got, V{t.severity >= 7 ? "guardduty-ec2-high" : "guardduty-ec2-medium"});
    } else if (t.resource_type == "AccessKey" && t.severity >= 7 &&
               stringAt(json::value(*f), "resource.accessKeyDetails.userType") == "IAMUser") {
      EXPECT_EQ(got, V{"contain-access-key"});
    } else {
      EXPECT_EQ(got, V{});
    }
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(sampleTypes().size()));
  // Severity overrides move an EC2 finding between the rules.
  const std::string ssh = "UnauthorizedAccess:EC2/SSHBruteForce";
  for (auto [sev, rule] :
       std::initializer_list<std::pair<double, const char*>>{{8.0, "guardduty-ec2-high"},
                                                             {7.0, "guardduty-ec2-high"},
                                                             {6.9, "guardduty-ec2-medium"},
                                                             {4.0, "guardduty-ec2-medium"},
                                                             {3.9, "guardduty-low"},
                                                             {2.0, "guardduty-low"}}) {
    SampleOptions o = opts();
    o.severity = sev;
    auto f = sampleFinding(ssh, o);
    ASSERT_TRUE(f);
    EXPECT_EQ(fired(*f), V{rule}) << sev;
  }
}

// Whose key an AccessKey finding names: an IAM user's long-term key (AKIA…), root's, or — for
// credentials exfiltrated from an instance — the session of the instance profile's role
// (AssumedRole, ASIA…, principal "<role id>:<instance id>"), never an IAM user.
TEST(Samples, AccessKeyPrincipalsAreWhatGuardDutyReports) {
  int roles = 0;
  for (const auto& t : sampleTypes()) {
    if (t.resource_type != "AccessKey") continue;
    SCOPED_TRACE(t.type);
    auto f = sampleFinding(t.type, opts(3));
    ASSERT_TRUE(f);
    json::value v = *f;
    const std::string key = s(v, "resource.accessKeyDetails.accessKeyId");
    const std::string user_type = s(v, "resource.accessKeyDetails.userType");
    EXPECT_EQ(key.size(), 20u);
    if (t.type.find("InstanceCredentialExfiltration") != std::string::npos) {
      ++roles;
      EXPECT_EQ(user_type, "AssumedRole");
      EXPECT_EQ(key.rfind("ASIA", 0), 0u) << key;
      const std::string principal = s(v, "resource.accessKeyDetails.principalId");
      const std::string instance = s(v, "resource.instanceDetails.instanceId");
      ASSERT_FALSE(instance.empty());
      EXPECT_EQ(principal.rfind("AROA", 0), 0u) << principal;
      EXPECT_TRUE(principal.ends_with(":" + instance)) << principal;
      EXPECT_TRUE(s(v, "resource.accessKeyDetails.userName").ends_with("-instance-role"));
    } else if (t.type.find("RootCredential") != std::string::npos) {
      EXPECT_EQ(user_type, "Root");
    } else {
      EXPECT_EQ(user_type, "IAMUser");
      EXPECT_EQ(key.rfind("AKIA", 0), 0u) << key;
    }
  }
  EXPECT_EQ(roles, 2);  // InsideAWS and OutsideAWS
}

}  // namespace
}  // namespace riposte::sources
