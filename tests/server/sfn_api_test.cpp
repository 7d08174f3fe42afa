// The Step Functions-compatible callback endpoint (POST / with X-Amz-Target:
// AWSStepFunctions.SendTaskSuccess | SendTaskFailure | SendTaskHeartbeat, JSON 1.0) through
// Api::handle, on an engine with a real SQLite store and a fake publish action that hands out
// the token: request validation as the API reference states it, the error shapes, and a
// callback that lets the execution go on. The real AWS CLI against `riposte serve`:
// tests/integration/test_callbacks.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "server/api.h"

namespace riposte::server {
namespace {

namespace fs = std::filesystem;

class TokenOut final : public actions::Action {
 public:
  TokenOut() {
    desc_.name = "aws.sns.publish";
    desc_.description = "fake publish";
    desc_.role = actions::Role::kNotify;
  }
  const actions::Descriptor& descriptor() const override { return desc_; }
  Result<actions::ActionOutcome> run(const json::value& input,
                                     actions::ActionContext&) const override {
    std::lock_guard lk(mu_);
    token_ = std::string(input.at("token").as_string());
    actions::ActionOutcome o;
    o.output = json::object{};
    o.summary = "published";
    return o;
  }
  std::string token() const {
    std::lock_guard lk(mu_);
    return token_;
  }

 private:
  actions::Descriptor desc_;
  mutable std::mutex mu_;
  mutable std::string token_;
};

const char* kPlaybook = R"({"StartAt":"Ask","States":{
  "Ask":{"Type":"Task","Resource":"riposte:aws.sns.publish.waitForTaskToken",
    "Parameters":{"token.$":"$$.Task.Token"},"HeartbeatSeconds":3600,
    "Catch":[{"ErrorEquals":["Denied"],"Next":"Denied"}],"End":true},
  "Denied":{"Type":"Pass","End":true}}})";

class SfnApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-sfn-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    engine::Config c;
    engine::Playbook pb;
    pb.name = "ask";
    pb.definition = *parseJson(kPlaybook);
    pb.definition_json = kPlaybook;
    c.playbooks["ask"] = pb;
    engine::Rule rule;
    rule.name = "all";
    rule.playbook = "ask";
    rule.pattern_json = R"({"source":["aws.guardduty"]})";
    c.rules = {rule};
    engine::EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<engine::Engine>(c, std::move(*store), nullptr,
                                               SystemClock::instance(), opt);
    out_ = std::make_shared<TokenOut>();
    actions::Registry reg;
    ASSERT_TRUE(reg.add(out_));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
    api_ = std::make_unique<Api>(*engine_);
  }
  void TearDown() override {
    api_.reset();
    engine_.reset();
    fs::remove_all(dir_);
  }

  // Starts one execution and returns the token its Ask handed out.
  std::string waitingToken() {
    HttpRequest r;
    r.method = "POST";
    r.path = r.target = "/v1/events";
    r.body = R"({"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1",
      "id":"f-1","type":"Recon:EC2/PortProbeUnprotectedPort","severity":8,"title":"t",
      "resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1"}}})";
    EXPECT_EQ(api_->handle(r).status, 202);
    EXPECT_TRUE(engine_->drain());
    return out_->token();
  }

  HttpResponse call(const std::string& op, const json::value& body) {
    HttpRequest r;
    r.method = "POST";
    r.path = r.target = "/";
    r.headers["x-amz-target"] = "AWSStepFunctions." + op;
    r.headers["content-type"] = "application/x-amz-json-1.0";
    r.body = json::serialize(body);
    return api_->handle(r);
  }

  // A 400 Step Functions error of this type.
  static void expectError(const HttpResponse& r, const std::string& type) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.content_type, "application/x-amz-json-1.0");
    auto b = parseJson(r.body);
    ASSERT_TRUE(b && b->is_object()) << r.body;
    std::string t(b->at("__type").as_string());
    EXPECT_TRUE(t.ends_with("#" + type)) << t;
    EXPECT_FALSE(b->at("message").as_string().empty());
  }

  std::string status() {
    auto list = engine_->store().listIncidents(10, 0).value();
    auto x = engine_->store().executionsForIncident(list.at(0).id).value();
    return x.at(0).status;
  }

  fs::path dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<TokenOut> out_;
  std::unique_ptr<Api> api_;
};

TEST_F(SfnApiTest, SendTaskSuccessAnswersAnEmptyObjectAndTheExecutionGoesOn) {
  std::string token = waitingToken();
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(status(), "RUNNING");
  auto hb = call("SendTaskHeartbeat", json::object{{"taskToken", token}});
  EXPECT_EQ(hb.status, 200) << hb.body;
  auto r = call("SendTaskSuccess", json::object{{"taskToken", token}, {"output", R"({"ok":1})"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.content_type, "application/x-amz-json-1.0");
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(status(), "SUCCEEDED");
  expectError(call("SendTaskSuccess", json::object{{"taskToken", token}, {"output", "{}"}}),
              "TaskTimedOut");
}

TEST_F(SfnApiTest, SendTaskFailureTakesOptionalErrorAndCause) {
  std::string token = waitingToken();
  auto r = call("SendTaskFailure", json::object{{"taskToken", token}, {"error", "Denied"}});
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(status(), "SUCCEEDED");  // caught by Denied
}

TEST_F(SfnApiTest, RequestsAreCheckedAsTheApiReferenceStatesThem) {
  std::string token = waitingToken();
  expectError(call("SendTaskSuccess", json::object{{"output", "{}"}}), "ValidationException");
  expectError(call("SendTaskSuccess", json::object{{"taskToken", token}}), "ValidationException");
  expectError(call("SendTaskSuccess",
                   json::object{{"taskToken", std::string(2049, 'a')}, {"output", "{}"}}),
              "ValidationException");
  expectError(call("SendTaskSuccess", json::object{{"taskToken", ""}, {"output", "{}"}}),
              "ValidationException");
  expectError(
      call("SendTaskFailure", json::object{{"taskToken", token}, {"error", std::string(257, 'e')}}),
      "ValidationException");
  expectError(
      call("SendTaskSuccess", json::object{{"taskToken", token}, {"output", "{}"}, {"extra", 1}}),
      "SerializationException");
  expectError(call("SendTaskSuccess", json::object{{"taskToken", 5}, {"output", "{}"}}),
              "SerializationException");
  expectError(call("SendTaskSuccess", json::object{{"taskToken", token}, {"output", "{nope"}}),
              "InvalidOutput");
  expectError(call("SendTaskSuccess", json::object{{"taskToken", "bad token"}, {"output", "{}"}}),
              "InvalidToken");
  expectError(
      call("SendTaskSuccess", json::object{{"taskToken", std::string(43, 'Q')}, {"output", "{}"}}),
      "TaskDoesNotExist");
  expectError(call("StartExecution", json::object{}), "UnknownOperationException");
  HttpRequest raw;
  raw.method = "POST";
  raw.path = raw.target = "/";
  raw.headers["x-amz-target"] = "AWSStepFunctions.SendTaskHeartbeat";
  raw.body = "not json";
  expectError(api_->handle(raw), "SerializationException");
  // None of it touched the waiting task.
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(status(), "RUNNING");
  EXPECT_EQ(call("SendTaskSuccess", json::object{{"taskToken", token}, {"output", "{}"}}).status,
            200);
}

}  // namespace
}  // namespace riposte::server
