// `.waitForTaskToken` Tasks in the engine, with fake actions, a real SQLite store and a manual
// clock: an execution waiting for its token is parked in the store (no lease, no thread), the
// store maps the token's digest to it, SendTaskSuccess / Failure / Heartbeat are accepted into
// the store and applied exactly once (also across a restart), deadlines are the engine's timer,
// and the token is in no record, history event or timeline entry.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>

#include "asl/asl.h"
#include "engine/engine.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

// A fake action that remembers each input it was given (the token the playbook hands it).
class RecordingAction final : public actions::Action {
 public:
  RecordingAction(std::string name, actions::Role role) : name_(std::move(name)) {
    desc_.name = name_;
    desc_.description = "fake";
    desc_.role = role;
  }
  const actions::Descriptor& descriptor() const override { return desc_; }
  Result<actions::ActionOutcome> run(const json::value& input,
                                     actions::ActionContext& ctx) const override {
    {
      std::lock_guard lk(mu_);
      inputs_.push_back(input);
    }
    if (during) during(input);
    actions::ActionOutcome o;
    o.changed = true;
    o.before = json::object{{"seen", input}};
    o.after = json::object{{"ok", true}};
    o.output = json::object{{"sent", input}, {"dryRun", ctx.dry_run}};
    o.summary = name_ + " got " + json::serialize(input);
    return o;
  }
  std::vector<json::value> inputs() const {
    std::lock_guard lk(mu_);
    return inputs_;
  }
  std::function<void(const json::value&)> during;

 private:
  std::string name_;
  actions::Descriptor desc_;
  mutable std::mutex mu_;
  mutable std::vector<json::value> inputs_;
};

// Notify hands the token out (as an SNS message would); Isolate runs only when approved.
const char* kApproval = R"({"StartAt":"Ask","States":{
  "Ask":{"Type":"Task","Resource":"riposte:aws.sns.publish.waitForTaskToken",
    "Parameters":{"message":"approve?","token.$":"$$.Task.Token"},
    "TimeoutSeconds":3600,"HeartbeatSeconds":600,"ResultPath":"$.approval",
    "Catch":[{"ErrorEquals":["Denied"],"ResultPath":"$.denied","Next":"Record"},
             {"ErrorEquals":["States.HeartbeatTimeout"],"ResultPath":"$.silent","Next":"Record"},
             {"ErrorEquals":["States.Timeout"],"ResultPath":"$.late","Next":"Record"}],
    "Next":"Isolate"},
  "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
    "Parameters":{"by.$":"$.approval.by"},"ResultPath":"$.isolated","End":true},
  "Record":{"Type":"Pass","End":true}}})";

std::string finding(const std::string& id = "f-1") {
  json::object d{{"schemaVersion", "2.0"},
                 {"accountId", "123456789012"},
                 {"region", "us-east-1"},
                 {"id", id},
                 {"type", "UnauthorizedAccess:EC2/SSHBruteForce"},
                 {"severity", 8},
                 {"title", "brute force"}};
  d["resource"] = json::object{{"resourceType", "Instance"},
                               {"instanceDetails", json::object{{"instanceId", "i-" + id}}}};
  return json::serialize(d);
}

class TaskTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-tokens-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }

  // (Re)opens the engine on the same store: a restart.
  void open(const char* playbook = kApproval) {
    engine_.reset();
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    Config c;
    c.sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:alerts";
    Playbook pb;
    pb.name = "approve";
    pb.definition = *parseJson(playbook);
    pb.definition_json = playbook;
    c.playbooks["approve"] = pb;
    Rule high;
    high.name = "high";
    high.playbook = "approve";
    high.pattern_json = R"({"source":["aws.guardduty"]})";
    c.rules = {high};
    EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<Engine>(c, std::move(*store), nullptr, clock_, opt);
    notify_ = std::make_shared<RecordingAction>("aws.sns.publish", actions::Role::kNotify);
    isolate_ =
        std::make_shared<RecordingAction>("aws.ec2.isolateInstance", actions::Role::kContain);
    actions::Registry reg;
    ASSERT_TRUE(reg.add(notify_));
    ASSERT_TRUE(reg.add(isolate_));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
  }

  void send(const std::string& id = "f-1") {
    auto evs = sources::parseEventsBody(finding(id), clock_);
    ASSERT_TRUE(evs) << evs.error().str();
    ASSERT_TRUE(engine_->ingest(*evs, "test"));
  }

  // The token the last Ask handed out (the publish action's input).
  std::string lastToken() {
    auto in = notify_->inputs();
    if (in.empty()) return "";
    return std::string(in.back().at("token").as_string());
  }

  store::ExecutionRecord onlyExecution() {
    auto list = engine_->store().listIncidents(10, 0).value();
    EXPECT_EQ(list.size(), 1u);
    auto x = engine_->store().executionsForIncident(list.at(0).id).value();
    EXPECT_EQ(x.size(), 1u);
    return x.at(0);
  }

  std::vector<std::string> historyTypes(const std::string& exec) {
    std::vector<std::string> out;
    auto history = engine_->store().history(exec).value();
    for (const auto& h : history) out.push_back(h.type);
    return out;
  }

  // Everything riposte wrote about the execution, as text: records, history, audit, timeline.
  std::string everythingWritten() {
    std::string all;
    auto x = onlyExecution();
    all += x.snapshot + x.output + x.error + x.cause;
    auto history = engine_->store().history(x.id).value();
    for (const auto& h : history) all += h.details;
    auto acts = engine_->store().actionsForIncident(x.incident_id).value();
    for (const auto& a : acts)
      all += a.input + a.before + a.after + a.output + a.summary + a.error_message;
    auto audit = engine_->store().readAudit(0, 10'000).value();
    for (const auto& a : audit) all += a.json;
    all += json::serialize(*engine_->incident(x.incident_id));
    all += json::serialize(*engine_->execution(x.id));
    return all;
  }

  fs::path dir_;
  ManualClock clock_{1'800'000'000'000};
  std::shared_ptr<RecordingAction> notify_, isolate_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(TaskTokenTest, AWaitingExecutionIsParkedAndSendTaskSuccessLetsItContainOnce) {
  open();
  send();
  ASSERT_TRUE(engine_->drain());
  // Parked: the token went out, nothing was contained, the lease is given back and the timer
  // is the heartbeat deadline (the earlier of HeartbeatSeconds and TimeoutSeconds).
  std::string token = lastToken();
  ASSERT_EQ(token.size(), 43u);
  EXPECT_TRUE(isolate_->inputs().empty());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "RUNNING");
  EXPECT_EQ(x.lease_until_ms, 0);
  EXPECT_EQ(x.wake_ms, clock_.nowMillis() + 600'000);
  auto tokens = engine_->store().taskTokens(x.id).value();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].digest, asl::taskTokenDigest(token));
  EXPECT_EQ(tokens[0].status, "open");
  EXPECT_TRUE(tokens[0].started);
  EXPECT_EQ(tokens[0].state_name, "Ask");
  // Nothing more happens without a callback.
  ASSERT_TRUE(engine_->drain());
  EXPECT_TRUE(isolate_->inputs().empty());

  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(engine_->sendTaskSuccess(token, R"({"approved":true,"by":"alice"})"));
  // A second answer gets what Step Functions gives.
  auto again = engine_->sendTaskSuccess(token, "{}");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "TaskTimedOut");
  ASSERT_TRUE(engine_->drain());
  x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  ASSERT_EQ(isolate_->inputs().size(), 1u);
  EXPECT_EQ(isolate_->inputs()[0].at("by").as_string(), "alice");
  auto out = parseJson(x.output).value();
  EXPECT_EQ(out.at("approval").at("approved").as_bool(), true);
  auto types = historyTypes(x.id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "TaskSubmitted"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "TaskSucceeded"), 2);  // Ask, Isolate
  // The incident is contained, and its timeline says when the task waited and closed.
  auto inc = engine_->incident(x.incident_id).value();
  EXPECT_EQ(inc.at("status").as_string(), "contained");
  std::vector<std::string> kinds;
  for (const auto& e : inc.at("timeline").as_array()) kinds.emplace_back(e.at("kind").as_string());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "task_token"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "task_token_closed"), kinds.end());
  EXPECT_EQ(engine_->store().taskTokens(x.id).value()[0].status, "closed");
  // Late: the task is closed.
  auto late = engine_->sendTaskHeartbeat(token);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "TaskTimedOut");
  // The token is nowhere in what riposte wrote; its masked prefix is.
  std::string all = everythingWritten();
  EXPECT_EQ(all.find(token), std::string::npos);
  EXPECT_NE(all.find("sha256:" + asl::taskTokenDigest(token).substr(0, 12)), std::string::npos);
}

TEST_F(TaskTokenTest, SendTaskFailureIsCaughtByItsErrorName) {
  open();
  send();
  ASSERT_TRUE(engine_->drain());
  ASSERT_TRUE(engine_->sendTaskFailure(lastToken(), "Denied", "not this one"));
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  EXPECT_TRUE(isolate_->inputs().empty());
  auto out = parseJson(x.output).value();
  EXPECT_EQ(out.at("denied").at("Error").as_string(), "Denied");
  EXPECT_EQ(out.at("denied").at("Cause").as_string(), "not this one");
}

TEST_F(TaskTokenTest, HeartbeatsKeepItWaitingAndTheEngineTimerTimesItOut) {
  open();
  send();
  ASSERT_TRUE(engine_->drain());
  std::string token = lastToken();
  clock_.advance(std::chrono::seconds(500));
  ASSERT_TRUE(engine_->sendTaskHeartbeat(token));
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "RUNNING");
  EXPECT_EQ(x.wake_ms, clock_.nowMillis() + 600'000);  // the heartbeat moved the timer
  // Past the first heartbeat deadline but within the moved one: still waiting.
  clock_.advance(std::chrono::seconds(200));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().status, "RUNNING");
  // Silence for HeartbeatSeconds: States.HeartbeatTimeout, caught.
  clock_.advance(std::chrono::seconds(401));
  ASSERT_TRUE(engine_->drain());
  x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  auto out = parseJson(x.output).value();
  EXPECT_EQ(out.at("silent").at("Error").as_string(), "States.Timeout");
  EXPECT_TRUE(isolate_->inputs().empty());
  auto late = engine_->sendTaskSuccess(token, "{}");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "TaskTimedOut");
}

TEST_F(TaskTokenTest, ACallbackAcceptedBeforeARestartIsAppliedOnceAfterIt) {
  open();
  send();
  ASSERT_TRUE(engine_->drain());
  std::string token = lastToken();
  // A restart while parked loses nothing.
  open();
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().status, "RUNNING");
  ASSERT_TRUE(engine_->sendTaskSuccess(token, R"({"by":"bob"})"));
  // "kill -9" right after the callback was accepted, before any worker applied it.
  open();
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  ASSERT_EQ(isolate_->inputs().size(), 1u);
  EXPECT_EQ(isolate_->inputs()[0].at("by").as_string(), "bob");
  EXPECT_TRUE(engine_->store().taskCallbacks(x.id).value().empty());
  // Applied once: one Ask result in the history, and another restart changes nothing.
  open();
  ASSERT_TRUE(engine_->drain());
  auto types = historyTypes(x.id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "TaskSucceeded"), 2);
}

TEST_F(TaskTokenTest, ACallbackThatArrivesWhileItsTaskIsStillBeingStartedIsKept) {
  open();
  // The approver answers before the publish call has even returned (and before the step that
  // records it): the execution holds its lease then; the callback waits in the store.
  notify_->during = [&](const json::value& in) {
    auto r = engine_->sendTaskSuccess(std::string(in.at("token").as_string()), R"({"by":"eve"})");
    EXPECT_TRUE(r) << r.error().str();
  };
  send();
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  ASSERT_EQ(isolate_->inputs().size(), 1u);
  EXPECT_EQ(isolate_->inputs()[0].at("by").as_string(), "eve");
}

TEST_F(TaskTokenTest, BadCallbacksGetStepFunctionsErrorsAndChangeNothing) {
  open();
  send();
  ASSERT_TRUE(engine_->drain());
  std::string token = lastToken();
  auto r = engine_->sendTaskSuccess("not a token!", "{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidToken");
  r = engine_->sendTaskSuccess(std::string(43, 'A'), "{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "TaskDoesNotExist");
  r = engine_->sendTaskSuccess(token, "{not json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidOutput");
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().status, "RUNNING");
  EXPECT_TRUE(isolate_->inputs().empty());
  // The token still works.
  ASSERT_TRUE(engine_->sendTaskSuccess(token, R"({"by":"x"})"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().status, "SUCCEEDED");
}

TEST_F(TaskTokenTest, TheTimeoutSecondsDeadlineIsRaisedAsStatesTimeout) {
  const char* pb = R"({"StartAt":"Ask","States":{
    "Ask":{"Type":"Task","Resource":"riposte:aws.sns.publish.waitForTaskToken",
      "Parameters":{"token.$":"$$.Task.Token"},"TimeoutSeconds":60,
      "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.late","Next":"Done"}],
      "End":true},
    "Done":{"Type":"Pass","End":true}}})";
  open(pb);
  send();
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().wake_ms, clock_.nowMillis() + 60'000);
  clock_.advance(std::chrono::seconds(60));
  auto r = engine_->sendTaskSuccess(lastToken(), "{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "TaskTimedOut");
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  EXPECT_EQ(parseJson(x.output).value().at("late").at("Error").as_string(), "States.Timeout");
}

}  // namespace
}  // namespace riposte::engine
