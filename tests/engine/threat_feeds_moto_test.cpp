// engine/threat_feeds.h with an S3 list, against moto: the object read with a SigV4 GET, read
// again with If-None-Match (moto answers 304 while the object is unchanged), a changed object
// read anew, a missing object or bucket keeping the last good copy.
#include <gtest/gtest.h>

#include "aws/s3.h"
#include "engine/threat_feeds.h"
#include "support/aws_fixtures.h"
#include "support/moto_server.h"

namespace riposte::engine {
namespace {

class ThreatFeedsMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    ThreatFeeds::declareMetrics(metrics_);
    s3_ = riposte::testing::makeMotoClient(moto());
  }
  ManualClock clock_;
  Metrics metrics_;
  std::shared_ptr<aws::Client> s3_;
};

TEST_F(ThreatFeedsMotoTest, S3ListIsReadThenConfirmedWith304ThenReadAgainWhenChanged) {
  ASSERT_TRUE(aws::s3CreateBucket(*s3_, "us-east-1", "secops-lists"));
  auto put = aws::s3PutObject(*s3_, "us-east-1", "secops-lists", "intel/tor exits.txt",
                              "# tor\n198.51.100.7\n203.0.113.0/24\n");
  ASSERT_TRUE(put) << put.error().str();

  ThreatFeeds feeds(clock_, metrics_);
  policy::ThreatIntelConfig cfg;
  policy::ThreatListConfig l;
  l.name = "tor-exits";
  l.verdict = policy::Verdict::kMalicious;
  l.source = *policy::parseListSource("s3://secops-lists/intel/tor exits.txt");
  l.refresh_ms = 600'000;
  cfg.lists.push_back(l);
  feeds.configure("/nonexistent", cfg, "us-east-1", s3_);

  ASSERT_EQ(feeds.refresh(), 1);
  auto st = feeds.status()[0];
  ASSERT_EQ(st.last_result, "ok") << st.last_error;
  EXPECT_EQ(st.entries, 2u);
  EXPECT_EQ(st.etag, *put);
  EXPECT_FALSE(st.last_modified.empty());
  EXPECT_EQ(feeds.intel()->lookup(*policy::IpAddress::make("203.0.113.9")).malicious,
            std::vector<std::string>{"tor-exits"});

  clock_.advance(std::chrono::minutes(10));
  ASSERT_EQ(feeds.refresh(), 1);
  st = feeds.status()[0];
  EXPECT_EQ(st.last_result, "not_modified") << st.last_error;
  EXPECT_EQ(st.entries, 2u);

  ASSERT_TRUE(
      aws::s3PutObject(*s3_, "us-east-1", "secops-lists", "intel/tor exits.txt", "192.0.2.1\n"));
  clock_.advance(std::chrono::minutes(10));
  ASSERT_EQ(feeds.refresh(), 1);
  st = feeds.status()[0];
  EXPECT_EQ(st.last_result, "ok") << st.last_error;
  EXPECT_EQ(st.entries, 1u);
  EXPECT_TRUE(feeds.intel()->lookup(*policy::IpAddress::make("203.0.113.9")).empty());
  EXPECT_EQ(feeds.intel()->lookup(*policy::IpAddress::make("192.0.2.1")).malicious,
            std::vector<std::string>{"tor-exits"});

  // The object is deleted: S3 says NoSuchKey; the copy in use stays.
  aws::Call del;
  del.service = "s3";
  del.region = "us-east-1";
  del.action = "DeleteObject";
  ASSERT_TRUE(s3_->send(del, "DELETE", "/secops-lists/intel/tor%20exits.txt", {}, "", "",
                        {{"x-amz-content-sha256", aws::sha256Hex("")}}));
  clock_.advance(std::chrono::minutes(10));
  ASSERT_EQ(feeds.refresh(), 1);
  st = feeds.status()[0];
  EXPECT_EQ(st.last_result, "failed");
  EXPECT_NE(st.last_error.find("NoSuchKey"), std::string::npos) << st.last_error;
  EXPECT_EQ(feeds.intel()->lookup(*policy::IpAddress::make("192.0.2.1")).malicious,
            std::vector<std::string>{"tor-exits"});
  EXPECT_NE(
      metrics_.render().find("riposte_threat_list_fetch_failures_total{list=\"tor-exits\"} 1"),
      std::string::npos);
}

TEST_F(ThreatFeedsMotoTest, TheGetIsSignedAsS3WantsItWithMotoVerifyingSignatures) {
  // moto checks the SigV4 signature of every request while auth is on. (Its check rebuilds the
  // path of a key that needs percent-encoding its own way and refuses it; the canonical path
  // S3 signs — the wire path, encoded once, as botocore's S3SigV4Auth makes it — is checked
  // in tests/aws/sigv4_test.cpp. Keys with spaces are read above with auth off.)
  ASSERT_TRUE(aws::s3CreateBucket(*s3_, "us-east-1", "signed-lists"));
  ASSERT_TRUE(
      aws::s3PutObject(*s3_, "us-east-1", "signed-lists", "lists/tor.txt", "198.51.100.7\n"));
  riposte::testing::AwsFixtures fx(*s3_);
  const std::string user = fx.createUser("list-reader");
  auto key = s3_->queryJson({.service = "iam",
                             .region = "us-east-1",
                             .action = "CreateAccessKey",
                             .params = {{"UserName", user}}});
  ASSERT_TRUE(key) << key.error().str();
  const auto& ak = key->at("CreateAccessKeyResult").at("AccessKey");
  aws::Credentials good{std::string(ak.at("AccessKeyId").as_string()),
                        std::string(ak.at("SecretAccessKey").as_string()), ""};
  ASSERT_TRUE(s3_->queryJson(
      {.service = "iam",
       .region = "us-east-1",
       .action = "PutUserPolicy",
       .params = {
           {"UserName", user},
           {"PolicyName", "read"},
           {"PolicyDocument",
            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]})"}}}));
  ASSERT_TRUE(moto().setAuthRequired(true));
  struct AuthOff {
    riposte::testing::MotoServer& m;
    ~AuthOff() { (void)m.setAuthRequired(false); }
  } guard{moto()};
  auto got = aws::s3GetObject(*s3_->withCredentials(good),
                              {"us-east-1", "signed-lists", "lists/tor.txt", "", ""});
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_EQ(got->body, "198.51.100.7\n");
  auto bad = aws::s3GetObject(*s3_->withCredentials({good.access_key_id, "wrong", ""}),
                              {"us-east-1", "signed-lists", "lists/tor.txt", "", ""});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "SignatureDoesNotMatch");
}

}  // namespace
}  // namespace riposte::engine
