// The engine loop with fake actions, a real SQLite store and a manual clock: durable inbox,
// correlation, one execution per incident, durable timers, resume after a restart.
#include "engine/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "engine/action_runner.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;

#define RIPOSTE_CRASH_CHECK \
  if (dead) return fail("StoreUnavailable", "the process is dead (simulated kill -9)")

// A fake containment action: counts calls, reports a change the first time only.
class FakeAction final : public actions::Action {
 public:
  FakeAction(std::string name, std::atomic<int>& calls, bool fail = false)
      : name_(std::move(name)), calls_(calls), fail_(fail) {
    desc_.name = name_;
    desc_.description = "fake";
    // The engine reads what an action's success means from its role.
    desc_.role = name_ == "aws.sns.publish" ? actions::Role::kNotify : actions::Role::kContain;
  }
  const actions::Descriptor& descriptor() const override { return desc_; }
  Result<actions::ActionOutcome> run(const json::value& input,
                                     actions::ActionContext& ctx) const override {
    int n = ++calls_;
    if (seen_ids_) seen_ids_->push_back(ctx.action_id);
    if (during_) during_(n);  // e.g. the process "dies" in the middle of the call
    if (fail_ || (fail_first_ > 0 && n <= fail_first_))
      return fail("InvalidInstanceID.NotFound", "The instance ID does not exist");
    actions::ActionOutcome o;
    o.changed = n == 1;
    o.before = json::object{{"groups", json::array{"sg-a"}}};
    o.after = json::object{{"groups", json::array{"sg-q"}}};
    o.output =
        json::object{{"input", input}, {"incident", ctx.incident_id}, {"dryRun", ctx.dry_run}};
    o.summary = name_ + " done";
    return o;
  }

  // Test knobs (set before the engine starts).
  void setReplay(actions::Replay r) { desc_.replay = r; }
  std::function<void(int call)> during_;
  std::vector<std::string>* seen_ids_ = nullptr;
  int fail_first_ = 0;  // the first n calls fail

 private:
  std::string name_;
  actions::Descriptor desc_;
  std::atomic<int>& calls_;
  bool fail_;
};

// The SQLite store with a switch that makes every write fail from a chosen moment on: what a
// kill -9 leaves behind (everything written before that moment, nothing after): `dead` set
// inside an action's call (killed during the AWS call), or by `crash_when` at the interpreter
// step that would record a Task's result (killed right after the action and its record).
class CrashingStore final : public store::Store {
 public:
  explicit CrashingStore(std::unique_ptr<store::Store> inner) : s_(std::move(inner)) {}
  std::atomic<bool> dead{false};
  // Decides, per interpreter step about to be persisted, whether the process dies right then.
  std::function<bool(const std::vector<store::HistoryRecord>&)> crash_when;

  Result<void> migrate() override { return s_->migrate(); }
  Result<void> ping() override { return s_->ping(); }
  Result<std::vector<bool>> insertEvents(const std::vector<store::EventRecord>& e) override {
    RIPOSTE_CRASH_CHECK;
    return s_->insertEvents(e);
  }
  Result<std::optional<store::EventRecord>> getEvent(const std::string& id) override {
    return s_->getEvent(id);
  }
  Result<std::vector<store::EventRecord>> pendingEvents(int limit) override {
    return s_->pendingEvents(limit);
  }
  Result<void> markEvent(const std::string& id, const std::string& status,
                         const std::vector<std::string>& rules, const std::string& err,
                         Flush flush) override {
    RIPOSTE_CRASH_CHECK;
    return s_->markEvent(id, status, rules, err, flush);
  }
  Result<void> markEventSuppressed(const std::string& id, const std::string& suppression,
                                   const std::vector<std::string>& rules, Flush flush) override {
    RIPOSTE_CRASH_CHECK;
    return s_->markEventSuppressed(id, suppression, rules, flush);
  }
  Result<int64_t> countEvents() override { return s_->countEvents(); }
  Result<Upserted> upsertIncident(const store::IncidentRecord& r, const std::string& e,
                                  Flush flush) override {
    RIPOSTE_CRASH_CHECK;
    return s_->upsertIncident(r, e, flush);
  }
  Result<std::optional<store::IncidentRecord>> getIncident(const std::string& id) override {
    return s_->getIncident(id);
  }
  Result<std::vector<store::IncidentRecord>> listIncidents(int limit, int offset) override {
    return s_->listIncidents(limit, offset);
  }
  Result<void> setIncidentStatus(const std::string& id, const std::string& status, int64_t now,
                                 Flush flush, const StatusCause& why) override {
    RIPOSTE_CRASH_CHECK;
    return s_->setIncidentStatus(id, status, now, flush, why);
  }
  Result<std::vector<std::string>> incidentEvents(const std::string& id) override {
    return s_->incidentEvents(id);
  }
  Result<void> createExecution(const store::ExecutionRecord& r,
                               const std::vector<store::HistoryRecord>& h, Flush flush) override {
    RIPOSTE_CRASH_CHECK;
    return s_->createExecution(r, h, flush);
  }
  Result<std::optional<store::ExecutionRecord>> getExecution(const std::string& id) override {
    return s_->getExecution(id);
  }
  Result<std::vector<store::ExecutionRecord>> executionsForIncident(
      const std::string& id) override {
    return s_->executionsForIncident(id);
  }
  Result<void> recordStep(const store::ExecutionRecord& r,
                          const std::vector<store::HistoryRecord>& h) override {
    if (crash_when && crash_when(h)) dead = true;
    RIPOSTE_CRASH_CHECK;
    return s_->recordStep(r, h);
  }
  // A batch is written as a whole or not at all: the crash comes before it when any of its
  // steps would have triggered it.
  Result<std::vector<Result<void>>> recordSteps(const std::vector<StepRef>& steps) override {
    for (const auto& st : steps)
      if (crash_when && crash_when(*st.events)) dead = true;
    RIPOSTE_CRASH_CHECK;
    return s_->recordSteps(steps);
  }
  Result<std::vector<store::HistoryRecord>> history(const std::string& id) override {
    return s_->history(id);
  }
  Result<std::optional<std::string>> snapshotBlob(const std::string& execution_id,
                                                  const std::string& id) override {
    return s_->snapshotBlob(execution_id, id);
  }
  Result<std::vector<store::ExecutionRecord>> claimRunnable(const std::string& owner, int64_t now,
                                                            int64_t lease, int limit) override {
    RIPOSTE_CRASH_CHECK;
    return s_->claimRunnable(owner, now, lease, limit);
  }
  Result<int64_t> releaseLeases(const std::string& owner) override {
    RIPOSTE_CRASH_CHECK;
    return s_->releaseLeases(owner);
  }
  Result<std::optional<int64_t>> nextWake() override { return s_->nextWake(); }
  Result<std::vector<std::pair<std::string, int64_t>>> executionCounts() override {
    return s_->executionCounts();
  }
  Result<std::vector<std::pair<std::string, int64_t>>> incidentCounts() override {
    return s_->incidentCounts();
  }
  Result<void> insertAction(const store::ActionRecord& r) override {
    RIPOSTE_CRASH_CHECK;
    return s_->insertAction(r);
  }
  Result<void> updateAction(const store::ActionRecord& r) override {
    RIPOSTE_CRASH_CHECK;
    return s_->updateAction(r);
  }
  Result<std::optional<store::ActionRecord>> getAction(const std::string& id) override {
    return s_->getAction(id);
  }
  Result<std::vector<store::ActionRecord>> actionsForIncident(const std::string& id) override {
    return s_->actionsForIncident(id);
  }
  Result<std::vector<store::ActionRecord>> actionsWithStatus(const std::vector<std::string>& a,
                                                             const std::string& st) override {
    return s_->actionsWithStatus(a, st);
  }
  Result<void> insertSuppression(const store::SuppressionRecord& rec,
                                 const std::string& reason) override {
    RIPOSTE_CRASH_CHECK;
    return s_->insertSuppression(rec, reason);
  }
  Result<void> deleteSuppression(const std::string& name, const std::string& by,
                                 const std::string& reason, int64_t now_ms) override {
    RIPOSTE_CRASH_CHECK;
    return s_->deleteSuppression(name, by, reason, now_ms);
  }
  Result<bool> insertApproval(const store::ApprovalRecord& rec,
                              const std::string& audit_json) override {
    return s_->insertApproval(rec, audit_json);
  }
  Result<std::optional<store::ApprovalRecord>> getApproval(const std::string& id) override {
    return s_->getApproval(id);
  }
  Result<std::vector<store::ApprovalRecord>> listApprovals(const std::string& id) override {
    return s_->listApprovals(id);
  }
  Result<void> updateApproval(const store::ApprovalRecord& rec, int64_t time_ms,
                              const std::string& kind, const std::string& audit_json) override {
    return s_->updateApproval(rec, time_ms, kind, audit_json);
  }
  Result<std::vector<store::SuppressionRecord>> listSuppressions() override {
    return s_->listSuppressions();
  }
  Result<int64_t> suppressionsVersion() override { return s_->suppressionsVersion(); }
  Result<std::vector<store::AuditRecord>> readAudit(int64_t after, int limit) override {
    return s_->readAudit(after, limit);
  }
  Result<int64_t> auditHead() override { return s_->auditHead(); }
  Result<int64_t> sinkCursor(const std::string& sink) override { return s_->sinkCursor(sink); }
  Result<void> setSinkCursor(const std::string& sink, int64_t seq) override {
    RIPOSTE_CRASH_CHECK;
    return s_->setSinkCursor(sink, seq);
  }
  Result<std::optional<int64_t>> sinkCursorIfSet(const std::string& sink) override {
    RIPOSTE_CRASH_CHECK;
    return s_->sinkCursorIfSet(sink);
  }
  Result<bool> claimSinkLease(const std::string& sink, const std::string& owner, int64_t now_ms,
                              int64_t lease_ms) override {
    RIPOSTE_CRASH_CHECK;
    return s_->claimSinkLease(sink, owner, now_ms, lease_ms);
  }
  Result<void> putThreatListCopy(const store::ThreatListCopy& copy) override {
    RIPOSTE_CRASH_CHECK;
    return s_->putThreatListCopy(copy);
  }
  Result<void> touchThreatListCopy(const std::string& list, const std::string& fetch_key,
                                   int64_t fetched_ms) override {
    RIPOSTE_CRASH_CHECK;
    return s_->touchThreatListCopy(list, fetch_key, fetched_ms);
  }
  Result<std::optional<store::ThreatListCopy>> getThreatListCopy(const std::string& list) override {
    RIPOSTE_CRASH_CHECK;
    return s_->getThreatListCopy(list);
  }
  Result<store::LimitGrant> reserveLimits(const store::LimitRequest& req) override {
    RIPOSTE_CRASH_CHECK;
    return s_->reserveLimits(req);
  }
  Result<int64_t> releaseLimits(const std::string& action_id) override {
    RIPOSTE_CRASH_CHECK;
    return s_->releaseLimits(action_id);
  }
  Result<std::vector<std::pair<std::string, int64_t>>> limitUsage(const std::string& limit,
                                                                  int64_t window_ms,
                                                                  int64_t now_ms) override {
    return s_->limitUsage(limit, window_ms, now_ms);
  }
  Result<store::BreakerState> breakerState() override { return s_->breakerState(); }
  Result<int64_t> breakerCount(int64_t window_ms, int64_t now_ms) override {
    return s_->breakerCount(window_ms, now_ms);
  }
  Result<bool> closeBreaker(const std::string& by, const std::string& reason,
                            int64_t now_ms) override {
    RIPOSTE_CRASH_CHECK;
    return s_->closeBreaker(by, reason, now_ms);
  }
  Result<store::TaskCallbackRecord> acceptTaskCallback(
      const store::TaskCallbackRecord& cb) override {
    RIPOSTE_CRASH_CHECK;
    return s_->acceptTaskCallback(cb);
  }
  Result<std::vector<store::TaskCallbackRecord>> taskCallbacks(const std::string& id) override {
    return s_->taskCallbacks(id);
  }
  Result<std::vector<store::TaskTokenRecord>> taskTokens(const std::string& id) override {
    return s_->taskTokens(id);
  }

 private:
  std::unique_ptr<store::Store> s_;
};

const char* kContain = R"({"StartAt":"Isolate","States":{
  "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
    "Parameters":{"instanceId.$":"$.detail.resource.instanceDetails.instanceId"},
    "ResultPath":"$.results.isolate","Next":"Notify"},
  "Notify":{"Type":"Task","Resource":"riposte:aws.sns.publish",
    "Parameters":{"topicArn.$":"$.riposte.notify.snsTopicArn"},
    "ResultPath":"$.results.notify","OutputPath":"$.results","End":true}}})";

const char* kWaiting = R"({"StartAt":"Hold","States":{
  "Hold":{"Type":"Wait","Seconds":3600,"Next":"Isolate"},
  "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance","End":true}}})";

std::string finding(double severity, const std::string& instance, const std::string& id = "f-1") {
  json::object d{{"schemaVersion", "2.0"},
                 {"accountId", "123456789012"},
                 {"region", "us-east-1"},
                 {"id", id},
                 {"type", "UnauthorizedAccess:EC2/SSHBruteForce"},
                 {"severity", severity},
                 {"title", "brute force"}};
  d["resource"] = json::object{{"resourceType", "Instance"},
                               {"instanceDetails", json::object{{"instanceId", instance}}}};
  return json::serialize(d);
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-engine-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }

  Config config(const char* playbook) {
    Config c;
    c.sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:alerts";
    Playbook pb;
    pb.name = "contain";
    pb.definition = *parseJson(playbook);
    pb.definition_json = playbook;
    pb.dry_run = playbook_dry_run_;
    c.playbooks["contain"] = pb;
    Rule high;
    high.name = "high";
    high.playbook = "contain";
    high.pattern_json =
        R"({"source":["aws.guardduty"],"detail":{"severity":[{"numeric":[">=",7]}]}})";
    Rule low;
    low.name = "low";
    low.pattern_json =
        R"({"source":["aws.guardduty"],"detail":{"severity":[{"numeric":["<",4]}]}})";
    c.rules = {high, low};
    c.suppressions = config_suppressions_;
    c.guard_rails = guard_rails_;
    for (const auto& s : c.suppressions) c.suppression_files[s.name] = "policies/test.yaml";
    return c;
  }

  void open(const char* playbook, bool fail_isolate = false) {
    engine_.reset();
    auto store = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(store) << store.error().str();
    EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<Engine>(config(playbook), std::move(*store), nullptr, clock_, opt);
    actions::Registry reg;
    ASSERT_TRUE(reg.add(
        std::make_shared<FakeAction>("aws.ec2.isolateInstance", isolate_calls_, fail_isolate)));
    ASSERT_TRUE(reg.add(std::make_shared<FakeAction>("aws.sns.publish", notify_calls_)));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
  }

  void send(const std::string& finding_json) { sendId(finding_json); }
  // The event's id ("" and a test failure when it was not accepted).
  std::string sendId(const std::string& finding_json) {
    auto evs = sources::parseEventsBody(finding_json, clock_);
    EXPECT_TRUE(evs) << evs.error().str();
    if (!evs || evs->empty()) return "";
    auto r = engine_->ingest(*evs, "test");
    EXPECT_TRUE(r) << r.error().str();
    return evs->front().id;
  }

  json::value onlyIncident() {
    auto list = engine_->listIncidents(10, 0);
    EXPECT_TRUE(list);
    const auto& arr = list->at("incidents").as_array();
    EXPECT_EQ(arr.size(), 1u);
    return *engine_->incident(std::string(arr.at(0).at("id").as_string()));
  }

  // Opens the engine on r.db behind a CrashingStore (crash_), with the two fake actions
  // adjusted by `knobs`.
  void openCrashable(
      const char* playbook,
      const std::function<void(FakeAction& isolate, FakeAction& notify)>& knobs = {}) {
    engine_.reset();
    auto inner = store::openStore("sqlite://" + (dir_ / "r.db").string());
    ASSERT_TRUE(inner) << inner.error().str();
    auto cs = std::make_unique<CrashingStore>(std::move(*inner));
    crash_ = cs.get();
    EngineOptions opt;
    opt.background = false;
    opt.worker_id = "test";
    engine_ = std::make_unique<Engine>(config(playbook), std::move(cs), nullptr, clock_, opt);
    auto isolate = std::make_shared<FakeAction>("aws.ec2.isolateInstance", isolate_calls_);
    auto notify = std::make_shared<FakeAction>("aws.sns.publish", notify_calls_);
    if (knobs) knobs(*isolate, *notify);
    actions::Registry reg;
    ASSERT_TRUE(reg.add(isolate));
    ASSERT_TRUE(reg.add(notify));
    engine_->setRegistry(std::move(reg));
    ASSERT_TRUE(engine_->start());
  }

  // Every action record of the only incident, oldest first.
  std::vector<store::ActionRecord> actionRecords() {
    auto list = engine_->store().listIncidents(10, 0);
    EXPECT_TRUE(list && list->size() == 1u);
    if (!list || list->empty()) return {};
    auto acts = engine_->store().actionsForIncident(list->front().id);
    EXPECT_TRUE(acts);
    return acts ? *acts : std::vector<store::ActionRecord>{};
  }

  store::ExecutionRecord onlyExecution() {
    auto list = engine_->store().listIncidents(10, 0);
    EXPECT_TRUE(list && list->size() == 1u);
    if (!list || list->empty()) return {};
    auto x = engine_->store().executionsForIncident(list->front().id);
    EXPECT_TRUE(x && x->size() == 1u);
    return x && !x->empty() ? x->front() : store::ExecutionRecord{};
  }

  CrashingStore* crash_ = nullptr;
  fs::path dir_;
  ManualClock clock_{1'800'000'000'000};
  std::atomic<int> isolate_calls_{0}, notify_calls_{0};
  bool playbook_dry_run_ = false;                         // riposte.yaml playbooks.contain.dry_run
  std::vector<policy::Suppression> config_suppressions_;  // policies/*.yaml suppressions
  policy::GuardRails guard_rails_;                        // policies/*.yaml limits, breaker
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, SuppressedEventsAreStoredMarkedAndStartNothing) {
  policy::Problems problems;
  auto s = policy::parseSuppression(
      *parseJson(R"({"name":"quiet-i-1","reason":"known scanner","owner":"secops",
                     "match":{"scope":{"resource_ids":["i-1"]}}})"),
      "s", policy::Origin::kConfig, 0, problems);
  ASSERT_TRUE(s) << s.error().message;
  config_suppressions_ = {*s};
  open(kContain);
  send(finding(8, "i-1", "f-quiet"));
  send(finding(8, "i-2", "f-loud"));
  ASSERT_TRUE(engine_->drain());
  auto incidents = engine_->store().listIncidents(10, 0).value();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].resource_id, "i-2");
  EXPECT_EQ(isolate_calls_, 1);
  auto metrics = engine_->renderMetrics();
  EXPECT_NE(metrics.find(R"(riposte_events_suppressed_total{suppression="quiet-i-1"} 1)"),
            std::string::npos)
      << metrics;

  // One made at run time applies from the next event on, survives a restart, and expires.
  auto created = engine_->createSuppression(
      *parseJson(R"({"name":"for-an-hour","reason":"maintenance","expires":"1h",
                     "match":{"pattern":{"detail":{"resource":{"instanceDetails":{"instanceId":["i-3"]}}}}}})"),
      "alice");
  ASSERT_TRUE(created) << created.error().str();
  EXPECT_EQ(created->at("owner"), "alice");
  EXPECT_EQ(engine_
                ->createSuppression(*parseJson(R"({"name":"quiet-i-1","reason":"r",
      "match":{"scope":{"regions":["us-east-1"]}}})"),
                                    "bob")
                .error()
                .code,
            "Conflict");
  EXPECT_EQ(engine_->deleteSuppression("quiet-i-1", "bob", "").error().code, "NotDeletable");
  open(kContain);  // a restart
  send(finding(8, "i-3", "f-maint"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(engine_->store().listIncidents(10, 0).value().size(), 1u);
  auto list = engine_->listSuppressions().value();
  ASSERT_EQ(list.at("suppressions").as_array().size(), 2u);
  EXPECT_EQ(list.at("suppressions").as_array()[0].at("source"), "config");
  EXPECT_EQ(list.at("suppressions").as_array()[1].at("source"), "store");
  clock_.advance(std::chrono::hours(2));  // expired: it stops applying by itself
  send(finding(8, "i-3", "f-later"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(engine_->store().listIncidents(10, 0).value().size(), 2u);
  EXPECT_EQ(engine_->listSuppressions().value().at("suppressions").as_array()[1].at("expired"),
            true);
  ASSERT_TRUE(engine_->deleteSuppression("for-an-hour", "alice", "done"));
  EXPECT_EQ(engine_->listSuppressions().value().at("suppressions").as_array().size(), 1u);
}

TEST_F(EngineTest, TheEventViewAndTheIncidentShowTheSuppression) {
  open(kContain);
  const std::string first = sendId(finding(8, "i-1", "f-a"));
  ASSERT_TRUE(engine_->drain());
  auto inc = onlyIncident();
  EXPECT_TRUE(inc.at("suppressedNow").is_null());
  auto ev = engine_->event(first);
  ASSERT_TRUE(ev) << ev.error().str();
  EXPECT_EQ(ev->at("status"), "processed");
  EXPECT_EQ(ev->at("matchedRules").as_array().size(), 1u);
  EXPECT_FALSE(ev->as_object().contains("suppression"));

  // A suppression made while the incident is open: the incident says its finding is now
  // silenced, and a later finding about the instance is stored, marked and explained.
  ASSERT_TRUE(engine_->createSuppression(*parseJson(R"j({"name":"quiet-i-1",
      "reason":"known scanner (CHG-7)","owner":"secops","expires":"1h",
      "match":{"scope":{"resource_ids":["i-1"]}}})j"),
                                         "alice"));
  const std::string id = std::string(inc.at("id").as_string());
  auto again = engine_->incident(id);
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->at("suppressedNow").is_object());
  EXPECT_EQ(again->at("suppressedNow").at("name"), "quiet-i-1");
  EXPECT_EQ(again->at("suppressedNow").at("reason"), "known scanner (CHG-7)");
  const std::string later = sendId(finding(8, "i-1", "f-b"));
  ASSERT_TRUE(engine_->drain());
  ev = engine_->event(later);
  ASSERT_TRUE(ev) << ev.error().str();
  EXPECT_EQ(ev->at("status"), "suppressed");
  EXPECT_EQ(ev->at("suppression").at("name"), "quiet-i-1");
  EXPECT_EQ(ev->at("suppression").at("owner"), "secops");
  EXPECT_EQ(ev->at("suppression").at("source"), "store");
  EXPECT_NE(std::string(ev->at("summary").as_string()).find("suppressed by 'quiet-i-1'"),
            std::string::npos)
      << ev->at("summary");
  EXPECT_EQ(ev->at("event").at("detail").at("id"), "f-b");
  EXPECT_EQ(engine_->incident(id)->at("eventCount").to_number<int64_t>(), 1);

  // Expired or deleted, the event still names what silenced it.
  clock_.advance(std::chrono::hours(2));
  EXPECT_TRUE(engine_->incident(id)->at("suppressedNow").is_null());
  ASSERT_TRUE(engine_->deleteSuppression("quiet-i-1", "alice", "done"));
  ev = engine_->event(later);
  EXPECT_EQ(ev->at("suppression").at("name"), "quiet-i-1");
  EXPECT_EQ(ev->at("suppression").at("deleted"), true);
  EXPECT_EQ(engine_->event("no-such-event").error().code, "NotFound");
}

TEST_F(EngineTest, EventsNoRuleMatchesAreCountedBySourceAndType) {
  open(kContain);
  send(finding(5, "i-1", "f-medium"));  // neither high nor low
  ASSERT_TRUE(engine_->drain());
  auto metrics = engine_->renderMetrics();
  EXPECT_NE(
      metrics.find(
          R"(riposte_events_unmatched_total{source="aws.guardduty",type="UnauthorizedAccess:EC2/SSHBruteForce"} 1)"),
      std::string::npos)
      << metrics;
}

TEST_F(EngineTest, HighSeverityRunsThePlaybookAndRecordsEverything) {
  open(kContain);
  send(finding(8, "i-1"));
  ASSERT_TRUE(engine_->drain());
  auto inc = onlyIncident();
  EXPECT_EQ(inc.at("status").as_string(), "contained");
  EXPECT_EQ(inc.at("rule").as_string(), "high");
  EXPECT_EQ(inc.at("resource").at("id").as_string(), "i-1");
  EXPECT_EQ(isolate_calls_, 1);
  EXPECT_EQ(notify_calls_, 1);
  int actions = 0;
  for (const auto& e : inc.at("timeline").as_array()) {
    if (e.at("kind").as_string() != "action") continue;
    ++actions;
    EXPECT_EQ(e.at("status").as_string(), "succeeded");
    EXPECT_EQ(e.at("before").at("groups").as_array()[0].as_string(), "sg-a");
  }
  EXPECT_EQ(actions, 2);
  auto exec_id = std::string(inc.at("executions").as_array()[0].at("executionId").as_string());
  auto ex = engine_->execution(exec_id);
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->at("status").as_string(), "SUCCEEDED");
  const auto& events = ex->at("events").as_array();
  EXPECT_EQ(events.front().at("type").as_string(), "ExecutionStarted");
  EXPECT_EQ(events.back().at("type").as_string(), "ExecutionSucceeded");
  // Event ids are 1..n with no gap: every step was persisted.
  for (std::size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].at("id").to_number<int64_t>(), int64_t(i + 1));
  // The playbook saw the incident id and the configured topic.
  auto output = parseJson(std::string(ex->at("output").as_string()));
  ASSERT_TRUE(output);
  EXPECT_EQ(output->at("notify").at("input").at("topicArn").as_string(),
            "arn:aws:sns:us-east-1:123456789012:alerts");
  EXPECT_EQ(output->at("isolate").at("input").at("instanceId").as_string(), "i-1");
}

// The claimed executions run in rounds (one transaction per round): each still gets a
// gap-free history, its actions once, and an end.
TEST_F(EngineTest, ManyExecutionsRunTogetherEachCompletely) {
  open(kContain);
  for (int i = 0; i < 40; ++i) send(finding(8, "i-" + std::to_string(i), "f-" + std::to_string(i)));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 40);
  EXPECT_EQ(notify_calls_, 40);
  auto list = engine_->listIncidents(100, 0);
  ASSERT_TRUE(list);
  const auto& incidents = list->at("incidents").as_array();
  ASSERT_EQ(incidents.size(), 40u);
  for (const auto& i : incidents) {
    auto inc = engine_->incident(std::string(i.at("id").as_string()));
    ASSERT_TRUE(inc);
    EXPECT_EQ(inc->at("status").as_string(), "contained");
    auto ex = engine_->execution(
        std::string(inc->at("executions").as_array()[0].at("executionId").as_string()));
    ASSERT_TRUE(ex);
    EXPECT_EQ(ex->at("status").as_string(), "SUCCEEDED");
    const auto& events = ex->at("events").as_array();
    for (std::size_t k = 0; k < events.size(); ++k)
      EXPECT_EQ(events[k].at("id").to_number<int64_t>(), int64_t(k + 1));
    EXPECT_EQ(events.back().at("type").as_string(), "ExecutionSucceeded");
  }
}

TEST_F(EngineTest, APlaybookDeclaredDryRunPlansAndChangesNothing) {
  playbook_dry_run_ = true;  // neither safety.dry_run nor the rule's dry_run is set
  open(kContain);
  send(finding(8, "i-1"));
  ASSERT_TRUE(engine_->drain());
  auto inc = onlyIncident();
  EXPECT_EQ(inc.at("status").as_string(), "planned");
  ASSERT_EQ(inc.at("executions").as_array().size(), 1u);
  EXPECT_TRUE(inc.at("executions").as_array()[0].at("dryRun").as_bool());
  int actions = 0;
  for (const auto& e : inc.at("timeline").as_array()) {
    if (e.at("kind").as_string() != "action") continue;
    ++actions;
    EXPECT_EQ(e.at("status").as_string(), "dry_run");
  }
  EXPECT_EQ(actions, 2);
  auto exec_id = std::string(inc.at("executions").as_array()[0].at("executionId").as_string());
  auto ex = engine_->execution(exec_id);
  ASSERT_TRUE(ex);
  EXPECT_TRUE(ex->at("dryRun").as_bool());
  auto output = parseJson(std::string(ex->at("output").as_string()));
  ASSERT_TRUE(output);
  // Every action was told to plan only, and the playbook saw $.riposte.dryRun = true.
  EXPECT_TRUE(output->at("isolate").at("dryRun").as_bool());
  EXPECT_TRUE(output->at("notify").at("dryRun").as_bool());
  auto input = parseJson(std::string(ex->at("input").as_string()));
  ASSERT_TRUE(input);
  EXPECT_TRUE(input->at("riposte").at("dryRun").as_bool());

  // The same playbook without the declaration acts for real.
  playbook_dry_run_ = false;
  open(kContain);
  send(finding(8, "i-2", "f-2"));
  ASSERT_TRUE(engine_->drain());
  auto list = engine_->listIncidents(10, 0);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->at("incidents").as_array().size(), 2u);
  EXPECT_EQ(list->at("incidents").as_array()[0].at("status").as_string(), "contained");
}

TEST_F(EngineTest, RepeatsAttachToTheIncidentAndChangeNothing) {
  open(kContain);
  send(finding(8, "i-1", "f-9"));
  ASSERT_TRUE(engine_->drain());
  send(finding(8, "i-1", "f-9"));
  send(finding(8, "i-1", "f-9"));
  ASSERT_TRUE(engine_->drain());
  auto inc = onlyIncident();
  EXPECT_EQ(inc.at("eventCount").to_number<int64_t>(), 3);
  EXPECT_EQ(inc.at("executions").as_array().size(), 1u);
  EXPECT_EQ(isolate_calls_, 1);
}

TEST_F(EngineTest, LowSeverityOnlyRecordsAndUnmatchedEventsAreKept) {
  open(kContain);
  send(finding(2, "i-2"));
  send(finding(5, "i-3", "f-other"));  // matches no rule
  ASSERT_TRUE(engine_->drain());
  auto inc = onlyIncident();
  EXPECT_EQ(inc.at("status").as_string(), "recorded");
  EXPECT_TRUE(inc.at("executions").as_array().empty());
  EXPECT_EQ(isolate_calls_, 0);
  EXPECT_EQ(*engine_->store().countEvents(), 2);
}

TEST_F(EngineTest, ActionErrorsFailTheExecutionWithTheAwsCode) {
  open(kContain, /*fail_isolate=*/true);
  send(finding(9, "i-404"));
  ASSERT_TRUE(engine_->drain());
  auto inc = onlyIncident();
  EXPECT_EQ(inc.at("status").as_string(), "failed");
  auto exec_id = std::string(inc.at("executions").as_array()[0].at("executionId").as_string());
  auto ex = engine_->execution(exec_id);
  EXPECT_EQ(ex->at("error").as_string(), "InvalidInstanceID.NotFound");
  bool saw = false;
  for (const auto& e : ex->at("events").as_array()) {
    if (e.at("type").as_string() == "TaskFailed") {
      saw = true;
      EXPECT_EQ(e.at("taskFailedEventDetails").at("error").as_string(),
                "InvalidInstanceID.NotFound");
    }
  }
  EXPECT_TRUE(saw);
}

TEST_F(EngineTest, WaitIsADurableTimerThatSurvivesARestart) {
  open(kWaiting);
  send(finding(8, "i-5"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 0);
  auto inc = onlyIncident();
  EXPECT_EQ(inc.at("status").as_string(), "responding");
  // "Restart" riposte in the middle of the hour-long Wait.
  open(kWaiting);
  clock_.advance(std::chrono::minutes(30));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 0);
  clock_.advance(std::chrono::minutes(31));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 1);
  EXPECT_EQ(onlyIncident().at("status").as_string(), "contained");
}

TEST_F(EngineTest, PendingEventsAreProcessedAfterARestart) {
  open(kContain);
  send(finding(8, "i-6"));
  // No drain: the process "dies" with the event only in the inbox.
  open(kContain);
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(onlyIncident().at("status").as_string(), "contained");
}

TEST_F(EngineTest, DuplicateEventIdsAreAcceptedOnce) {
  open(kContain);
  auto evs = sources::parseEventsBody(
      R"({"id":"same","source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":{"severity":2,"id":"x"}})",
      clock_);
  ASSERT_TRUE(evs);
  EXPECT_EQ(*engine_->ingest(*evs, "t"), std::vector<bool>{true});
  EXPECT_EQ(*engine_->ingest(*evs, "t"), std::vector<bool>{false});
}

TEST_F(EngineTest, TwoWorkersOnOneStoreRespondOncePerIncident) {
  open(kContain);
  auto second_store = store::openStore("sqlite://" + (dir_ / "r.db").string());
  ASSERT_TRUE(second_store);
  EngineOptions opt;
  opt.background = false;
  opt.worker_id = "worker-2";
  Engine other(config(kContain), std::move(*second_store), nullptr, clock_, opt);
  actions::Registry reg;
  ASSERT_TRUE(reg.add(std::make_shared<FakeAction>("aws.ec2.isolateInstance", isolate_calls_)));
  ASSERT_TRUE(reg.add(std::make_shared<FakeAction>("aws.sns.publish", notify_calls_)));
  other.setRegistry(std::move(reg));
  ASSERT_TRUE(other.start());
  for (int i = 0; i < 20; ++i) send(finding(8, "i-" + std::to_string(i), "f-" + std::to_string(i)));
  std::thread t([&] { EXPECT_TRUE(other.drain()); });
  EXPECT_TRUE(engine_->drain());
  t.join();
  EXPECT_TRUE(engine_->drain());
  auto list = engine_->listIncidents(100, 0);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->at("incidents").as_array().size(), 20u);
  for (const auto& i : list->at("incidents").as_array()) {
    auto inc = engine_->incident(std::string(i.at("id").as_string()));
    EXPECT_EQ(inc->at("executions").as_array().size(), 1u);
    EXPECT_EQ(inc->at("status").as_string(), "contained");
  }
  EXPECT_EQ(isolate_calls_, 20);
  EXPECT_EQ(notify_calls_, 20);
}

// --------------------------------------------------------------- exactly once across a crash

// True for the step that records state `name`'s Task result (TaskStateExited of that state).
std::function<bool(const std::vector<store::HistoryRecord>&)> exitOf(const std::string& name) {
  return [name](const std::vector<store::HistoryRecord>& h) {
    for (const auto& e : h) {
      if (e.type != "TaskStateExited") continue;
      auto d = parseJson(e.details);
      if (d && d->is_object() && d->as_object().contains("name") &&
          d->at("name").as_string() == name)
        return true;
    }
    return false;
  };
}

const char* kRetrying = R"({"StartAt":"Isolate","States":{
  "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
    "Retry":[{"ErrorEquals":["InvalidInstanceID.NotFound"],"IntervalSeconds":1,"MaxAttempts":2}],
    "End":true}}})";

TEST_F(EngineTest, ANotificationSentBeforeACrashIsNotSentAgain) {
  openCrashable(kContain);
  crash_->crash_when = exitOf("Notify");  // killed right after the publish was recorded
  send(finding(8, "i-1"));
  (void)engine_->drain();  // fails once the store is "dead"
  EXPECT_EQ(notify_calls_, 1);
  EXPECT_EQ(onlyExecution().status, "RUNNING");  // the step after Notify was never persisted
  auto before = actionRecords();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[1].status, "succeeded");

  openCrashable(kContain);  // the restarted riposte, same SQLite file
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 1);
  EXPECT_EQ(notify_calls_, 1);  // Notify ran again in the interpreter, not against AWS
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "SUCCEEDED");
  auto output = parseJson(x.output);
  ASSERT_TRUE(output) << x.output;
  // The Task's result is the recorded one.
  EXPECT_EQ(json::serialize(output->at("notify")), before[1].output);
  auto after = actionRecords();
  ASSERT_EQ(after.size(), 2u);  // no second record either
  EXPECT_EQ(after[1].id, before[1].id);
  // The record's id is derived from the attempt: the execution, the state, and the id of the
  // attempt's TaskScheduled event.
  int64_t scheduled = 0;
  auto hist = engine_->store().history(x.id);
  ASSERT_TRUE(hist);
  for (const auto& h : *hist) {
    auto d = parseJson(h.details);
    if (h.type == "TaskScheduled" && d && d->at("name").as_string() == "Notify") scheduled = h.seq;
  }
  EXPECT_EQ(after[1].id, attemptActionId(x.id, "Notify", scheduled));
  EXPECT_EQ(onlyIncident().at("status").as_string(), "contained");
  EXPECT_NE(engine_->renderMetrics().find(
                R"(riposte_actions_replayed_total{action="aws.sns.publish",outcome="recorded"} 1)"),
            std::string::npos);
}

TEST_F(EngineTest, AnInterruptedStateCheckingActionRunsAgainOnItsOwnRecord) {
  std::vector<std::string> ids;
  auto knobs = [&](FakeAction& isolate, FakeAction&) {
    isolate.seen_ids_ = &ids;
    isolate.during_ = [this](int n) {
      if (n == 1) crash_->dead = true;  // killed during the first call
    };
  };
  openCrashable(kContain, knobs);
  send(finding(8, "i-1"));
  (void)engine_->drain();
  EXPECT_EQ(isolate_calls_, 1);
  auto before = actionRecords();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].status, "running");  // the outcome never reached the store

  openCrashable(kContain, knobs);
  ASSERT_TRUE(engine_->drain());
  // Run again (its own state check decides: here it finds nothing left to change) with the
  // same record and the same id in its context.
  EXPECT_EQ(isolate_calls_, 2);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[0], before[0].id);
  auto after = actionRecords();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_EQ(after[0].status, "unchanged");
  EXPECT_NE(after[0].summary.find("run again after an interrupted attempt"), std::string::npos);
  EXPECT_EQ(onlyExecution().status, "SUCCEEDED");
  EXPECT_EQ(notify_calls_, 1);
}

// A containment interrupted by a crash, run again, finds the instance already contained
// ("unchanged"): the interrupted attempt made the change, so its place in the limit is kept
// (engine/guard.h). Given back, a second containment would pass a limit of one.
TEST_F(EngineTest, AnInterruptedContainmentKeepsItsLimitPlace) {
  std::vector<policy::Problem> problems;
  guard_rails_.limits = policy::parseLimits(*parseJson(R"([{"name":"one","role":"contain",
      "per":"global","max":1,"window":"1h","on_limit":"dry_run"}])"),
                                            problems);
  ASSERT_TRUE(problems.empty());
  auto knobs = [&](FakeAction& isolate, FakeAction&) {
    isolate.during_ = [this](int n) {
      if (n == 1) crash_->dead = true;  // killed during the first call
    };
  };
  openCrashable(kContain, knobs);
  send(finding(8, "i-1"));
  (void)engine_->drain();
  openCrashable(kContain, knobs);
  ASSERT_TRUE(engine_->drain());
  auto after = actionRecords();
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after[0].status, "unchanged");
  auto levels = engine_->policyView().value().at("limits").at(0).at("levels").as_array();
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].at("count").to_number<int64_t>(), 1);
  // So the next containment is refused by the limit.
  send(finding(8, "i-2", "f-2"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 3);  // the first, its rerun, and i-2's plan
  auto incs = engine_->store().listIncidents(10, 0).value();
  ASSERT_EQ(incs.size(), 2u);
  std::map<std::string, std::string> status;
  for (const auto& i : incs) status[i.resource_id] = i.status;
  EXPECT_EQ(status["i-1"], "contained");
  EXPECT_EQ(status["i-2"], "limited");
}

TEST_F(EngineTest, AnInterruptedSendThatCannotBeCheckedFailsInsteadOfRepeating) {
  auto knobs = [this](FakeAction&, FakeAction& notify) {
    notify.setReplay(actions::Replay::kFailInterrupted);
    notify.during_ = [this](int n) {
      if (n == 1) crash_->dead = true;
    };
  };
  openCrashable(kContain, knobs);
  send(finding(8, "i-1"));
  (void)engine_->drain();
  EXPECT_EQ(notify_calls_, 1);

  openCrashable(kContain, knobs);
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(notify_calls_, 1);  // not repeated
  auto x = onlyExecution();
  EXPECT_EQ(x.status, "FAILED");
  EXPECT_EQ(x.error, "riposte.ActionInterrupted");
  auto acts = actionRecords();
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_EQ(acts[1].status, "failed");
  EXPECT_EQ(acts[1].error_code, "riposte.ActionInterrupted");
  EXPECT_EQ(isolate_calls_, 1);
}

TEST_F(EngineTest, ARetryAfterAFailedAttemptRunsAgainEvenAcrossACrash) {
  auto knobs = [](FakeAction& isolate, FakeAction&) { isolate.fail_first_ = 1; };
  openCrashable(kRetrying, knobs);
  // Killed right after the failed attempt was recorded, before the Retry was persisted.
  crash_->crash_when = [](const std::vector<store::HistoryRecord>& h) {
    return std::any_of(h.begin(), h.end(), [](const auto& e) { return e.type == "TaskFailed"; });
  };
  send(finding(8, "i-1"));
  (void)engine_->drain();
  EXPECT_EQ(isolate_calls_, 1);

  openCrashable(kRetrying, knobs);
  ASSERT_TRUE(engine_->drain());
  // The interrupted step replays the recorded failure (no call), then schedules the Retry.
  EXPECT_EQ(isolate_calls_, 1);
  clock_.advance(std::chrono::seconds(2));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 2);  // the Retry is a new attempt: it ran
  auto acts = actionRecords();
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_NE(acts[0].id, acts[1].id);
  EXPECT_EQ(acts[0].status, "failed");
  EXPECT_EQ(acts[0].error_code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(acts[1].status, "unchanged");
  EXPECT_EQ(onlyExecution().status, "SUCCEEDED");
}

// A Map over 300 items, each through a Task: the engine writes incremental snapshots (the
// finished results in blobs, written once) and a riposte killed half-way resumes from them:
// every item's Task ran once, and the output holds every result in order.
const char* kBigMap = R"asl({"StartAt":"Items","States":{
  "Items":{"Type":"Pass","Parameters":{"items.$":"States.ArrayRange(0, 299, 1)"},"Next":"Each"},
  "Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":4,
    "ItemProcessor":{"StartAt":"Isolate","States":{
      "Isolate":{"Type":"Task","Resource":"riposte:aws.ec2.isolateInstance",
        "Parameters":{"instanceId.$":"States.Format('i-{}', $)"},
        "ResultSelector":{"id.$":"$.input.instanceId"},"End":true}}},
    "End":true}}})asl";

TEST_F(EngineTest, ALargeMapResumesFromItsIncrementalSnapshotAfterACrash) {
  openCrashable(kBigMap);
  int steps = 0;
  crash_->crash_when = [&](const std::vector<store::HistoryRecord>&) { return ++steps == 400; };
  send(finding(8, "i-1"));
  (void)engine_->drain();  // dies half-way through the Map
  auto mid = onlyExecution();
  EXPECT_EQ(mid.status, "RUNNING");
  // What each step wrote stays small: the finished results are in blobs.
  EXPECT_LT(mid.snapshot.size(), 4000u) << mid.snapshot.size();
  int ran_before = isolate_calls_;
  EXPECT_GT(ran_before, 140);
  EXPECT_LT(ran_before, 300);
  // The first 128 results were sealed into a blob, written once with their step.
  auto sealed = engine_->store().snapshotBlob(mid.id, "b1");
  ASSERT_TRUE(sealed);
  ASSERT_TRUE(sealed->has_value());
  EXPECT_NE(mid.snapshot.find("\"b1\""), std::string::npos) << mid.snapshot;

  openCrashable(kBigMap);
  ASSERT_TRUE(engine_->drain());
  auto x = onlyExecution();
  ASSERT_EQ(x.status, "SUCCEEDED") << x.error << " " << x.cause;
  // At most the one Task in flight when the process died ran again (through its record).
  auto records = actionRecords();
  EXPECT_EQ(records.size(), 300u);
  auto output = parseJson(x.output, 64);
  ASSERT_TRUE(output);
  const auto& results = output->as_array();
  ASSERT_EQ(results.size(), 300u);
  for (std::size_t i = 0; i < results.size(); ++i)
    EXPECT_EQ(results[i].at("id").as_string(), "i-" + std::to_string(i));
  // Ended: its blobs are gone.
  EXPECT_FALSE(engine_->store().snapshotBlob(x.id, "b1").value().has_value());
}

TEST_F(EngineTest, MatchRulesAndReload) {
  open(kContain);
  auto names = engine_->matchRules(
      R"({"source":"aws.guardduty","detail-type":"x","detail":{"severity":9}})");
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"high"});
  Config c = config(kContain);
  c.rules.erase(c.rules.begin());
  ASSERT_TRUE(engine_->reload(c));
  EXPECT_TRUE(
      engine_->matchRules(R"({"source":"aws.guardduty","detail":{"severity":9}})")->empty());
  c.rules[0].pattern_json = R"({"source":[]})";
  EXPECT_FALSE(engine_->reload(c));
}

// A reload changes the playbook an event starts from the next event on; an execution already
// running keeps the definition it started with (stored with it), to its end.
TEST_F(EngineTest, AReloadLeavesARunningExecutionOnItsDefinitionAndNewOnesUseTheNewOne) {
  open(kWaiting);  // Hold (Wait 1 h) → Isolate
  send(finding(8, "i-old", "f-old"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 0);  // parked on its hour-long Wait
  const char* kNotifyOnly = R"({"StartAt":"Tell","States":{
    "Tell":{"Type":"Task","Resource":"riposte:aws.sns.publish","End":true}}})";
  ASSERT_TRUE(engine_->reload(config(kNotifyOnly)));
  EXPECT_EQ(engine_->config()->playbooks.at("contain").definition_json, kNotifyOnly);
  send(finding(8, "i-new", "f-new"));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(notify_calls_, 1);  // the new execution ran the new definition
  EXPECT_EQ(isolate_calls_, 0);
  clock_.advance(std::chrono::minutes(61));
  ASSERT_TRUE(engine_->drain());
  EXPECT_EQ(isolate_calls_, 1);  // the old one resumed on its own definition
  EXPECT_EQ(notify_calls_, 1);
  auto states = [&](const std::string& resource) {
    std::vector<std::string> out;
    auto list = engine_->store().listIncidents(10, 0);
    EXPECT_TRUE(list);
    for (const auto& inc : *list) {
      if (inc.resource_id != resource) continue;
      auto x = engine_->store().executionsForIncident(inc.id);
      EXPECT_TRUE(x && x->size() == 1u);
      EXPECT_EQ(x->front().status, "SUCCEEDED");
      auto hist = engine_->store().history(x->front().id);
      EXPECT_TRUE(hist);
      for (const auto& h : *hist) {
        auto d = parseJson(h.details);
        if (h.type.ends_with("StateEntered")) out.emplace_back(d->at("name").as_string());
      }
    }
    return out;
  };
  EXPECT_EQ(states("i-old"), (std::vector<std::string>{"Hold", "Isolate"}));
  EXPECT_EQ(states("i-new"), (std::vector<std::string>{"Tell"}));
}

// The reloaded safety settings apply to the next execution: dry_run turned on by a reload
// makes the next response a plan.
TEST_F(EngineTest, AReloadedSafetySettingAppliesToTheNextExecution) {
  open(kContain);
  Config c = config(kContain);
  c.safety.dry_run = true;
  c.sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:reloaded";
  ASSERT_TRUE(engine_->reload(c));
  send(finding(8, "i-1"));
  ASSERT_TRUE(engine_->drain());
  auto inc = onlyIncident();
  EXPECT_EQ(inc.at("status").as_string(), "planned");
  auto x = onlyExecution();
  EXPECT_TRUE(x.dry_run);
  auto input = parseJson(x.input);
  ASSERT_TRUE(input);
  EXPECT_EQ(input->at("riposte").at("notify").at("snsTopicArn").as_string(),
            "arn:aws:sns:us-east-1:123456789012:reloaded");
}

// /metrics gauges read from the store: a status whose count falls to zero reads 0, not the
// last value it had (16 RUNNING shown after everything finished).
TEST_F(EngineTest, StatusGaugesFallToZero) {
  open(kWaiting);
  for (int i = 0; i < 3; ++i) send(finding(8, "i-" + std::to_string(i), "f-" + std::to_string(i)));
  ASSERT_TRUE(engine_->drain());
  std::string m = engine_->renderMetrics();
  EXPECT_NE(m.find("riposte_executions{status=\"RUNNING\"} 3\n"), std::string::npos) << m;
  EXPECT_NE(m.find("riposte_incidents{status=\"responding\"} 3\n"), std::string::npos) << m;
  clock_.advance(std::chrono::minutes(61));
  ASSERT_TRUE(engine_->drain());
  m = engine_->renderMetrics();
  EXPECT_NE(m.find("riposte_executions{status=\"RUNNING\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("riposte_executions{status=\"SUCCEEDED\"} 3\n"), std::string::npos) << m;
  EXPECT_NE(m.find("riposte_incidents{status=\"responding\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("riposte_incidents{status=\"contained\"} 3\n"), std::string::npos) << m;
}

}  // namespace
}  // namespace riposte::engine
