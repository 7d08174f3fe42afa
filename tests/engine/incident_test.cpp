#include "engine/incident.h"

#include <gtest/gtest.h>

namespace riposte::engine {
namespace {

json::object parse(const char* s) {
  return parseJson(s)->as_object();
}

TEST(Incident, GuardDutyInstanceFinding) {
  auto ev = parse(R"({"id":"e1","source":"aws.guardduty","detail-type":"GuardDuty Finding",
    "account":"111","region":"us-east-1","detail":{"accountId":"222","region":"eu-west-1",
    "id":"f1","type":"Recon:EC2/PortProbeUnprotectedPort","severity":5,"title":"t",
    "resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-9"}},
    "service":{"action":{"portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":"203.0.113.9"}}]}}}}})");
  auto r = describeIncident(ev);
  EXPECT_EQ(r.account, "222");
  EXPECT_EQ(r.region, "eu-west-1");
  EXPECT_EQ(r.resource_type, "Instance");
  EXPECT_EQ(r.resource_id, "i-9");
  EXPECT_EQ(r.finding_id, "f1");
  EXPECT_EQ(r.severity, 5);
  EXPECT_EQ(r.dedup_key, "222/eu-west-1/i-9/f1");
  EXPECT_EQ(remoteIpOf(ev.at("detail").as_object()), "203.0.113.9");
}

TEST(Incident, AccessKeyAndSecurityHubAndGeneric) {
  auto key = describeIncident(parse(R"({"source":"aws.guardduty","detail":{"id":"f2",
    "type":"UnauthorizedAccess:IAMUser/MaliciousIPCaller","severity":8,
    "resource":{"resourceType":"AccessKey","accessKeyDetails":{"accessKeyId":"AKIAX"}}}})"));
  EXPECT_EQ(key.resource_id, "AKIAX");
  auto sh = describeIncident(parse(R"({"source":"aws.securityhub","id":"e3",
    "detail-type":"Security Hub Findings - Imported","detail":{"findings":[{"Id":"sh1",
    "AwsAccountId":"333","Region":"us-west-2","Types":["TTPs/x"],"Severity":{"Normalized":70},
    "Title":"T","Resources":[{"Type":"AwsEc2Instance","Id":"arn:aws:ec2:us-west-2:333:instance/i-1"}]}]}})"));
  EXPECT_EQ(sh.finding_id, "sh1");
  EXPECT_EQ(sh.severity, 7);
  EXPECT_EQ(sh.resource_id, "arn:aws:ec2:us-west-2:333:instance/i-1");
  auto gen = describeIncident(parse(R"({"id":"e4","source":"my.app","detail-type":"Alert",
    "resources":["arn:x"],"detail":{}})"));
  EXPECT_EQ(gen.resource_id, "arn:x");
  EXPECT_EQ(gen.finding_id, "e4");
  EXPECT_EQ(remoteIpOf(json::object{}), "");
}

// The resource is the one `resourceType` names, even when the finding describes others: an S3
// finding names the access key that made the call, a credential-exfiltration finding the
// instance whose role was used.
TEST(Incident, TheResourceIsTheOneResourceTypeNames) {
  const char* kAllDetails = R"("instanceDetails":{"instanceId":"i-0inst"},
    "accessKeyDetails":{"accessKeyId":"ASIAKEY","userType":"AssumedRole"},
    "s3BucketDetails":[{"name":"bkt","s3ObjectDetails":[{"key":"uploads/x.exe"}]}],
    "eksClusterDetails":{"name":"eks-1"},"ecsClusterDetails":{"name":"ecs-1"},
    "containerDetails":{"id":"c0ffee"},"lambdaDetails":{"functionName":"fn-1"},
    "rdsDbInstanceDetails":{"dbInstanceIdentifier":"db-1"},
    "rdsLimitlessDbDetails":{"dbShardGroupIdentifier":"shards-1"},
    "ebsVolumeDetails":{"scannedVolumeDetails":[
      {"volumeArn":"arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"}]})";
  const std::vector<std::pair<std::string, std::string>> kWant = {
      {"Instance", "i-0inst"},           {"AccessKey", "ASIAKEY"}, {"S3Bucket", "bkt"},
      {"S3Object", "bkt/uploads/x.exe"}, {"EKSCluster", "eks-1"},  {"ECSCluster", "ecs-1"},
      {"Container", "c0ffee"},           {"Lambda", "fn-1"},       {"RDSDBInstance", "db-1"},
      {"RDSLimitlessDB", "shards-1"},    {"EBSVolume", "vol-0abc"}};
  for (const auto& [type, id] : kWant) {
    SCOPED_TRACE(type);
    std::string ev = R"({"source":"aws.guardduty","account":"123456789012","region":"us-east-1",
      "detail":{"id":"f9","type":"t","severity":8,"resource":{"resourceType":")" +
                     type + "\"," + kAllDetails + "}}}";
    auto r = describeIncident(parseJson(ev)->as_object());
    EXPECT_EQ(r.resource_type, type);
    EXPECT_EQ(r.resource_id, id);
    EXPECT_EQ(r.dedup_key, "123456789012/us-east-1/" + id + "/f9");
  }
  // A type riposte does not know, or a known one without its detail: the event's resources,
  // never another detail's id.
  auto other = describeIncident(parse(R"({"source":"aws.guardduty","resources":["arn:r"],
    "detail":{"id":"f1","resource":{"resourceType":"Bedrock",
    "instanceDetails":{"instanceId":"i-0inst"}}}})"));
  EXPECT_EQ(other.resource_id, "arn:r");
  auto missing = describeIncident(parse(R"({"source":"aws.guardduty",
    "detail":{"id":"f1","resource":{"resourceType":"S3Bucket",
    "accessKeyDetails":{"accessKeyId":"AKIAX"}}}})"));
  EXPECT_EQ(missing.resource_id, "aws.guardduty");
}

}  // namespace
}  // namespace riposte::engine
