// The HTTP API on an engine with a real SQLite store, called through Api::handle (no socket):
// POST /v1/reload's answers, and bare findings accepted by POST /v1/events.
#include "server/api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace riposte::server {
namespace {

namespace fs = std::filesystem;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    engine::EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<engine::Engine>(engine::Config{}, std::move(*store), nullptr,
                                               SystemClock::instance(), opt);
    ASSERT_TRUE(engine_->start());
    api_ = std::make_unique<Api>(*engine_);
  }
  void TearDown() override {
    api_.reset();
    engine_.reset();
    fs::remove_all(dir_);
  }

  HttpResponse post(const std::string& path, const std::string& body = "") {
    HttpRequest r;
    r.method = "POST";
    r.path = r.target = path;
    r.body = body;
    return api_->handle(r);
  }

  fs::path dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, ReloadWithoutAHookIsNotImplemented) {
  auto r = post("/v1/reload");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(parseJson(r.body)->at("error").as_string(), "NotImplemented");
}

TEST_F(ApiTest, ReloadAnswersWhatRunsOrEveryProblem) {
  ReloadReport next;
  api_->setReloadHook([&] { return next; });
  next.ok = true;
  next.running = json::object{{"rules", 5}};
  next.restarted = json::object{{"sinksStarted", json::array{"siem"}}};
  auto ok = post("/v1/reload");
  EXPECT_EQ(ok.status, 200);
  auto body = parseJson(ok.body);
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->at("reloaded").as_bool());
  EXPECT_EQ(body->at("running").at("rules").to_number<int64_t>(), 5);
  EXPECT_EQ(body->at("restarted").at("sinksStarted").as_array()[0].as_string(), "siem");

  next = ReloadReport{};
  next.problems = {"rules/a.yaml:3:7: error: event_pattern: Event pattern is not valid",
                   "riposte.yaml:1:1: error: store: changed from 'x' to 'y'"};
  next.running = json::object{{"rules", 4}};
  auto refused = post("/v1/reload");
  EXPECT_EQ(refused.status, 422);
  body = parseJson(refused.body);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->at("error").as_string(), "InvalidConfig");
  EXPECT_NE(std::string(body->at("message").as_string()).find("2 problems"), std::string::npos);
  const auto& problems = body->at("problems").as_array();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].as_string(), next.problems[0]);
  EXPECT_EQ(problems[1].as_string(), next.problems[1]);
  EXPECT_EQ(body->at("running").at("rules").to_number<int64_t>(), 4);
}

// A bare ASFF finding is accepted as the event Security Hub's EventBridge integration sends.
TEST_F(ApiTest, EventsAcceptsABareAsffFinding) {
  auto r = post("/v1/events", R"({"SchemaVersion":"2018-10-08","Id":"f-1",
    "ProductArn":"arn:aws:securityhub:us-east-1::product/aws/guardduty","GeneratorId":"g",
    "AwsAccountId":"123456789012","Region":"us-east-1","Types":["TTPs/x"],
    "CreatedAt":"2026-11-23T09:00:00Z","UpdatedAt":"2026-11-23T09:00:00Z",
    "Severity":{"Normalized":80},"Title":"t","Description":"d",
    "Resources":[{"Type":"AwsEc2Instance","Id":"i-1"}]})");
  ASSERT_EQ(r.status, 202) << r.body;
  auto body = parseJson(r.body);
  ASSERT_TRUE(body);
  std::string id(body->at("events").as_array()[0].at("eventId").as_string());
  auto ev = engine_->store().getEvent(id);
  ASSERT_TRUE(ev && *ev);
  EXPECT_EQ((*ev)->source, "aws.securityhub");
  EXPECT_EQ((*ev)->detail_type, "Security Hub Findings - Imported");
  EXPECT_EQ((*ev)->account, "123456789012");
}

}  // namespace
}  // namespace riposte::server
