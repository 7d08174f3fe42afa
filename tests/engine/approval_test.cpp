// The approval gate in the engine (engine/approvals.h), with fake actions, a real SQLite store
// and a manual clock: a `riposte:approval` Task parks its execution (no lease, no thread), the
// quorum's approvals let it contain, a deny ends the incident `denied` with the reason, the
// deadline applies on_timeout, a restart loses nothing, and everything is in the audit log and
// the incident's timeline.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "engine/engine.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

class FakeIsolate final : public actions::Action {
 public:
  FakeIsolate() {
    desc_.name = "aws.ec2.isolateInstance";
    desc_.description = "fake";
    desc_.role = actions::Role::kContain;
  }
  const actions::Descriptor& descriptor() const override { return desc_; }
  Result<actions::ActionOutcome> run(const json::value& input,
                                     actions::ActionContext&) const override {
    std::lock_guard lk(mu_);
    inputs_.push_back(input);
    actions::ActionOutcome o;
    o.changed = true;
    o.output = json::object{{"isolated", true}};
    o.summary = "isolated";
    return o;
  }
  std::vector<json::value> inputs() const {
    std::lock_guard lk(mu_);
    return inputs_;
  }

 private:
  actions::Descriptor desc_;
  mutable std::mutex mu_;
  mutable std::vector<json::value> inputs_;
};

std::string playbook(const std::string& params) {
  return R"({"StartAt":"Approve","States":{
  "Approve":{"Type":"Task","Resource":"riposte:approval","Parameters":)" +
         params + R"(,"ResultPath":"$.approval","Next":"Isolate"},
  "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
    "Parameters":{"by.$":"$.approval.approvers"},"ResultPath":"$.isolated","End":true}}})";
}

std::string finding() {
  json::object d{{"schemaVersion", "2.0"},
                 {"accountId", "123456789012"},
                 {"region", "us-east-1"},
                 {"id", "f-1"},
                 {"type", "UnauthorizedAccess:EC2/SSHBruteForce"},
                 {"severity", 8},
                 {"title", "brute force"}};
  d["resource"] = json::object{{"resourceType", "Instance"},
                               {"instanceDetails", json::object{{"instanceId", "i-1"}}}};
  return json::serialize(d);
}

class ApprovalGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-approval-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }

  void open(const std::string& params) {
    engine_.reset();
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    Config c;
    c.approvals.groups["soc"] = {"alice", "bob"};
    c.approvals.groups["leads"] = {"carol"};
    c.approvals.default_timeout_ms = 3'600'000;
    Playbook pb;
    pb.name = "gated";
    pb.definition_json = playbook(params);
    pb.definition = *parseJson(pb.definition_json);
    c.playbooks["gated"] = pb;
    Rule r;
    r.name = "high";
    r.playbook = "gated";
    r.pattern_json = R"({"source":["aws.guardduty"]})";
    c.rules = {r};
    EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<Engine>(c, std::move(*store), nullptr, clock_, opt);
    if (!isolate_) isolate_ = std::make_shared<FakeIsolate>();
    actions::Registry reg;
    ASSERT_TRUE(reg.add(isolate_));
    ASSERT_TRUE(reg.add(actions::makeApproval()));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
  }

  void send() {
    auto evs = sources::parseEventsBody(finding(), clock_);
    ASSERT_TRUE(evs) << evs.error().str();
    ASSERT_TRUE(engine_->ingest(*evs, "test"));
    ASSERT_TRUE(engine_->drain());
  }

  store::ExecutionRecord onlyExecution() {
    auto list = engine_->store().listIncidents(10, 0).value();
    EXPECT_EQ(list.size(), 1u);
    return engine_->store().executionsForIncident(list.at(0).id).value().at(0);
  }

  std::string pendingId() {
    auto l = engine_->listApprovals("pending").value().at("approvals").as_array();
    EXPECT_EQ(l.size(), 1u);
    return l.empty() ? "" : std::string(l[0].at("approvalId").as_string());
  }

  std::vector<std::string> auditKinds() {
    std::vector<std::string> out;
    auto audit = engine_->store().readAudit(0, 10'000).value();
    for (const auto& a : audit)
      if (a.kind.rfind("approval.", 0) == 0) out.push_back(a.kind);
    return out;
  }

  std::vector<std::string> timelineKinds(const std::string& incident) {
    std::vector<std::string> out;
    json::value inc = engine_->incident(incident).value();
    for (const auto& e : inc.at("timeline").as_array()) out.emplace_back(e.at("kind").as_string());
    return out;
  }

  fs::path dir_;
  ManualClock clock_{1'800'000'000'000};
  std::shared_ptr<FakeIsolate> isolate_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(ApprovalGateTest, ParksUntilTheQuorumApprovesThenContains) {
  open(R"({"groups":["soc","leads"],"quorum":2,"summary":"isolate i-1"})");
  send();
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "RUNNING");
  EXPECT_EQ(x.lease_until_ms, 0);                        // parked: no lease held
  EXPECT_EQ(x.wake_ms, clock_.nowMillis() + 3'600'000);  // woken at the deadline
  EXPECT_TRUE(isolate_->inputs().empty());
  const std::string id = pendingId();
  auto view = engine_->approval(id).value();
  EXPECT_EQ(view.at("approvers"), (json::array{"alice", "bob", "carol"}));
  EXPECT_EQ(view.at("quorum").as_int64(), 2);
  EXPECT_EQ(view.at("summary").as_string(), "isolate i-1");
  EXPECT_EQ(view.at("state").as_string(), "Approve");
  EXPECT_EQ(view.as_object().count("token_digest"), 0u);
  // The plan: what the approval lets run.
  const auto& plan = view.at("plan");
  EXPECT_EQ(plan.at("origin").as_string(), "riposte:approval");
  ASSERT_EQ(plan.at("next").as_array().size(), 1u);
  EXPECT_EQ(plan.at("next").at(0).at("state").as_string(), "Isolate");
  EXPECT_EQ(plan.at("next").at(0).at("action").as_string(), "aws.ec2.isolateInstance");
  EXPECT_EQ(plan.at("next").at(0).at("role").as_string(), "contain");

  // Refused votes change nothing.
  EXPECT_EQ(engine_->decideApproval(id, "approve", "", "mallory").error().code, "NotAnApprover");
  clock_.advance(std::chrono::seconds(10));
  ASSERT_TRUE(engine_->decideApproval(id, "approve", "", "alice"));
  EXPECT_EQ(engine_->decideApproval(id, "approve", "", "alice").error().code, "AlreadyVoted");
  EXPECT_EQ(engine_->decideApproval(id, "deny", " ", "bob").error().code, "ReasonRequired");
  ASSERT_TRUE(engine_->drain());
  EXPECT_TRUE(isolate_->inputs().empty());  // one of two
  EXPECT_EQ(onlyExecution().status, "RUNNING");

  auto decided = engine_->decideApproval(id, "approve", "", "carol");
  ASSERT_TRUE(decided) << decided.error().str();
  EXPECT_EQ(decided->at("status").as_string(), "approved");
  ASSERT_TRUE(engine_->drain());
  x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  ASSERT_EQ(isolate_->inputs().size(), 1u);
  EXPECT_EQ(isolate_->inputs()[0].at("by"), (json::array{"alice", "carol"}));
  auto out = parseJson(x.output).value();
  EXPECT_TRUE(out.at("approval").at("approved").as_bool());
  EXPECT_EQ(engine_->incident(x.incident_id).value().at("status").as_string(), "contained");
  EXPECT_EQ(auditKinds(),
            (std::vector<std::string>{"approval.requested", "approval.vote", "approval.decided"}));
  auto kinds = timelineKinds(x.incident_id);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "approval_requested"), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "approval_vote"), 2);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "approval_decided"), 1);
  EXPECT_TRUE(engine_->listApprovals("pending").value().at("approvals").as_array().empty());
  EXPECT_EQ(engine_->listApprovals("decided").value().at("approvals").as_array().size(), 1u);
  EXPECT_TRUE(engine_->approval(id).value().at("delivered").as_bool());
  EXPECT_EQ(engine_->decideApproval(id, "deny", "late", "bob").error().code, "ApprovalDecided");
}

TEST_F(ApprovalGateTest, ADenyEndsTheIncidentDeniedWithTheReason) {
  open(R"({"groups":["soc"]})");
  send();
  const std::string id = pendingId();
  ASSERT_TRUE(engine_->decideApproval(id, "deny", "it is the build server", "bob"));
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "FAILED");
  EXPECT_EQ(x.error, "riposte.ApprovalDenied");
  EXPECT_NE(x.cause.find("denied by bob: it is the build server"), std::string::npos) << x.cause;
  EXPECT_TRUE(isolate_->inputs().empty());
  EXPECT_EQ(engine_->incident(x.incident_id).value().at("status").as_string(), "denied");
}

TEST_F(ApprovalGateTest, TheDeadlineDeniesByDefault) {
  open(R"({"groups":["soc"],"timeout_seconds":60})");
  send();
  clock_.advance(std::chrono::seconds(59));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().status, "RUNNING");
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "FAILED");
  EXPECT_EQ(x.error, "riposte.ApprovalDenied");
  EXPECT_NE(x.cause.find("on_timeout deny"), std::string::npos) << x.cause;
  EXPECT_TRUE(isolate_->inputs().empty());
  EXPECT_EQ(engine_->incident(x.incident_id).value().at("status").as_string(), "denied");
}

TEST_F(ApprovalGateTest, TheDeadlineApprovesWhenOnTimeoutSaysSo) {
  open(R"({"groups":["soc"],"timeout_seconds":60,"on_timeout":"approve"})");
  send();
  clock_.advance(std::chrono::seconds(61));
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  EXPECT_EQ(isolate_->inputs().size(), 1u);
  EXPECT_EQ(parseJson(x.output).value().at("approval").at("decidedBy").as_string(), "timeout");
}

TEST_F(ApprovalGateTest, ARestartWhileParkedLosesNothing) {
  const char* params = R"({"groups":["soc"],"quorum":2})";
  open(params);
  send();
  const std::string id = pendingId();
  ASSERT_TRUE(engine_->decideApproval(id, "approve", "", "alice"));
  open(params);  // restart on the same store
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().status, "RUNNING");
  EXPECT_EQ(engine_->decideApproval(id, "approve", "", "alice").error().code, "AlreadyVoted");
  ASSERT_TRUE(engine_->decideApproval(id, "approve", "", "bob"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyExecution().status, "SUCCEEDED");
  EXPECT_EQ(isolate_->inputs().size(), 1u);
  EXPECT_EQ(engine_->listApprovals("").value().at("approvals").as_array().size(), 1u);
}

TEST_F(ApprovalGateTest, BadParametersFailTheTaskNamingThem) {
  open(R"({"groups":["nobody"]})");
  send();
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "FAILED");
  EXPECT_EQ(x.error, "InvalidInput");
  EXPECT_NE(x.cause.find("no approver group 'nobody'"), std::string::npos) << x.cause;
  EXPECT_TRUE(engine_->listApprovals("").value().at("approvals").as_array().empty());
}

}  // namespace
}  // namespace riposte::engine
