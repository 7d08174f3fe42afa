// aws/arn.h: the one reading of an SNS topic ARN (sns sinks, aws.sns.publish).
#include "aws/arn.h"

#include <gtest/gtest.h>

namespace riposte::aws {
namespace {

TEST(Arn, SnsTopics) {
  auto t = parseSnsTopicArn("arn:aws:sns:eu-west-1:123456789012:alerts");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->partition, "aws");
  EXPECT_EQ(t->region, "eu-west-1");
  EXPECT_EQ(t->account, "123456789012");
  EXPECT_EQ(t->name, "alerts");
  EXPECT_FALSE(t->fifo);
  EXPECT_TRUE(parseSnsTopicArn("arn:aws-us-gov:sns:us-gov-west-1:1:a.fifo")->fifo);
  EXPECT_FALSE(parseSnsTopicArn("arn:aws:sns:us-east-1:1:.fifo")->fifo);
  for (const char* bad : {"", "alerts", "arn:aws:sqs:us-east-1:1:q", "arn:aws:sns::1:a",
                          "arn:aws:sns:us-east-1:1:", "arn:aws:sns:us-east-1:1:a:b",
                          "arn::sns:us-east-1:1:a", "aws:sns:us-east-1:1:a:x"})
    EXPECT_FALSE(parseSnsTopicArn(bad)) << bad;
}

}  // namespace
}  // namespace riposte::aws
