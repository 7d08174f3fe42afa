// The sns notification sink against moto's SNS: a topic with an SQS queue subscribed; what the
// sink publishes for the subscribed events arrives in the queue, one message per record, with
// the ASCII subject SNS requires and the dedup id of the audit record.
#include <gtest/gtest.h>

#include "sinks/builtin.h"
#include "support/moto_server.h"

namespace riposte::sinks {
namespace {

class SnsSinkMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    aws_ = riposte::testing::makeMotoClient(moto());
    auto topic = aws_->query({.service = "sns",
                              .region = "us-east-1",
                              .action = "CreateTopic",
                              .params = {{"Name", "soc-alerts"}}});
    ASSERT_TRUE(topic) << topic.error().str();
    topic_ = topic->text("CreateTopicResult/TopicArn");
    auto q = aws_->query({.service = "sqs",
                          .region = "us-east-1",
                          .action = "CreateQueue",
                          .params = {{"QueueName", "soc-inbox"}}});
    ASSERT_TRUE(q) << q.error().str();
    queue_ = q->text("CreateQueueResult/QueueUrl");
    auto sub =
        aws_->query({.service = "sns",
                     .region = "us-east-1",
                     .action = "Subscribe",
                     .params = {{"TopicArn", topic_},
                                {"Protocol", "sqs"},
                                {"Endpoint", "arn:aws:sqs:us-east-1:123456789012:soc-inbox"}}});
    ASSERT_TRUE(sub) << sub.error().str();
  }

  // The SNS envelopes in the queue (Subject, Message, MessageAttributes).
  std::vector<json::object> received() {
    std::vector<json::object> out;
    for (int i = 0; i < 3; ++i) {
      auto r = aws_->query({.service = "sqs",
                            .region = "us-east-1",
                            .action = "ReceiveMessage",
                            .params = {{"QueueUrl", queue_}, {"MaxNumberOfMessages", "10"}}});
      if (!r) break;
      for (auto m : r->root().child("ReceiveMessageResult").children("Message"))
        if (auto env = parseJson(m.child("Body").text().get()); env && env->is_object())
          out.push_back(env->as_object());
    }
    return out;
  }

  std::shared_ptr<aws::Client> aws_;
  std::string topic_, queue_;
};

TEST_F(SnsSinkMotoTest, PublishesOneMessagePerSubscribedRecord) {
  SnsSinkConfig c;
  c.name = "on_failure";
  c.topic_arn = topic_;
  c.region = "us-east-1";
  c.events = {"failure"};
  auto sink = makeSnsSink(std::move(c), aws_, nullptr);
  std::vector<store::AuditRecord> batch{
      {1, 1'700'000'000'000, "execution.step",
       R"({"execution_id":"exe-1","incident_id":"inc-9","type":"ExecutionFailed",
           "details":{"error":"States.TaskFailed","cause":"Quarantäne\nfailed"}})"},
      {2, 1'700'000'000'001, "execution.step",
       R"({"execution_id":"exe-1","incident_id":"inc-9","type":"TaskSucceeded","details":{}})"},
      {3, 1'700'000'000'002, "approval.decided",
       R"({"approvalId":"apr-1","incident_id":"inc-9","status":"approved","decidedBy":"quorum"})"},
  };
  ASSERT_TRUE(sink->send(batch));
  auto got = received();
  ASSERT_EQ(got.size(), 1u);  // only the failure: approvals are not subscribed
  EXPECT_EQ(got[0].at("Subject").as_string(),
            "riposte: Response failed for incident inc-9: States.TaskFailed");
  const std::string msg(got[0].at("Message").as_string());
  EXPECT_NE(msg.find("Cause: Quarantäne failed"), std::string::npos) << msg;
  EXPECT_EQ(got[0].at("MessageAttributes").at("riposte-dedup-id").at("Value").as_string(),
            "riposte-audit-1");
  EXPECT_EQ(got[0].at("MessageAttributes").at("incidentId").at("Value").as_string(), "inc-9");
}

TEST_F(SnsSinkMotoTest, ATopicThatDoesNotExistIsRetriedNotLost) {
  SnsSinkConfig c;
  c.name = "on_failure";
  c.topic_arn = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
  c.region = "us-east-1";
  c.events = {"failure"};
  auto sink = makeSnsSink(std::move(c), aws_, nullptr);
  auto r = sink->send({{1, 1, "execution.step",
                        R"({"incident_id":"inc-1","type":"ExecutionFailed","details":{}})"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kSinkUnavailable);
  EXPECT_NE(r.error().message.find("no-such-topic"), std::string::npos);
}

}  // namespace
}  // namespace riposte::sinks
