// Exactly-once notifications across a restart, against moto: the engine's action runner with
// the real aws.sns.publish, a SQLite store, and a "restarted" runner on the same file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/action_runner.h"
#include "support/aws_fixtures.h"
#include "support/moto_server.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;
using riposte::testing::AwsFixtures;

class ReplayMotoTest : public riposte::testing::MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    fx_ = std::make_unique<AwsFixtures>(client());
    db_ = fs::temp_directory_path() /
          ("riposte-replay-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    fs::remove(db_);
    auto s = openStore();
    store::IncidentRecord inc;
    inc.id = "inc-replay";
    inc.dedup_key = "123456789012/us-east-1/i-1/T";
    inc.created_ms = inc.updated_ms = clock_.nowMillis();
    ASSERT_TRUE(s->upsertIncident(inc, ""));
    store::ExecutionRecord x;
    x.id = "exec-replay";
    x.incident_id = "inc-replay";
    x.playbook = "contain";
    x.started_ms = clock_.nowMillis();
    ASSERT_TRUE(s->createExecution(x, {}));
  }
  void TearDown() override {
    fs::remove(db_);
    fs::remove(db_.string() + "-wal");
    fs::remove(db_.string() + "-shm");
  }
  std::unique_ptr<store::Store> openStore() {
    auto s = store::openStore("sqlite://" + db_.string());
    EXPECT_TRUE(s) << s.error().str();
    return s ? std::move(*s) : nullptr;
  }
  // One riposte process: its own store connection and runner.
  asl::TaskResult runNotify(store::Store& s, const std::string& topic) {
    ActionRunnerContext c;
    c.registry = &registry_;
    c.store = &s;
    c.aws = &client();
    c.clock = &clock_;
    c.incident_id = "inc-replay";
    c.execution_id = "exec-replay";
    c.account = "123456789012";
    c.region = "us-east-1";
    ActionRunner runner(c);
    asl::TaskRequest req;
    req.resource = "riposte:aws.sns.publish";
    req.state_name = "Notify";
    req.scheduled_event_id = 7;  // the same attempt, as a restored execution asks again
    req.parameters = json::object{{"topicArn", topic}, {"message", "instance contained"}};
    return runner.run(req);
  }
  // The message attributes of each notification a queue received.
  std::vector<json::value> notifications(const std::string& queue_url) {
    std::vector<json::value> out;
    for (const auto& body : fx_->receiveMessages(queue_url, 1)) {
      auto v = parseJson(body);
      EXPECT_TRUE(v) << body;
      if (v) out.push_back(*v);
    }
    return out;
  }
  // A crashed attempt: the message went out, the record still says "running".
  void crashDuringPublish(store::Store& s, const std::string& topic) {
    const std::string id = attemptActionId("exec-replay", "Notify", 7);
    store::ActionRecord rec;
    rec.id = id;
    rec.incident_id = "inc-replay";
    rec.execution_id = "exec-replay";
    rec.state_name = "Notify";
    rec.action = "aws.sns.publish";
    rec.status = "running";
    rec.started_ms = clock_.nowMillis();
    ASSERT_TRUE(s.insertAction(rec));
    actions::ActionContext ac;
    ac.incident_id = "inc-replay";
    ac.region = "us-east-1";
    ac.aws = &client();
    ac.action_id = id;
    auto sent = registry_.find("aws.sns.publish")
                    ->run(json::object{{"topicArn", topic}, {"message", "instance contained"}}, ac);
    ASSERT_TRUE(sent) << sent.error().str();
  }

  std::unique_ptr<AwsFixtures> fx_;
  fs::path db_;
  ManualClock clock_{1'800'000'000'000};
  actions::Registry registry_ = actions::Registry::builtins();
};

TEST_F(ReplayMotoTest, APublishRecordedBeforeACrashIsNotSentAgain) {
  const std::string topic = fx_->createTopic("alerts");
  const std::string queue = fx_->subscribeNewQueue(topic, "alerts-inbox");
  auto first_store = openStore();
  auto first = runNotify(*first_store, topic);
  ASSERT_TRUE(first.ok) << first.error << ": " << first.cause;
  first_store.reset();  // the process dies before its next step is persisted

  auto restarted = openStore();
  auto again = runNotify(*restarted, topic);  // the restored execution runs Notify again
  ASSERT_TRUE(again.ok) << again.error << ": " << again.cause;
  EXPECT_EQ(again.output, first.output);  // the recorded result, not a new message id

  auto got = notifications(queue);
  ASSERT_EQ(got.size(), 1u);  // exactly one message reached the subscriber
  EXPECT_EQ(got[0].at("Message").as_string(), "instance contained");
  // The dedup id receivers can use is the attempt's record id.
  EXPECT_EQ(got[0].at("MessageAttributes").at("riposte-dedup-id").at("Value").as_string(),
            attemptActionId("exec-replay", "Notify", 7));
  auto acts = restarted->actionsForIncident("inc-replay");
  ASSERT_TRUE(acts);
  ASSERT_EQ(acts->size(), 1u);
  EXPECT_EQ((*acts)[0].status, "succeeded");
}

TEST_F(ReplayMotoTest, AnInterruptedPublishToAFifoTopicIsDeliveredOnce) {
  const std::string topic = fx_->createTopic("alerts.fifo");
  const std::string queue = fx_->subscribeNewQueue(topic, "alerts-inbox.fifo");
  {
    auto s = openStore();
    crashDuringPublish(*s, topic);
  }
  auto restarted = openStore();
  auto again = runNotify(*restarted, topic);  // interrupted: sent again, same dedup id
  ASSERT_TRUE(again.ok) << again.error << ": " << again.cause;
  EXPECT_EQ(again.output.at("dedupId").as_string(), attemptActionId("exec-replay", "Notify", 7));
  // FIFO deduplication (MessageDeduplicationId = the record id) drops the repeat.
  auto got = notifications(queue);
  EXPECT_EQ(got.size(), 1u);
  auto acts = restarted->actionsForIncident("inc-replay");
  ASSERT_TRUE(acts);
  ASSERT_EQ(acts->size(), 1u);
  EXPECT_EQ((*acts)[0].status, "succeeded");
  EXPECT_NE((*acts)[0].summary.find("run again after an interrupted attempt"), std::string::npos);
}

TEST_F(ReplayMotoTest, AnInterruptedPublishToAStandardTopicCarriesOneDedupIdTwice) {
  // A standard topic cannot deduplicate: the repeat is delivered, and both copies carry the
  // same riposte-dedup-id for the receiver to drop the second (documented, at least once).
  const std::string topic = fx_->createTopic("alerts");
  const std::string queue = fx_->subscribeNewQueue(topic, "alerts-inbox");
  {
    auto s = openStore();
    crashDuringPublish(*s, topic);
  }
  auto restarted = openStore();
  auto again = runNotify(*restarted, topic);
  ASSERT_TRUE(again.ok) << again.error << ": " << again.cause;
  auto got = notifications(queue);
  ASSERT_EQ(got.size(), 2u);
  for (const auto& n : got) {
    EXPECT_EQ(n.at("MessageAttributes").at("riposte-dedup-id").at("Value").as_string(),
              attemptActionId("exec-replay", "Notify", 7));
  }
}

}  // namespace
}  // namespace riposte::engine
