// The guard rails in the engine loop (engine/guard.h): limits, the breaker and the scope
// checked before every destructive action, with fake actions, a real SQLite store and a
// manual clock. (The same against moto, through `riposte serve`, is
// tests/integration/test_limits.py.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "engine/engine.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

// A fake action: counts the calls that really act (not dry runs).
class Fake final : public actions::Action {
 public:
  Fake(std::string name, actions::Role role, std::atomic<int>& acted, std::atomic<int>& planned)
      : acted_(acted), planned_(planned) {
    d_.name = std::move(name);
    d_.description = "fake";
    d_.role = role;
    d_.targets = {{actions::TargetKind::kEc2Instance, "instanceId"}};
  }
  const actions::Descriptor& descriptor() const override { return d_; }
  Result<actions::ActionOutcome> run(const json::value& input,
                                     actions::ActionContext& ctx) const override {
    if (input.is_object() && input.as_object().contains("instanceId") &&
        input.at("instanceId") == "i-fail") {
      return fail("InvalidInstanceID.NotFound", "no such instance");
    }
    ++(ctx.dry_run ? planned_ : acted_);
    actions::ActionOutcome o;
    o.changed = !ctx.dry_run;
    o.output = json::object{{"input", input}, {"dryRun", ctx.dry_run}};
    o.summary = d_.name + (ctx.dry_run ? " planned" : " done");
    return o;
  }

 private:
  actions::Descriptor d_;
  std::atomic<int>& acted_;
  std::atomic<int>& planned_;
};

const char* kContain = R"({"StartAt":"Isolate","States":{
  "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
    "Parameters":{"instanceId.$":"$.detail.resource.instanceDetails.instanceId"},
    "ResultPath":"$.results.isolate","Next":"Notify"},
  "Notify":{"Type":"Task","Resource":"riposte:aws.sns.publish","Parameters":{},
    "ResultPath":"$.results.notify","End":true}}})";

std::string finding(const std::string& instance) {
  json::object d{{"schemaVersion", "2.0"},
                 {"accountId", "123456789012"},
                 {"region", "us-east-1"},
                 {"id", "f-" + instance},
                 {"type", "UnauthorizedAccess:EC2/SSHBruteForce"},
                 {"severity", 8},
                 {"title", "brute force"}};
  d["resource"] = json::object{{"resourceType", "Instance"},
                               {"instanceDetails", json::object{{"instanceId", instance}}}};
  return json::serialize(d);
}

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-guard-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }

  // `policies`: the JSON of one policies/*.yaml file.
  void open(const char* policies, std::optional<policy::OnLimit> rule_on_limit = std::nullopt,
            std::function<void(Config&)> tweak = nullptr) {
    Config c;
    c.approvals.groups["soc"] = {"alice", "bob"};
    Playbook pb;
    pb.name = "contain";
    pb.definition = *parseJson(kContain);
    pb.definition_json = kContain;
    c.playbooks["contain"] = pb;
    Rule high;
    high.name = "high";
    high.playbook = "contain";
    high.pattern_json = R"({"source":["aws.guardduty"]})";
    high.on_limit = rule_on_limit;
    c.rules = {high};
    auto v = parseJson(policies).value();
    std::vector<policy::Problem> problems;
    const auto& o = v.as_object();
    if (auto* l = o.if_contains("limits")) c.guard_rails.limits = policy::parseLimits(*l, problems);
    if (auto* b = o.if_contains("breaker"))
      c.guard_rails.breaker = policy::parseBreaker(*b, problems);
    if (auto* s = o.if_contains("scope")) c.guard_rails.scope = policy::parseScope(*s, problems);
    ASSERT_TRUE(problems.empty()) << problems[0].path << ": " << problems[0].message;
    if (tweak) tweak(c);
    engine_.reset();
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<Engine>(c, std::move(*store), nullptr, clock_, opt);
    actions::Registry reg;
    ASSERT_TRUE(reg.add(std::make_shared<Fake>("aws.ec2.isolateInstance", actions::Role::kContain,
                                               acted_, planned_)));
    ASSERT_TRUE(reg.add(
        std::make_shared<Fake>("aws.sns.publish", actions::Role::kNotify, notified_, notified_)));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
  }

  void burst(int n) {
    for (int i = 0; i < n; ++i) {
      auto evs = sources::parseEventsBody(finding("i-" + std::to_string(i)), clock_);
      ASSERT_TRUE(evs) << evs.error().str();
      ASSERT_TRUE(engine_->ingest(*evs, "test"));
    }
    ASSERT_TRUE(engine_->drain());
  }

  std::map<std::string, int> incidentStatuses() {
    std::map<std::string, int> out;
    auto list = engine_->store().listIncidents(1000, 0).value();
    for (const auto& i : list) ++out[i.status];
    return out;
  }

  std::vector<store::AuditRecord> audit(const std::string& kind) {
    std::vector<store::AuditRecord> out;
    auto all = engine_->store().readAudit(0, 100'000).value();
    for (const auto& a : all)
      if (a.kind == kind) out.push_back(a);
    return out;
  }

  fs::path dir_;
  ManualClock clock_{1'800'000'000'000};
  std::atomic<int> acted_{0}, planned_{0}, notified_{0};
  std::unique_ptr<Engine> engine_;
};

TEST_F(GuardTest, ABurstIsHeldAtTheLimitAndTheRestIsPlannedOnly) {
  open(R"({"limits":[{"name":"per-account","role":"contain","per":"account","max":5,
                      "window":"10m","on_limit":"dry_run"}],
           "breaker":{"threshold":10,"window":"10m","on_limit":"dry_run"}})");
  burst(40);
  EXPECT_EQ(acted_.load(), 5);
  EXPECT_EQ(planned_.load(), 35);
  auto statuses = incidentStatuses();
  EXPECT_EQ(statuses["contained"], 5);
  EXPECT_EQ(statuses["limited"], 35);
  // The breaker opened once, at the 11th execution, and stays open.
  EXPECT_EQ(audit("breaker.opened").size(), 1u);
  EXPECT_EQ(audit("limit.refused").size(), 35u);
  auto view = engine_->policyView().value();
  EXPECT_TRUE(view.at("breaker").at("open").as_bool());
  EXPECT_EQ(view.at("breaker").at("count").to_number<int64_t>(), 40);
  const auto& levels = view.at("limits").at(0).at("levels").as_array();
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].at("key").as_string(), "account=123456789012");
  EXPECT_EQ(levels[0].at("count").to_number<int64_t>(), 5);
  // Visible: the refused action's record says why, and its output tells the playbook.
  auto incs = engine_->store().listIncidents(1000, 0).value();
  bool seen = false;
  for (const auto& i : incs) {
    if (i.status != "limited") continue;
    auto acts = engine_->store().actionsForIncident(i.id).value();
    for (const auto& a : acts) {
      if (a.action != "aws.ec2.isolateInstance") continue;
      EXPECT_EQ(a.status, "dry_run");
      EXPECT_EQ(a.error_code, "riposte.LimitExceeded");
      EXPECT_NE(a.summary.find("not acted"), std::string::npos) << a.summary;
      EXPECT_NE(a.output.find("\"limited\""), std::string::npos) << a.output;
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
  std::string metrics = engine_->renderMetrics();
  EXPECT_NE(metrics.find("riposte_limit_breaker_open 1"), std::string::npos) << metrics;
  EXPECT_NE(
      metrics.find("riposte_limit_usage{limit=\"per-account\",key=\"account=123456789012\"} 5"),
      std::string::npos);

  // Closed by a person: audited, and the count starts again; the limit still holds.
  EXPECT_FALSE(engine_->closeBreaker("", "why"));
  auto closed = engine_->closeBreaker("alice", "reviewed: detector misfire").value();
  EXPECT_TRUE(closed.at("closed").as_bool());
  EXPECT_EQ(closed.at("breaker").at("closedBy").as_string(), "alice");
  EXPECT_EQ(audit("breaker.closed").size(), 1u);
  clock_.advance(std::chrono::minutes(11));  // the limit's window has passed
  acted_ = 0;
  for (int i = 100; i < 103; ++i) {
    auto evs = sources::parseEventsBody(finding("i-" + std::to_string(i)), clock_);
    ASSERT_TRUE(engine_->ingest(*evs, "test"));
  }
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 3);
}

TEST_F(GuardTest, TheRulesOnLimitFailsTheTaskWithLimitExceeded) {
  open(R"({"limits":[{"name":"one","action":"aws.ec2.isolateInstance","per":"global","max":1,
                      "window":"1h","on_limit":"dry_run"}]})",
       policy::OnLimit::kFail);
  burst(3);
  EXPECT_EQ(acted_.load(), 1);
  EXPECT_EQ(planned_.load(), 0);
  auto statuses = incidentStatuses();
  EXPECT_EQ(statuses["contained"], 1);
  EXPECT_EQ(statuses["failed"], 2);
  auto incs = engine_->store().listIncidents(10, 0).value();
  for (const auto& i : incs) {
    if (i.status != "failed") continue;
    auto x = engine_->store().executionsForIncident(i.id).value();
    ASSERT_EQ(x.size(), 1u);
    EXPECT_EQ(x[0].error, "riposte.LimitExceeded");
    EXPECT_NE(x[0].cause.find("limit 'one'"), std::string::npos) << x[0].cause;
  }
}

// The pending approval requests, oldest first.
json::array pendingOf(Engine& e) {
  return e.listApprovals("pending").value().at("approvals").as_array();
}

TEST_F(GuardTest, ApproveParksForAPersonThenActsOverTheLimit) {
  open(R"({"limits":[{"name":"none","role":"contain","per":"global","max":1,"window":"1h",
                      "on_limit":"approve"}]})");
  burst(2);
  EXPECT_EQ(acted_.load(), 1);
  EXPECT_EQ(planned_.load(), 0);  // not a dry run: it waits
  auto pending = pendingOf(*engine_);
  ASSERT_EQ(pending.size(), 1u);
  const auto& req = pending[0].as_object();
  EXPECT_EQ(req.at("approvers").as_array().size(), 2u);  // every group of approvals.groups
  EXPECT_EQ(req.at("plan").at("origin").as_string(), "on_limit");
  EXPECT_EQ(req.at("plan").at("action").as_string(), "aws.ec2.isolateInstance");
  EXPECT_NE(std::string(req.at("summary").as_string()).find("limit 'none'"), std::string::npos);
  const std::string id(req.at("approvalId").as_string());
  const std::string incident(req.at("incidentId").as_string());
  auto acts = engine_->store().actionsForIncident(incident).value();
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].status, "awaiting_approval");
  for (const auto& a : audit("action.finished"))  // a waiting attempt has not ended
    EXPECT_EQ(a.json.find(acts[0].id), std::string::npos) << a.json;
  // Nothing moves while nobody decides (another pass, an hour later but before the deadline).
  clock_.advance(std::chrono::minutes(30));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 1);
  ASSERT_TRUE(engine_->decideApproval(id, "approve", "", "alice"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 2);  // over the limit, as the person decided
  acts = engine_->store().actionsForIncident(incident).value();
  ASSERT_EQ(acts.size(), 2u);  // the same attempt's record (now acted), and the notification
  EXPECT_EQ(acts[0].status, "succeeded");
  EXPECT_NE(acts[0].summary.find("approved by a person over the limit"), std::string::npos)
      << acts[0].summary;
  EXPECT_EQ(engine_->store().getIncident(incident).value()->status, "contained");
}

TEST_F(GuardTest, ADeniedOverLimitActionEndsTheIncidentDenied) {
  open(R"({"limits":[{"name":"none","role":"contain","per":"global","max":1,"window":"1h",
                      "on_limit":"approve"}]})");
  burst(2);
  auto pending = pendingOf(*engine_);
  ASSERT_EQ(pending.size(), 1u);
  const std::string id(pending[0].at("approvalId").as_string());
  const std::string incident(pending[0].at("incidentId").as_string());
  ASSERT_TRUE(engine_->decideApproval(id, "deny", "a batch of forged findings", "bob"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 1);
  EXPECT_EQ(engine_->store().getIncident(incident).value()->status, "denied");
  auto x = engine_->store().executionsForIncident(incident).value();
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].error, "riposte.ApprovalDenied");
  EXPECT_NE(x[0].cause.find("a batch of forged findings"), std::string::npos) << x[0].cause;
}

// Two destructive steps, each with a Catch of everything: require_approval asks once, and a
// deny is caught by neither.
const char* kContainTwice = R"({"StartAt":"Isolate","States":{
  "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
    "Parameters":{"instanceId.$":"$.detail.resource.instanceDetails.instanceId"},
    "ResultPath":"$.results.isolate","Next":"Again",
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Notify"}]},
  "Again":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
    "Parameters":{"instanceId.$":"$.detail.resource.instanceDetails.instanceId"},
    "Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":3}],
    "ResultPath":"$.results.again","Next":"Notify",
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Notify"}]},
  "Notify":{"Type":"Task","Resource":"riposte:aws.sns.publish","Parameters":{},
    "ResultPath":"$.results.notify","End":true}}})";

void requireApproval(Config& c) {
  c.playbooks["contain"].definition = *parseJson(kContainTwice);
  c.playbooks["contain"].definition_json = kContainTwice;
  c.rules[0].require_approval = json::object{{"groups", json::array{"soc"}}, {"quorum", 2}};
}

TEST_F(GuardTest, RequireApprovalAsksOnceAnExecutionThenItsActionsAct) {
  open(R"({})", std::nullopt, requireApproval);
  burst(1);
  EXPECT_EQ(acted_.load(), 0);
  EXPECT_EQ(notified_.load(), 0);  // nothing after the gate ran
  auto pending = pendingOf(*engine_);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].at("plan").at("origin").as_string(), "require_approval");
  EXPECT_EQ(pending[0].at("plan").at("parameters").at("instanceId").as_string(), "i-0");
  EXPECT_EQ(pending[0].at("quorum").as_int64(), 2);
  const std::string id(pending[0].at("approvalId").as_string());
  ASSERT_TRUE(engine_->decideApproval(id, "approve", "", "alice"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 0);  // one of two
  ASSERT_TRUE(engine_->decideApproval(id, "approve", "", "bob"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 2);  // both steps: the second was approved by the first request
  EXPECT_EQ(notified_.load(), 1);
  EXPECT_TRUE(pendingOf(*engine_).empty());
  EXPECT_EQ(engine_->listApprovals("").value().at("approvals").as_array().size(), 1u);
  EXPECT_EQ(incidentStatuses()["contained"], 1);
}

TEST_F(GuardTest, RequireApprovalDenyIsCaughtByNothingAndStopsTheExecution) {
  open(R"({})", std::nullopt, requireApproval);
  burst(1);
  auto pending = pendingOf(*engine_);
  ASSERT_EQ(pending.size(), 1u);
  const std::string id(pending[0].at("approvalId").as_string());
  ASSERT_TRUE(engine_->decideApproval(id, "deny", "the build server", "bob"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 0);
  EXPECT_EQ(notified_.load(), 0);  // the Catch did not lead on to Notify
  EXPECT_EQ(incidentStatuses()["denied"], 1);
}

TEST_F(GuardTest, RequireApprovalTimeoutAppliesOnTimeout) {
  open(R"({})", std::nullopt, [](Config& c) {
    requireApproval(c);
    c.rules[0].require_approval = json::object{
        {"groups", json::array{"soc"}}, {"timeout_seconds", 60}, {"on_timeout", "approve"}};
  });
  burst(1);
  ASSERT_EQ(pendingOf(*engine_).size(), 1u);
  clock_.advance(std::chrono::seconds(61));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 2);
  EXPECT_EQ(incidentStatuses()["contained"], 1);
}

TEST_F(GuardTest, ADryRunNeverWaitsForApproval) {
  open(R"({})", std::nullopt, [](Config& c) {
    requireApproval(c);
    c.rules[0].dry_run = true;
  });
  burst(1);
  EXPECT_TRUE(pendingOf(*engine_).empty());
  EXPECT_EQ(planned_.load(), 2);
  EXPECT_EQ(acted_.load(), 0);
}

TEST_F(GuardTest, AnActionThatFailedGivesItsPlaceBack) {
  open(R"({"limits":[{"name":"two","role":"contain","per":"global","max":2,"window":"1h",
                      "on_limit":"fail"}]})");
  auto evs = sources::parseEventsBody(finding("i-fail"), clock_);
  ASSERT_TRUE(engine_->ingest(*evs, "test"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_TRUE(engine_->policyView().value().at("limits").at(0).at("levels").as_array().empty());
  burst(3);
  EXPECT_EQ(acted_.load(), 2);
  EXPECT_EQ(engine_->policyView()
                .value()
                .at("limits")
                .at(0)
                .at("levels")
                .at(0)
                .at("count")
                .to_number<int64_t>(),
            2);
}

TEST_F(GuardTest, ScopeFailsClosedWhenTagsCannotBeRead) {
  // No AWS client: the instance's tags cannot be read, and the scope lists tags.
  open(R"({"scope":{"deny":{"tags":{"riposte:scope":["exclude"]}}}})");
  burst(1);
  EXPECT_EQ(acted_.load(), 0);
  EXPECT_EQ(planned_.load(), 0);
  auto incs = engine_->store().listIncidents(10, 0).value();
  ASSERT_EQ(incs.size(), 1u);
  EXPECT_EQ(incs[0].status, "failed");
  auto x = engine_->store().executionsForIncident(incs[0].id).value();
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].error, "riposte.OutOfScope");
  EXPECT_NE(x[0].cause.find("cannot read the tags of i-0"), std::string::npos) << x[0].cause;
  EXPECT_NE(x[0].cause.find("not acting"), std::string::npos) << x[0].cause;
  EXPECT_NE(engine_->renderMetrics().find(
                "riposte_limit_scope_refused_total{action=\"aws.ec2.isolateInstance\"} 1"),
            std::string::npos);
}

TEST_F(GuardTest, AScopeOfAccountsAndRegionsNeedsNoRead) {
  open(R"({"scope":{"allow":{"regions":["eu-west-1"]}}})");
  burst(1);
  EXPECT_EQ(acted_.load(), 0);
  auto x = engine_->store()
               .executionsForIncident(engine_->store().listIncidents(1, 0).value()[0].id)
               .value();
  EXPECT_EQ(x[0].error, "riposte.OutOfScope");
  EXPECT_NE(x[0].cause.find("region us-east-1 is not in scope.allow.regions"), std::string::npos)
      << x[0].cause;
  open(R"({"scope":{"allow":{"regions":["us-east-1"],"accounts":["123456789012"]}}})");
  burst(1);  // the same finding again: attaches to its incident; a new one acts
  auto evs = sources::parseEventsBody(finding("i-new"), clock_);
  ASSERT_TRUE(engine_->ingest(*evs, "test"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(acted_.load(), 1);
}

TEST_F(GuardTest, ALimitNamingAnActionThatIsNotDestructiveKeepsTheConfigOut) {
  Config c;
  std::vector<policy::Problem> problems;
  c.guard_rails.limits = policy::parseLimits(
      *parseJson(R"([{"name":"n","action":"aws.sns.publish","per":"global","max":1,
                      "window":"1h","on_limit":"fail"}])"),
      problems);
  ASSERT_TRUE(problems.empty());
  auto store = store::openStore("sqlite::memory:");
  EngineOptions opt;
  opt.background = false;
  Engine e(c, std::move(*store), nullptr, clock_, opt);
  auto r = e.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("is not destructive"), std::string::npos) << r.error().message;
}

// One source of truth for the guard-rail metrics: every riposte_limit_* metric the Guard
// declares is in README's table, and every one README or the runbook names is declared.
TEST(GuardMetrics, TheReadmeNamesEveryLimitMetricAndNoOther) {
  Metrics m;
  Guard::declareMetrics(m);
  std::set<std::string> declared;
  const std::string text = m.render();
  const std::regex type_line(R"(# TYPE (riposte_limit_[a-z_]+) )");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), type_line);
       it != std::sregex_iterator(); ++it)
    declared.insert((*it)[1]);
  ASSERT_GE(declared.size(), 8u) << text;
  auto read = [](const std::string& rel) {
    std::ifstream in(std::string(RIPOSTE_SOURCE_DIR) + "/" + rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::regex named(R"(riposte_limit_[a-z_]*[a-z])");
  for (const char* doc : {"README.md", "docs/runbook.md"}) {
    // The runbook's Markdown escapes underscores.
    const std::string body = std::regex_replace(read(doc), std::regex(R"(\\_)"), "_");
    ASSERT_FALSE(body.empty()) << doc;
    std::set<std::string> mentioned;
    for (auto it = std::sregex_iterator(body.begin(), body.end(), named);
         it != std::sregex_iterator(); ++it) {
      mentioned.insert((*it)[0]);
    }
    for (const auto& n : mentioned) EXPECT_TRUE(declared.count(n)) << doc << " names " << n;
    if (std::string(doc) == "README.md") {
      for (const auto& n : declared)
        EXPECT_NE(body.find("| `" + n), std::string::npos) << "README's table lacks " << n;
    }
  }
}

}  // namespace
}  // namespace riposte::engine
