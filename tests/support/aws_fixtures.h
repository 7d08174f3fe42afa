#pragma once
// Creating AWS fixtures and observing effects through AWS API calls (to moto), for
// integration tests. Every helper records a gtest failure (ADD_FAILURE) with AWS's error when
// a call fails and returns an empty value, so tests can ASSERT on the result.

#include <map>
#include <string>
#include <vector>

#include "aws/client.h"
#include "core/json.h"

namespace riposte::testing {

// The environment of the walking skeleton: a VPC and subnet, two application security groups,
// one running instance in both.
struct Ec2Env {
  std::string vpc_id, subnet_id, sg_web, sg_app, instance_id;
};

class AwsFixtures {
 public:
  explicit AwsFixtures(aws::Client& client, std::string region = "us-east-1")
      : client_(client), region_(std::move(region)) {}

  // Raw calls (EC2/IAM/SNS/SQS Query → JSON; Security Hub REST-JSON).
  json::value query(const std::string& service, const std::string& action, aws::Pairs params = {});
  json::value rest(const std::string& service, const std::string& method, const std::string& path,
                   json::value body = nullptr);

  // EC2
  std::string createVpc(const std::string& cidr = "10.10.0.0/16");
  std::string createSubnet(const std::string& vpc_id, const std::string& cidr = "10.10.1.0/24");
  std::string createSecurityGroup(const std::string& vpc_id, const std::string& name);
  // An amzn2 instance in `subnet_id` with `groups` (and tags), root volume /dev/xvda.
  std::string runInstance(const std::string& subnet_id, const std::vector<std::string>& groups,
                          const std::map<std::string, std::string>& tags = {},
                          const std::string& instance_profile_arn = "");
  Ec2Env makeEc2Env(const std::map<std::string, std::string>& instance_tags = {});
  json::value describeInstance(const std::string& instance_id);  // the instance object
  std::vector<std::string> instanceGroupIds(const std::string& instance_id);
  // Every ENI of the instance with its groups as DescribeInstances shows them.
  std::map<std::string, std::vector<std::string>> eniGroupIds(const std::string& instance_id);
  // ENI ids whose OWN group list contains `group_id` (DescribeNetworkInterfaces group-id filter).
  std::vector<std::string> enisInGroup(const std::string& group_id);
  std::map<std::string, std::string> instanceTags(const std::string& instance_id);
  json::value describeSecurityGroup(const std::string& group_id);
  std::vector<json::value> findSecurityGroups(const std::string& vpc_id, const std::string& name);
  // The NACL associated with the subnet (networkAclId, entrySet, …).
  json::value naclOfSubnet(const std::string& subnet_id);
  std::vector<json::value> volumesOf(const std::string& instance_id);
  std::vector<json::value> snapshotsOfVolume(const std::string& volume_id);

  // SNS + SQS (a name ending in ".fifo" makes a FIFO topic / queue)
  std::string createTopic(const std::string& name);
  // A queue subscribed to the topic; returns the queue URL.
  std::string subscribeNewQueue(const std::string& topic_arn, const std::string& queue_name);
  // ReceiveMessage (up to 10, long poll `wait_seconds`) → the bodies.
  std::vector<std::string> receiveMessages(const std::string& queue_url, int wait_seconds = 1);

  // Security Hub
  void enableSecurityHub();
  json::array getFindings();  // all of them (moto ignores filters); follows NextToken

  // IAM
  // A role and an instance profile holding it; returns the profile ARN.
  std::string createInstanceProfile(const std::string& name);
  // DescribeIamInstanceProfileAssociations (associated) → profile ARN, "" when none.
  std::string associatedProfileArn(const std::string& instance_id);
  bool terminationProtected(const std::string& instance_id);
  std::string createUser(const std::string& name);
  std::string createAccessKey(const std::string& user);  // → AccessKeyId
  std::map<std::string, std::string> accessKeyStatuses(const std::string& user);

  aws::Client& client() { return client_; }
  const std::string& region() const { return region_; }

 private:
  aws::Client& client_;
  std::string region_;
};

}  // namespace riposte::testing
