#include "support/aws_fixtures.h"

#include <gtest/gtest.h>

namespace riposte::testing {
namespace {

const json::array& arr(const json::value& v, std::string_view key) {
  static const json::array kEmpty;
  if (!v.is_object()) return kEmpty;
  auto* m = v.as_object().if_contains(key);
  return (m && m->is_array()) ? m->as_array() : kEmpty;
}

std::string s(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  auto* m = v.as_object().if_contains(key);
  return (m && m->is_string()) ? std::string(m->as_string()) : std::string();
}

// IAM/SNS/SQS wrap results in <XResult>; members may be a single object or a list.
const json::value& resultOf(const json::value& v, const std::string& action) {
  static const json::value kNull;
  if (!v.is_object()) return kNull;
  auto* r = v.as_object().if_contains(action + "Result");
  return r ? *r : kNull;
}

}  // namespace

json::value AwsFixtures::query(const std::string& service, const std::string& action,
                               aws::Pairs params) {
  aws::Call c;
  c.service = service;
  c.region = region_;
  c.action = action;
  c.params = std::move(params);
  auto r = client_.queryJson(c);
  if (!r) {
    ADD_FAILURE() << service << " " << action << " failed: " << r.error().str();
    return nullptr;
  }
  return *r;
}

json::value AwsFixtures::rest(const std::string& service, const std::string& method,
                              const std::string& path, json::value body) {
  aws::Call c;
  c.service = service;
  c.region = region_;
  c.action = method + " " + path;
  c.method = method;
  c.path = path;
  c.body = std::move(body);
  auto r = client_.restJson(c);
  if (!r) {
    ADD_FAILURE() << service << " " << method << " " << path << " failed: " << r.error().str();
    return nullptr;
  }
  return *r;
}

std::string AwsFixtures::createVpc(const std::string& cidr) {
  auto r = query("ec2", "CreateVpc", {{"CidrBlock", cidr}});
  return r.is_object() ? s(r.at("vpc"), "vpcId") : "";
}

std::string AwsFixtures::createSubnet(const std::string& vpc_id, const std::string& cidr) {
  auto r = query("ec2", "CreateSubnet", {{"VpcId", vpc_id}, {"CidrBlock", cidr}});
  return r.is_object() ? s(r.at("subnet"), "subnetId") : "";
}

std::string AwsFixtures::createSecurityGroup(const std::string& vpc_id, const std::string& name) {
  auto r = query("ec2", "CreateSecurityGroup",
                 {{"GroupName", name}, {"GroupDescription", name + " (test)"}, {"VpcId", vpc_id}});
  return s(r, "groupId");
}

std::string AwsFixtures::runInstance(const std::string& subnet_id,
                                     const std::vector<std::string>& groups,
                                     const std::map<std::string, std::string>& tags,
                                     const std::string& instance_profile_arn) {
  aws::Pairs p = {{"ImageId", "ami-04681a1dbd79675a5"},
                  {"InstanceType", "t3.micro"},
                  {"MinCount", "1"},
                  {"MaxCount", "1"},
                  {"SubnetId", subnet_id},
                  {"BlockDeviceMapping.1.DeviceName", "/dev/xvda"},
                  {"BlockDeviceMapping.1.Ebs.VolumeSize", "8"}};
  for (size_t i = 0; i < groups.size(); ++i) {
    p.emplace_back("SecurityGroupId." + std::to_string(i + 1), groups[i]);
  }
  if (!instance_profile_arn.empty()) p.emplace_back("IamInstanceProfile.Arn", instance_profile_arn);
  if (!tags.empty()) {
    p.emplace_back("TagSpecification.1.ResourceType", "instance");
    int n = 1;
    for (const auto& [k, v] : tags) {
      p.emplace_back("TagSpecification.1.Tag." + std::to_string(n) + ".Key", k);
      p.emplace_back("TagSpecification.1.Tag." + std::to_string(n) + ".Value", v);
      ++n;
    }
  }
  auto r = query("ec2", "RunInstances", std::move(p));
  const auto& insts = arr(r, "instancesSet");
  return insts.empty() ? "" : s(insts[0], "instanceId");
}

Ec2Env AwsFixtures::makeEc2Env(const std::map<std::string, std::string>& instance_tags) {
  Ec2Env e;
  e.vpc_id = createVpc();
  e.subnet_id = createSubnet(e.vpc_id);
  e.sg_web = createSecurityGroup(e.vpc_id, "web-sg");
  e.sg_app = createSecurityGroup(e.vpc_id, "app-sg");
  e.instance_id = runInstance(e.subnet_id, {e.sg_web, e.sg_app}, instance_tags);
  return e;
}

json::value AwsFixtures::describeInstance(const std::string& instance_id) {
  auto r = query("ec2", "DescribeInstances", {{"InstanceId.1", instance_id}});
  for (const auto& res : arr(r, "reservationSet")) {
    for (const auto& i : arr(res, "instancesSet")) {
      if (s(i, "instanceId") == instance_id) return i;
    }
  }
  ADD_FAILURE() << "instance " << instance_id << " not found";
  return nullptr;
}

std::vector<std::string> AwsFixtures::instanceGroupIds(const std::string& instance_id) {
  std::vector<std::string> ids;
  const json::value inst = describeInstance(instance_id);
  for (const auto& g : arr(inst, "groupSet")) ids.push_back(s(g, "groupId"));
  return ids;
}

std::map<std::string, std::vector<std::string>> AwsFixtures::eniGroupIds(
    const std::string& instance_id) {
  std::map<std::string, std::vector<std::string>> out;
  const json::value inst = describeInstance(instance_id);
  for (const auto& eni : arr(inst, "networkInterfaceSet")) {
    auto& ids = out[s(eni, "networkInterfaceId")];
    for (const auto& g : arr(eni, "groupSet")) ids.push_back(s(g, "groupId"));
  }
  return out;
}

std::vector<std::string> AwsFixtures::enisInGroup(const std::string& group_id) {
  auto r = query("ec2", "DescribeNetworkInterfaces",
                 {{"Filter.1.Name", "group-id"}, {"Filter.1.Value.1", group_id}});
  std::vector<std::string> ids;
  for (const auto& e : arr(r, "networkInterfaceSet")) ids.push_back(s(e, "networkInterfaceId"));
  return ids;
}

std::map<std::string, std::string> AwsFixtures::instanceTags(const std::string& instance_id) {
  std::map<std::string, std::string> tags;
  const json::value inst = describeInstance(instance_id);
  for (const auto& t : arr(inst, "tagSet")) tags[s(t, "key")] = s(t, "value");
  return tags;
}

json::value AwsFixtures::describeSecurityGroup(const std::string& group_id) {
  auto r = query("ec2", "DescribeSecurityGroups", {{"GroupId.1", group_id}});
  const auto& groups = arr(r, "securityGroupInfo");
  if (groups.empty()) {
    ADD_FAILURE() << "security group " << group_id << " not found";
    return nullptr;
  }
  return groups[0];
}

std::vector<json::value> AwsFixtures::findSecurityGroups(const std::string& vpc_id,
                                                         const std::string& name) {
  auto r = query("ec2", "DescribeSecurityGroups",
                 {{"Filter.1.Name", "vpc-id"},
                  {"Filter.1.Value.1", vpc_id},
                  {"Filter.2.Name", "group-name"},
                  {"Filter.2.Value.1", name}});
  const auto& groups = arr(r, "securityGroupInfo");
  return {groups.begin(), groups.end()};
}

json::value AwsFixtures::naclOfSubnet(const std::string& subnet_id) {
  auto r = query("ec2", "DescribeNetworkAcls",
                 {{"Filter.1.Name", "association.subnet-id"}, {"Filter.1.Value.1", subnet_id}});
  const auto& acls = arr(r, "networkAclSet");
  if (acls.empty()) {
    ADD_FAILURE() << "no network ACL for subnet " << subnet_id;
    return nullptr;
  }
  return acls[0];
}

std::vector<json::value> AwsFixtures::volumesOf(const std::string& instance_id) {
  auto r = query("ec2", "DescribeVolumes",
                 {{"Filter.1.Name", "attachment.instance-id"}, {"Filter.1.Value.1", instance_id}});
  const auto& v = arr(r, "volumeSet");
  return {v.begin(), v.end()};
}

std::vector<json::value> AwsFixtures::snapshotsOfVolume(const std::string& volume_id) {
  auto r =
      query("ec2", "DescribeSnapshots",
            {{"Owner.1", "self"}, {"Filter.1.Name", "volume-id"}, {"Filter.1.Value.1", volume_id}});
  const auto& v = arr(r, "snapshotSet");
  return {v.begin(), v.end()};
}

std::string AwsFixtures::createTopic(const std::string& name) {
  aws::Pairs params{{"Name", name}};
  if (name.ends_with(".fifo")) {  // a FIFO topic (deduplicates by MessageDeduplicationId)
    params.emplace_back("Attributes.entry.1.key", "FifoTopic");
    params.emplace_back("Attributes.entry.1.value", "true");
  }
  auto r = query("sns", "CreateTopic", std::move(params));
  return s(resultOf(r, "CreateTopic"), "TopicArn");
}

std::string AwsFixtures::subscribeNewQueue(const std::string& topic_arn,
                                           const std::string& queue_name) {
  aws::Pairs params{{"QueueName", queue_name}};
  if (queue_name.ends_with(".fifo")) {
    params.emplace_back("Attribute.1.Name", "FifoQueue");
    params.emplace_back("Attribute.1.Value", "true");
  }
  auto q = query("sqs", "CreateQueue", std::move(params));
  std::string url = s(resultOf(q, "CreateQueue"), "QueueUrl");
  auto a = query("sqs", "GetQueueAttributes", {{"QueueUrl", url}, {"AttributeName.1", "QueueArn"}});
  std::string queue_arn;
  const json::value& res = resultOf(a, "GetQueueAttributes");
  if (res.is_object()) {
    const json::value* attr = res.as_object().if_contains("Attribute");
    if (attr && attr->is_object()) queue_arn = s(*attr, "Value");
    if (attr && attr->is_array()) {
      for (const auto& x : attr->as_array())
        if (s(x, "Name") == "QueueArn") queue_arn = s(x, "Value");
    }
  }
  if (queue_arn.empty()) ADD_FAILURE() << "no QueueArn for " << url;
  query("sns", "Subscribe",
        {{"TopicArn", topic_arn}, {"Protocol", "sqs"}, {"Endpoint", queue_arn}});
  return url;
}

std::vector<std::string> AwsFixtures::receiveMessages(const std::string& queue_url,
                                                      int wait_seconds) {
  auto r = query("sqs", "ReceiveMessage",
                 {{"QueueUrl", queue_url},
                  {"MaxNumberOfMessages", "10"},
                  {"WaitTimeSeconds", std::to_string(wait_seconds)}});
  std::vector<std::string> bodies;
  const json::value& res = resultOf(r, "ReceiveMessage");
  if (!res.is_object()) return bodies;
  const json::value* m = res.as_object().if_contains("Message");
  if (!m) return bodies;
  if (m->is_object()) bodies.push_back(s(*m, "Body"));
  if (m->is_array()) {
    for (const auto& x : m->as_array()) bodies.push_back(s(x, "Body"));
  }
  return bodies;
}

void AwsFixtures::enableSecurityHub() {
  rest("securityhub", "POST", "/accounts", json::object{{"EnableDefaultStandards", false}});
}

json::array AwsFixtures::getFindings() {
  json::array all;
  json::value token = nullptr;
  for (int page = 0; page < 100; ++page) {
    json::object body{{"MaxResults", 100}};
    if (token.is_string()) body["NextToken"] = token;
    auto r = rest("securityhub", "POST", "/findings", body);
    for (const auto& f : arr(r, "Findings")) all.push_back(f);
    token = r.is_object() && r.as_object().contains("NextToken") ? r.at("NextToken") : nullptr;
    if (!token.is_string() || token.as_string().empty()) break;
  }
  return all;
}

std::string AwsFixtures::createInstanceProfile(const std::string& name) {
  const std::string trust =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
  query("iam", "CreateRole", {{"RoleName", name + "-role"}, {"AssumeRolePolicyDocument", trust}});
  auto r = query("iam", "CreateInstanceProfile", {{"InstanceProfileName", name}});
  query("iam", "AddRoleToInstanceProfile",
        {{"InstanceProfileName", name}, {"RoleName", name + "-role"}});
  const json::value& res = resultOf(r, "CreateInstanceProfile");
  return res.is_object() ? s(res.at("InstanceProfile"), "Arn") : "";
}

std::string AwsFixtures::associatedProfileArn(const std::string& instance_id) {
  auto r = query("ec2", "DescribeIamInstanceProfileAssociations",
                 {{"Filter.1.Name", "instance-id"}, {"Filter.1.Value.1", instance_id}});
  for (const auto& a : arr(r, "iamInstanceProfileAssociationSet")) {
    if (s(a, "state") == "associated" || s(a, "state") == "associating") {
      return s(a.at("iamInstanceProfile"), "arn");
    }
  }
  return "";
}

bool AwsFixtures::terminationProtected(const std::string& instance_id) {
  auto r = query("ec2", "DescribeInstanceAttribute",
                 {{"InstanceId", instance_id}, {"Attribute", "disableApiTermination"}});
  return r.is_object() && r.as_object().contains("disableApiTermination") &&
         s(r.at("disableApiTermination"), "value") == "true";
}

std::string AwsFixtures::createUser(const std::string& name) {
  auto r = query("iam", "CreateUser", {{"UserName", name}});
  const json::value& res = resultOf(r, "CreateUser");
  return res.is_object() ? s(res.at("User"), "UserName") : "";
}

std::string AwsFixtures::createAccessKey(const std::string& user) {
  auto r = query("iam", "CreateAccessKey", {{"UserName", user}});
  const json::value& res = resultOf(r, "CreateAccessKey");
  return res.is_object() ? s(res.at("AccessKey"), "AccessKeyId") : "";
}

std::map<std::string, std::string> AwsFixtures::accessKeyStatuses(const std::string& user) {
  auto r = query("iam", "ListAccessKeys", {{"UserName", user}});
  std::map<std::string, std::string> out;
  const json::value& res = resultOf(r, "ListAccessKeys");
  for (const auto& k : arr(res, "AccessKeyMetadata")) {
    out[s(k, "AccessKeyId")] = s(k, "Status");
  }
  return out;
}

}  // namespace riposte::testing
