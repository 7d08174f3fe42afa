// The AWS client against moto_server: every protocol, AWS errors, and moto verifying the
// SigV4 signatures (auth mode) as botocore computes them.
#include <gtest/gtest.h>

#include "support/aws_fixtures.h"
#include "support/moto_server.h"

namespace riposte::aws {
namespace {

using riposte::testing::AwsFixtures;

class MotoClientTest : public riposte::testing::MotoTest {};

TEST_F(MotoClientTest, QueryProtocolReadsEc2) {
  auto r = client().queryJson({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"});
  ASSERT_TRUE(r) << r.error().str();
  const auto& vpcs = r->at("vpcSet").as_array();
  ASSERT_FALSE(vpcs.empty());  // the default VPC
  EXPECT_EQ(vpcs[0].at("cidrBlock").as_string(), "172.31.0.0/16");
}

TEST_F(MotoClientTest, Ec2ErrorCarriesAwsCode) {
  auto r = client().query({.service = "ec2",
                           .region = "us-east-1",
                           .action = "DescribeInstances",
                           .params = {{"InstanceId.1", "i-0123456789abcdef0"}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInstanceID.NotFound");
  EXPECT_NE(r.error().message.find("i-0123456789abcdef0"), std::string::npos);
}

TEST_F(MotoClientTest, IamErrorCarriesAwsCode) {
  auto r = client().query({.service = "iam",
                           .region = "eu-west-1",
                           .action = "UpdateAccessKey",
                           .params = {{"AccessKeyId", "AKIANOPE"}, {"Status", "Inactive"}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "NoSuchEntity");
}

TEST_F(MotoClientTest, Json10SqsAndNamespacedError) {
  auto created = client().jsonRpc({.service = "sqs",
                                   .region = "us-east-1",
                                   .action = "AmazonSQS.CreateQueue",
                                   .body = {{"QueueName", "q1"}},
                                   .json_version = "1.0"});
  ASSERT_TRUE(created) << created.error().str();
  EXPECT_NE(std::string(created->at("QueueUrl").as_string()).find("/q1"), std::string::npos);
  auto missing = client().jsonRpc({.service = "sqs",
                                   .region = "us-east-1",
                                   .action = "AmazonSQS.GetQueueUrl",
                                   .body = {{"QueueName", "nope"}},
                                   .json_version = "1.0"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "QueueDoesNotExist");
}

TEST_F(MotoClientTest, Json11Wafv2) {
  auto r = client().jsonRpc({.service = "wafv2",
                             .region = "us-east-1",
                             .action = "AWSWAF_20190729.CreateIPSet",
                             .body = {{"Name", "blocklist"},
                                      {"Scope", "REGIONAL"},
                                      {"IPAddressVersion", "IPV4"},
                                      {"Addresses", json::array{"198.51.100.7/32"}}}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(r->at("Summary").at("Id").as_string().empty());
}

TEST_F(MotoClientTest, RestJsonSecurityHubAndGuardDutyErrors) {
  AwsFixtures fx(client());
  fx.enableSecurityHub();
  auto hub = client().restJson(
      {.service = "securityhub", .region = "us-east-1", .method = "GET", .path = "/accounts"});
  ASSERT_TRUE(hub) << hub.error().str();
  EXPECT_TRUE(hub->as_object().contains("HubArn"));
  auto det = client().restJson({.service = "guardduty",
                                .region = "us-east-1",
                                .method = "GET",
                                .path = "/detector/00000000000000000000000000000000"});
  ASSERT_FALSE(det);
  EXPECT_EQ(det.error().code, "BadRequestException");  // header wins, as in botocore
}

TEST_F(MotoClientTest, MotoVerifiesOurSignatures) {
  AwsFixtures fx(client());
  const std::string user = fx.createUser("signer");
  auto key = client().queryJson({.service = "iam",
                                 .region = "us-east-1",
                                 .action = "CreateAccessKey",
                                 .params = {{"UserName", user}}});
  ASSERT_TRUE(key) << key.error().str();
  const auto& ak = key->at("CreateAccessKeyResult").at("AccessKey");
  Credentials good{std::string(ak.at("AccessKeyId").as_string()),
                   std::string(ak.at("SecretAccessKey").as_string()), ""};
  auto policy = client().query(
      {.service = "iam",
       .region = "us-east-1",
       .action = "PutUserPolicy",
       .params = {
           {"UserName", user},
           {"PolicyName", "all"},
           {"PolicyDocument",
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"}}});
  ASSERT_TRUE(policy) << policy.error().str();

  ASSERT_TRUE(moto().setAuthRequired(true));
  struct AuthOff {
    riposte::testing::MotoServer& m;
    ~AuthOff() { (void)m.setAuthRequired(false); }
  } guard{moto()};

  auto make = [&](Credentials c) {
    RetryPolicy p;
    p.max_attempts = 1;
    Client cl(std::move(c), p);
    std::string ep = moto().endpoint();
    cl.setEndpointResolver([ep](std::string_view, std::string_view) { return ep; });
    return cl;
  };
  Client ok = make(good);
  auto ec2 = ok.query({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"});
  EXPECT_TRUE(ec2) << ec2.error().str();
  auto sh = ok.restJson({.service = "securityhub",
                         .region = "us-east-1",
                         .method = "POST",
                         .path = "/findings",
                         .body = {{"MaxResults", 10}}});
  EXPECT_TRUE(sh) << sh.error().str();
  auto sqs = ok.jsonRpc({.service = "sqs",
                         .region = "us-east-1",
                         .action = "AmazonSQS.ListQueues",
                         .json_version = "1.0"});
  EXPECT_TRUE(sqs) << sqs.error().str();

  Client bad = make(Credentials{good.access_key_id, "wrong-secret", ""});
  auto denied = bad.query({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, "AuthFailure");
  auto denied_iam = bad.query({.service = "iam", .region = "us-east-1", .action = "ListUsers"});
  ASSERT_FALSE(denied_iam);
  EXPECT_EQ(denied_iam.error().code, "SignatureDoesNotMatch");
}

}  // namespace
}  // namespace riposte::aws

#include "aws/sts.h"

namespace riposte::aws {
namespace {

TEST_F(MotoClientTest, AssumeRoleActsInTheOtherAccountAndRefreshesBeforeExpiry) {
  ManualClock clock(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
  AssumeRoleCache cache(client(), &clock);
  AssumeRoleRequest req;
  req.role_arn = "arn:aws:iam::222222222222:role/riposte-responder";
  auto other = cache.clientFor(req);
  ASSERT_TRUE(other) << other.error().str();
  auto first = (*other)->credentials();
  ASSERT_TRUE(first) << first.error().str();
  EXPECT_EQ(first->access_key_id.rfind("ASIA", 0), 0u);
  EXPECT_FALSE(first->session_token.empty());

  auto who =
      (*other)->query({.service = "sts", .region = "us-east-1", .action = "GetCallerIdentity"});
  ASSERT_TRUE(who) << who.error().str();
  EXPECT_EQ(who->text("GetCallerIdentityResult/Account"), "222222222222");

  // State is per account: a VPC created there is invisible from the base account.
  auto vpc = (*other)->queryJson({.service = "ec2",
                                  .region = "us-east-1",
                                  .action = "CreateVpc",
                                  .params = {{"CidrBlock", "10.77.0.0/16"}}});
  ASSERT_TRUE(vpc) << vpc.error().str();
  const std::string vpc_id(vpc->at("vpc").at("vpcId").as_string());
  auto seen = client().query({.service = "ec2",
                              .region = "us-east-1",
                              .action = "DescribeVpcs",
                              .params = {{"VpcId.1", vpc_id}}});
  ASSERT_FALSE(seen);
  EXPECT_EQ(seen.error().code, "InvalidVpcID.NotFound");

  // One client per role, kept; its credentials are assumed again less than 5 minutes
  // before they expire, by the next request, without a new client.
  auto again = cache.clientFor(req);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get(), other->get());
  EXPECT_EQ(cache.assumeCalls(), 1);
  clock.advance(std::chrono::minutes(50));
  ASSERT_TRUE(
      (*other)->query({.service = "sts", .region = "us-east-1", .action = "GetCallerIdentity"}));
  EXPECT_EQ(cache.assumeCalls(), 1);
  clock.advance(std::chrono::minutes(6));
  auto renewed_who =
      (*other)->query({.service = "sts", .region = "us-east-1", .action = "GetCallerIdentity"});
  ASSERT_TRUE(renewed_who) << renewed_who.error().str();
  EXPECT_EQ(renewed_who->text("GetCallerIdentityResult/Account"), "222222222222");
  EXPECT_EQ(cache.assumeCalls(), 2);
  auto renewed = (*other)->credentials();
  ASSERT_TRUE(renewed);
  EXPECT_NE(renewed->access_key_id, first->access_key_id);
  auto same = cache.clientFor(req);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->get(), other->get());
}

}  // namespace
}  // namespace riposte::aws
