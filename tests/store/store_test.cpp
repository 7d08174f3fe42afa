// The same behavioural suite runs against both backends (parameterised fixture):
// Sqlite/StoreTest.* on a temp file, Postgres/StoreTest.* on a throwaway server (one per
// binary, one fresh schema per test).

#include "store/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "core/json.h"
#include "pg_server.h"

namespace riposte::store {
namespace {

namespace fs = std::filesystem;

// A temp directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/riposte-store-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

EventRecord makeEvent(const std::string& id, int64_t received_ms) {
  EventRecord e;
  e.id = id;
  e.received_ms = received_ms;
  e.source = "aws.guardduty";
  e.detail_type = "GuardDuty Finding";
  e.account = "123456789012";
  e.region = "eu-west-1";
  e.body = R"({"id":")" + id + R"(","detail":{"severity":8}})";
  e.channel = "http";
  return e;
}

IncidentRecord makeIncident(const std::string& key, int64_t now_ms) {
  IncidentRecord r;
  r.dedup_key = key;
  r.account = "123456789012";
  r.region = "eu-west-1";
  r.resource_type = "Instance";
  r.resource_id = "i-0abc";
  r.finding_id = "f-1";
  r.finding_type = "UnauthorizedAccess:EC2/SSHBruteForce";
  r.severity = 8.5;
  r.title = "SSH brute force";
  r.rule = "guardduty-high";
  r.playbook = "contain-ec2-instance";
  r.created_ms = now_ms;
  r.updated_ms = now_ms;
  return r;
}

ExecutionRecord makeExecution(const std::string& id, const std::string& incident_id,
                              int64_t wake_ms) {
  ExecutionRecord x;
  x.id = id;
  x.incident_id = incident_id;
  x.playbook = "contain-ec2-instance";
  x.definition = R"({"StartAt":"A","States":{"A":{"Type":"Succeed"}}})";
  x.input = R"({"k":1})";
  x.snapshot = R"({"state":"A"})";
  x.wake_ms = wake_ms;
  x.started_ms = 1000;
  return x;
}

HistoryRecord makeHistory(const std::string& exec, int64_t seq, const std::string& type) {
  HistoryRecord h;
  h.execution_id = exec;
  h.seq = seq;
  h.previous_seq = seq - 1;
  h.timestamp_ms = 1000 + seq;
  h.type = type;
  h.details = R"({"name":"A"})";
  return h;
}

ActionRecord makeAction(const std::string& id, const std::string& incident_id,
                        const std::string& exec_id, int64_t started_ms) {
  ActionRecord a;
  a.id = id;
  a.incident_id = incident_id;
  a.execution_id = exec_id;
  a.state_name = "Isolate";
  a.action = "aws.ec2.isolateInstance";
  a.input = R"({"instanceId":"i-0abc"})";
  a.started_ms = started_ms;
  return a;
}

enum class Backend { kSqlite, kPostgres };

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      url_ = "sqlite://" + dir_.path() + "/riposte.db";
    } else {
      auto server = testing::PgServer::shared();
      ASSERT_TRUE(server) << server.error().str();
      auto url = (*server)->freshSchemaUrl();
      ASSERT_TRUE(url) << url.error().str();
      url_ = *url;
    }
    reopen();
  }

  void reopen() {
    store_.reset();
    auto s = openStore(url_);
    ASSERT_TRUE(s) << s.error().str();
    store_ = std::move(*s);
  }

  // Creates an incident and returns its id.
  std::string incident(const std::string& key = "acct/region/i-0abc/SSH") {
    auto u = store_->upsertIncident(makeIncident(key, 1000), "");
    EXPECT_TRUE(u) << u.error().str();
    return u ? u->incident.id : "";
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

// --- schema ---

TEST_P(StoreTest, MigrateIsIdempotentAndPingWorks) {
  ASSERT_TRUE(store_->migrate());
  ASSERT_TRUE(store_->migrate());
  EXPECT_TRUE(store_->ping());
  reopen();  // openStore migrates again on an up-to-date schema
  EXPECT_EQ(store_->countEvents().value(), 0);
}

// --- events ---

TEST_P(StoreTest, EventRoundTripsEveryField) {
  EventRecord e = makeEvent("ev-1", 1234);
  e.channel = "putevents";
  ASSERT_EQ(store_->insertEvents({e}).value(), std::vector<bool>{true});
  auto got = store_->getEvent("ev-1").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, "ev-1");
  EXPECT_EQ(got->received_ms, 1234);
  EXPECT_EQ(got->source, "aws.guardduty");
  EXPECT_EQ(got->detail_type, "GuardDuty Finding");
  EXPECT_EQ(got->account, "123456789012");
  EXPECT_EQ(got->region, "eu-west-1");
  EXPECT_EQ(got->body, e.body);
  EXPECT_EQ(got->channel, "putevents");
  EXPECT_EQ(got->status, "pending");
  EXPECT_EQ(got->error, "");
  EXPECT_TRUE(got->matched_rules.empty());
  EXPECT_FALSE(store_->getEvent("ev-missing").value());
}

TEST_P(StoreTest, InsertEventsReportsDuplicatesById) {
  ASSERT_EQ(store_->insertEvents({makeEvent("a", 1), makeEvent("b", 2)}).value(),
            (std::vector<bool>{true, true}));
  EventRecord b2 = makeEvent("b", 99);
  b2.body = R"({"changed":true})";
  // A repeat of b and a duplicate inside the batch itself.
  ASSERT_EQ(store_->insertEvents({b2, makeEvent("c", 3), makeEvent("c", 4)}).value(),
            (std::vector<bool>{false, true, false}));
  EXPECT_EQ(store_->countEvents().value(), 3);
  auto b = store_->getEvent("b").value();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->received_ms, 2);  // the first delivery is kept unchanged
  EXPECT_EQ(b->body, makeEvent("b", 2).body);
  EXPECT_EQ(store_->getEvent("c").value()->received_ms, 3);
  EXPECT_TRUE(store_->insertEvents({}).value().empty());
}

TEST_P(StoreTest, LargeBatchWithRepeatsKeepsFirstOccurrences) {
  ASSERT_TRUE(store_->insertEvents({makeEvent("e7", 7000)}));
  std::vector<EventRecord> batch;
  for (int i = 0; i < 90; ++i) batch.push_back(makeEvent("e" + std::to_string(i % 60), i));
  auto stored = store_->insertEvents(batch).value();
  ASSERT_EQ(stored.size(), 90u);
  for (int i = 0; i < 90; ++i) {
    EXPECT_EQ(stored[i], i < 60 && i != 7) << i;
  }
  EXPECT_EQ(store_->countEvents().value(), 60);
  EXPECT_EQ(store_->getEvent("e7").value()->received_ms, 7000);
  EXPECT_EQ(store_->getEvent("e5").value()->received_ms, 5);  // not the repeat at 65
}

TEST_P(StoreTest, InsertEventsIsAllOrNothing) {
  auto r = store_->insertEvents({makeEvent("ok", 1), makeEvent("", 2)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidArgument");
  EventRecord bad = makeEvent("bad-status", 3);
  bad.status = "weird";
  EXPECT_EQ(store_->insertEvents({makeEvent("ok2", 1), bad}).error().code, "InvalidArgument");
  EXPECT_EQ(store_->countEvents().value(), 0);
}

TEST_P(StoreTest, PendingEventsOldestFirstAndMarkEvent) {
  ASSERT_TRUE(store_->insertEvents(
      {makeEvent("late", 300), makeEvent("early", 100), makeEvent("mid", 200)}));
  ASSERT_TRUE(store_->insertEvents({makeEvent("mid2", 200)}));  // same time: insertion order
  auto pending = store_->pendingEvents(10).value();
  std::vector<std::string> ids;
  for (const auto& e : pending) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"early", "mid", "mid2", "late"}));
  EXPECT_EQ(store_->pendingEvents(2).value().size(), 2u);
  EXPECT_TRUE(store_->pendingEvents(0).value().empty());
  EXPECT_EQ(store_->pendingEvents(-1).error().code, "InvalidArgument");

  ASSERT_TRUE(store_->markEvent("early", "processed", {"rule-a", "rule-b"}, ""));
  ASSERT_TRUE(store_->markEvent("mid", "failed", {}, "pattern blew up"));
  auto early = store_->getEvent("early").value();
  EXPECT_EQ(early->status, "processed");
  EXPECT_EQ(early->matched_rules, (std::vector<std::string>{"rule-a", "rule-b"}));
  auto mid = store_->getEvent("mid").value();
  EXPECT_EQ(mid->status, "failed");
  EXPECT_EQ(mid->error, "pattern blew up");
  ids.clear();
  pending = store_->pendingEvents(10).value();
  for (const auto& e : pending) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"mid2", "late"}));

  EXPECT_EQ(store_->markEvent("nope", "processed", {}, "").error().code, "NotFound");
  EXPECT_EQ(store_->markEvent("late", "done", {}, "").error().code, "InvalidArgument");
}

TEST_P(StoreTest, MarkEventSuppressedKeepsTheSuppressionsName) {
  ASSERT_TRUE(store_->insertEvents({makeEvent("quiet", 100), makeEvent("loud", 200)}));
  ASSERT_TRUE(store_->markEventSuppressed("quiet", "pentest-q4", {"guardduty-ec2-high"}));
  auto quiet = store_->getEvent("quiet").value();
  EXPECT_EQ(quiet->status, "suppressed");
  EXPECT_EQ(quiet->suppression, "pentest-q4");
  EXPECT_EQ(quiet->matched_rules, std::vector<std::string>{"guardduty-ec2-high"});
  EXPECT_EQ(store_->getEvent("loud").value()->suppression, "");
  auto pending = store_->pendingEvents(10).value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, "loud");
  EXPECT_EQ(store_->markEventSuppressed("nope", "x", {}).error().code, "NotFound");
  EXPECT_EQ(store_->markEventSuppressed("loud", "", {}).error().code, "InvalidArgument");
  reopen();
  EXPECT_EQ(store_->getEvent("quiet").value()->suppression, "pentest-q4");
}

// --- suppressions ---

TEST_P(StoreTest, SuppressionsAreKeptAuditedAndVersioned) {
  EXPECT_TRUE(store_->listSuppressions().value().empty());
  const int64_t v0 = store_->suppressionsVersion().value();
  SuppressionRecord a{"scanner", R"({"name":"scanner","reason":"weekly scan"})", 2000, "alice@h"};
  SuppressionRecord b{"pentest", R"({"name":"pentest"})", 1000, "bob@h"};
  ASSERT_TRUE(store_->insertSuppression(a, "weekly scan"));
  ASSERT_TRUE(store_->insertSuppression(b, "pen test"));
  EXPECT_EQ(store_->insertSuppression(a, "again").error().code, "Conflict");
  EXPECT_EQ(store_->insertSuppression(SuppressionRecord{"", "{}", 1, "x"}, "").error().code,
            "InvalidArgument");
  const int64_t v2 = store_->suppressionsVersion().value();
  EXPECT_EQ(v2, v0 + 2);
  reopen();  // they survive a restart
  auto list = store_->listSuppressions().value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "pentest");  // oldest first
  EXPECT_EQ(list[1].name, "scanner");
  EXPECT_EQ(list[1].json, a.json);
  EXPECT_EQ(list[1].created_ms, 2000);
  EXPECT_EQ(list[1].created_by, "alice@h");

  ASSERT_TRUE(store_->deleteSuppression("scanner", "carol@h", "scan moved", 3000));
  EXPECT_EQ(store_->deleteSuppression("scanner", "carol@h", "again", 3001).error().code,
            "NotFound");
  EXPECT_EQ(store_->suppressionsVersion().value(), v2 + 1);
  ASSERT_EQ(store_->listSuppressions().value().size(), 1u);

  // Who, when and why, in the audit log.
  std::vector<AuditRecord> sup;
  const auto audit = store_->readAudit(0, 100).value();
  for (const auto& r : audit)
    if (r.kind.starts_with("suppression.")) sup.push_back(r);
  ASSERT_EQ(sup.size(), 3u);
  EXPECT_EQ(sup[0].kind, "suppression.created");
  EXPECT_EQ(sup[0].time_ms, 2000);
  auto created = parseJson(sup[0].json).value();
  EXPECT_EQ(created.at("name"), "scanner");
  EXPECT_EQ(created.at("by"), "alice@h");
  EXPECT_EQ(created.at("reason"), "weekly scan");
  EXPECT_EQ(created.at("suppression").at("reason"), "weekly scan");
  EXPECT_EQ(sup[2].kind, "suppression.deleted");
  EXPECT_EQ(sup[2].time_ms, 3000);
  auto deleted = parseJson(sup[2].json).value();
  EXPECT_EQ(deleted.at("by"), "carol@h");
  EXPECT_EQ(deleted.at("reason"), "scan moved");
  EXPECT_EQ(deleted.at("suppression").at("name"), "scanner");
}

// --- incidents ---

TEST_P(StoreTest, UpsertIncidentCreatesOnceThenAttaches) {
  ASSERT_TRUE(store_->insertEvents({makeEvent("e1", 1), makeEvent("e2", 2)}));
  IncidentRecord rec = makeIncident("123/eu-west-1/i-0abc/SSH", 1000);
  rec.id = "inc-fixed";
  auto first = store_->upsertIncident(rec, "e1").value();
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.incident.id, "inc-fixed");
  EXPECT_EQ(first.incident.event_count, 1);
  EXPECT_EQ(first.incident.first_event_id, "e1");
  EXPECT_EQ(first.incident.status, "open");
  EXPECT_EQ(first.incident.created_ms, 1000);
  EXPECT_EQ(first.incident.severity, 8.5);
  EXPECT_EQ(first.incident.finding_type, "UnauthorizedAccess:EC2/SSHBruteForce");
  EXPECT_EQ(first.incident.playbook, "contain-ec2-instance");

  IncidentRecord again = makeIncident("123/eu-west-1/i-0abc/SSH", 2000);
  again.id = "inc-other";  // ignored: the incident exists
  again.title = "ignored";
  auto second = store_->upsertIncident(again, "e2").value();
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.incident.id, "inc-fixed");
  EXPECT_EQ(second.incident.event_count, 2);
  EXPECT_EQ(second.incident.updated_ms, 2000);
  EXPECT_EQ(second.incident.created_ms, 1000);
  EXPECT_EQ(second.incident.title, "SSH brute force");
  EXPECT_EQ(second.incident.first_event_id, "e1");

  // Re-processing the same event (after a crash) changes nothing.
  auto third = store_->upsertIncident(again, "e2").value();
  EXPECT_FALSE(third.created);
  EXPECT_EQ(third.incident.event_count, 2);
  EXPECT_EQ(store_->incidentEvents("inc-fixed").value(), (std::vector<std::string>{"e1", "e2"}));

  // Generated ids when none is given.
  auto gen = store_->upsertIncident(makeIncident("other-key", 3000), "e1").value();
  EXPECT_TRUE(gen.created);
  EXPECT_TRUE(gen.incident.id.starts_with("inc-")) << gen.incident.id;
  EXPECT_EQ(store_->upsertIncident(makeIncident("", 1), "e1").error().code, "InvalidArgument");
}

TEST_P(StoreTest, ConcurrentUpsertsOfOneKeyCreateExactlyOneIncident) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  std::atomic<int> created{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string ev = "ev-" + std::to_string(t) + "-" + std::to_string(i);
        auto u = store_->upsertIncident(makeIncident("shared-key", 1000 + i), ev);
        if (!u) {
          ++failures;
          ADD_FAILURE() << u.error().str();
        } else if (u->created) {
          ++created;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(created.load(), 1);
  auto all = store_->listIncidents(100, 0).value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].event_count, kThreads * kPerThread);
  EXPECT_EQ(store_->incidentEvents(all[0].id).value().size(), size_t{kThreads * kPerThread});
}

// A released incident takes no repeat of its finding: the next one opens a new incident. The
// release's who and why are in its audit record.
TEST_P(StoreTest, AReleasedIncidentTakesNoRepeats) {
  IncidentRecord r = makeIncident("acct/us-east-1/i-1/f-1", 1000);
  r.id = "inc-a";
  ASSERT_TRUE(store_->upsertIncident(r, ""));
  const int64_t head = store_->auditHead().value();
  ASSERT_TRUE(store_->setIncidentStatus("inc-a", "released", 2000, Store::Flush::kNow,
                                        {"alice via 127.0.0.1:1", "false positive"}));
  auto audit = store_->readAudit(head, 10).value();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].kind, "incident.status");
  auto j = parseJson(audit[0].json).value();
  EXPECT_EQ(j.at("by").as_string(), "alice via 127.0.0.1:1");
  EXPECT_EQ(j.at("reason").as_string(), "false positive");
  EXPECT_EQ(store_->getIncident("inc-a").value()->dedup_key,
            "acct/us-east-1/i-1/f-1#released:inc-a");
  ASSERT_TRUE(store_->setIncidentStatus("inc-a", "released", 2500));  // retired once
  EXPECT_EQ(store_->getIncident("inc-a").value()->dedup_key,
            "acct/us-east-1/i-1/f-1#released:inc-a");
  r.id = "inc-b";
  auto again = store_->upsertIncident(r, "");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->created);
  EXPECT_EQ(again->incident.id, "inc-b");
  EXPECT_EQ(store_->getIncident("inc-a").value()->event_count, 1);  // unchanged
}

TEST_P(StoreTest, ListIncidentsNewestFirstWithPagingAndStatus) {
  for (int i = 0; i < 5; ++i) {
    IncidentRecord r = makeIncident("key-" + std::to_string(i), 1000 + i * 10);
    r.id = "inc-" + std::to_string(i);
    ASSERT_TRUE(store_->upsertIncident(r, ""));
  }
  auto page1 = store_->listIncidents(2, 0).value();
  auto page2 = store_->listIncidents(2, 2).value();
  auto page3 = store_->listIncidents(2, 4).value();
  ASSERT_EQ(page1.size(), 2u);
  ASSERT_EQ(page2.size(), 2u);
  ASSERT_EQ(page3.size(), 1u);
  EXPECT_EQ(page1[0].id, "inc-4");
  EXPECT_EQ(page1[1].id, "inc-3");
  EXPECT_EQ(page2[0].id, "inc-2");
  EXPECT_EQ(page3[0].id, "inc-0");
  EXPECT_EQ(store_->listIncidents(-1, 0).error().code, "InvalidArgument");

  ASSERT_TRUE(store_->setIncidentStatus("inc-2", "contained", 5000));
  auto got = store_->getIncident("inc-2").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "contained");
  EXPECT_EQ(got->updated_ms, 5000);
  EXPECT_EQ(got->dedup_key, "key-2");
  EXPECT_FALSE(store_->getIncident("inc-none").value());
  EXPECT_EQ(store_->setIncidentStatus("inc-none", "contained", 1).error().code, "NotFound");
  EXPECT_TRUE(store_->incidentEvents("inc-none").value().empty());
}

// --- executions ---

TEST_P(StoreTest, ExecutionRoundTripsWithHistory) {
  std::string inc = incident();
  ExecutionRecord x = makeExecution("exec-1", inc, 0);
  x.dry_run = true;
  x.lease_owner = "w1";
  x.lease_until_ms = 77;
  ASSERT_TRUE(store_->createExecution(
      x, {makeHistory("exec-1", 1, "ExecutionStarted"), makeHistory("", 2, "TaskStateEntered")}));
  auto got = store_->getExecution("exec-1").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->incident_id, inc);
  EXPECT_EQ(got->playbook, "contain-ec2-instance");
  EXPECT_EQ(got->definition, x.definition);
  EXPECT_EQ(got->status, "RUNNING");
  EXPECT_EQ(got->input, x.input);
  EXPECT_EQ(got->snapshot, x.snapshot);
  EXPECT_EQ(got->started_ms, 1000);
  EXPECT_TRUE(got->dry_run);
  EXPECT_EQ(got->lease_owner, "w1");
  EXPECT_EQ(got->lease_until_ms, 77);
  auto h = store_->history("exec-1").value();
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].type, "ExecutionStarted");
  EXPECT_EQ(h[1].execution_id, "exec-1");
  EXPECT_EQ(h[1].seq, 2);
  EXPECT_EQ(h[1].previous_seq, 1);
  EXPECT_EQ(h[1].timestamp_ms, 1002);
  EXPECT_EQ(h[1].details, R"({"name":"A"})");

  ASSERT_TRUE(store_->createExecution(makeExecution("exec-2", inc, 0), {}));
  auto list = store_->executionsForIncident(inc).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "exec-1");
  EXPECT_EQ(list[1].id, "exec-2");
  EXPECT_FALSE(store_->getExecution("exec-none").value());
  EXPECT_TRUE(store_->history("exec-none").value().empty());

  // Duplicate id, missing incident, history of another execution: errors, nothing stored.
  EXPECT_EQ(store_->createExecution(makeExecution("exec-1", inc, 0), {}).error().code, "Conflict");
  EXPECT_EQ(store_->createExecution(makeExecution("exec-3", "inc-none", 0), {}).error().code,
            "NotFound");
  EXPECT_EQ(store_
                ->createExecution(makeExecution("exec-4", inc, 0),
                                  {makeHistory("exec-other", 1, "ExecutionStarted")})
                .error()
                .code,
            "InvalidArgument");
  EXPECT_FALSE(store_->getExecution("exec-4").value());
  // An execution without an incident is allowed.
  EXPECT_TRUE(store_->createExecution(makeExecution("exec-5", "", 0), {}));
  EXPECT_EQ(store_->getExecution("exec-5").value()->incident_id, "");
}

TEST_P(StoreTest, ClaimRunnableHonoursWakeTimesAndLeases) {
  std::string inc = incident();
  ASSERT_TRUE(store_->createExecution(makeExecution("x-late", inc, 1000), {}));
  ASSERT_TRUE(store_->createExecution(makeExecution("x-soon", inc, 100), {}));
  ASSERT_TRUE(store_->createExecution(makeExecution("x-now", inc, 0), {}));
  ExecutionRecord done = makeExecution("x-done", inc, 0);
  done.status = "SUCCEEDED";
  ASSERT_TRUE(store_->createExecution(done, {}));

  auto claimed = store_->claimRunnable("w1", 500, 1000, 10).value();
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, "x-now");  // earliest wake first
  EXPECT_EQ(claimed[1].id, "x-soon");
  EXPECT_EQ(claimed[0].lease_owner, "w1");
  EXPECT_EQ(claimed[0].lease_until_ms, 1500);
  EXPECT_EQ(store_->getExecution("x-soon").value()->lease_owner, "w1");

  // Leased: nobody else gets them until the lease expires.
  EXPECT_TRUE(store_->claimRunnable("w2", 1499, 1000, 10).value().size() == 1u);  // x-late only
  auto after = store_->claimRunnable("w2", 1500, 1000, 1).value();
  ASSERT_EQ(after.size(), 1u);  // limit respected
  EXPECT_EQ(after[0].id, "x-now");
  EXPECT_EQ(after[0].lease_owner, "w2");
  EXPECT_EQ(after[0].lease_until_ms, 2500);
  EXPECT_EQ(store_->claimRunnable("", 0, 1, 1).error().code, "InvalidArgument");
  EXPECT_EQ(store_->claimRunnable("w", 0, 0, 1).error().code, "InvalidArgument");
  EXPECT_TRUE(store_->claimRunnable("w", 0, 1, 0).value().empty());
}

TEST_P(StoreTest, RecordStepRequiresTheLease) {
  std::string inc = incident();
  ASSERT_TRUE(store_->createExecution(makeExecution("x", inc, 0),
                                      {makeHistory("x", 1, "ExecutionStarted")}));
  auto mine = store_->claimRunnable("w1", 0, 100, 1).value();
  ASSERT_EQ(mine.size(), 1u);
  ExecutionRecord step = mine[0];
  step.snapshot = R"({"state":"B"})";
  step.wake_ms = 50;
  ASSERT_TRUE(store_->recordStep(step, {makeHistory("x", 2, "PassStateEntered")}));
  auto got = store_->getExecution("x").value();
  EXPECT_EQ(got->snapshot, R"({"state":"B"})");
  EXPECT_EQ(got->wake_ms, 50);
  EXPECT_EQ(got->lease_owner, "w1");

  // The lease expires and w2 claims it: w1's next step is refused and leaves nothing behind.
  auto theirs = store_->claimRunnable("w2", 100, 100, 1).value();
  ASSERT_EQ(theirs.size(), 1u);
  step.snapshot = R"({"state":"C"})";
  auto lost = store_->recordStep(step, {makeHistory("x", 3, "PassStateExited")});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, "LeaseLost");
  EXPECT_EQ(store_->getExecution("x").value()->snapshot, R"({"state":"B"})");
  EXPECT_EQ(store_->history("x").value().size(), 2u);

  // The new owner finishes it.
  ExecutionRecord fin = theirs[0];
  fin.status = "SUCCEEDED";
  fin.output = R"({"ok":true})";
  fin.ended_ms = 2000;
  ASSERT_TRUE(store_->recordStep(fin, {makeHistory("x", 3, "ExecutionSucceeded")}));
  got = store_->getExecution("x").value();
  EXPECT_EQ(got->status, "SUCCEEDED");
  EXPECT_EQ(got->output, R"({"ok":true})");
  EXPECT_EQ(got->ended_ms, 2000);
  EXPECT_EQ(store_->history("x").value().back().type, "ExecutionSucceeded");
  EXPECT_TRUE(store_->claimRunnable("w3", 1'000'000, 100, 10).value().empty());

  // A duplicate history seq fails the whole step.
  ExecutionRecord again = fin;
  again.status = "FAILED";
  EXPECT_FALSE(store_->recordStep(again, {makeHistory("x", 3, "Dup")}));
  EXPECT_EQ(store_->getExecution("x").value()->status, "SUCCEEDED");

  ExecutionRecord ghost = makeExecution("ghost", inc, 0);
  EXPECT_EQ(store_->recordStep(ghost, {}).error().code, "NotFound");
}

TEST_P(StoreTest, RecordStepsWritesManyExecutionsInOneTransaction) {
  std::string inc = incident();
  for (const char* id : {"a", "b", "c"})
    ASSERT_TRUE(store_->createExecution(makeExecution(id, inc, 0),
                                        {makeHistory(id, 1, "ExecutionStarted")}));
  auto mine = store_->claimRunnable("w1", 0, 100, 3).value();
  ASSERT_EQ(mine.size(), 3u);
  int64_t audit_before = store_->auditHead().value();
  // b's lease is taken over by w2: its step is refused alone, a and c are written.
  ASSERT_EQ(store_->claimRunnable("w2", 200, 100, 3).value().size(), 3u);
  ExecutionRecord a = mine[0], b = mine[1], c = mine[2];
  a.lease_owner = c.lease_owner = "w2";  // a and c are w2's now too: write them as w2
  a.snapshot = R"({"state":"A2"})";
  b.snapshot = R"({"state":"B2"})";
  c.status = "SUCCEEDED";
  c.output = R"({"done":1})";
  c.ended_ms = 300;
  std::vector<HistoryRecord> ha = {makeHistory(a.id, 2, "PassStateEntered"),
                                   makeHistory(a.id, 3, "PassStateExited")};
  std::vector<HistoryRecord> hb = {makeHistory(b.id, 2, "PassStateEntered")};
  std::vector<HistoryRecord> hc = {makeHistory(c.id, 2, "ExecutionSucceeded")};
  auto written = store_->recordSteps({{&a, &ha}, {&b, &hb}, {&c, &hc}});
  ASSERT_TRUE(written) << written.error().str();
  ASSERT_EQ(written->size(), 3u);
  EXPECT_TRUE((*written)[0]);
  ASSERT_FALSE((*written)[1]);
  EXPECT_EQ((*written)[1].error().code, "LeaseLost");
  EXPECT_TRUE((*written)[2]);
  EXPECT_EQ(store_->getExecution(a.id).value()->snapshot, R"({"state":"A2"})");
  EXPECT_EQ(store_->history(a.id).value().size(), 3u);
  EXPECT_EQ(store_->getExecution(b.id).value()->snapshot, mine[1].snapshot);
  EXPECT_EQ(store_->history(b.id).value().size(), 1u);
  EXPECT_EQ(store_->getExecution(c.id).value()->status, "SUCCEEDED");
  EXPECT_EQ(store_->history(c.id).value().back().type, "ExecutionSucceeded");
  // One audit record per written history event, none for the refused step.
  EXPECT_EQ(store_->auditHead().value() - audit_before, 3);

  // A failing statement (a duplicate history seq in c) writes nothing of the batch.
  a.snapshot = R"({"state":"A3"})";
  std::vector<HistoryRecord> ha2 = {makeHistory(a.id, 4, "PassStateEntered")};
  std::vector<HistoryRecord> dup = {makeHistory(c.id, 2, "Dup")};
  EXPECT_FALSE(store_->recordSteps({{&a, &ha2}, {&c, &dup}}));
  EXPECT_EQ(store_->getExecution(a.id).value()->snapshot, R"({"state":"A2"})");
  EXPECT_EQ(store_->history(a.id).value().size(), 3u);
  EXPECT_TRUE(store_->recordSteps({}).value().empty());
  ExecutionRecord ghost = makeExecution("ghost", inc, 0);
  std::vector<HistoryRecord> none;
  auto g = store_->recordSteps({{&ghost, &none}});
  ASSERT_TRUE(g);
  EXPECT_EQ((*g)[0].error().code, "NotFound");
}

TEST_P(StoreTest, SnapshotBlobsAreWrittenWithTheStepAndDroppedAtTheEnd) {
  std::string inc = incident();
  ASSERT_TRUE(store_->createExecution(makeExecution("x", inc, 0), {}));
  auto mine = store_->claimRunnable("w1", 0, 100, 1).value();
  ASSERT_EQ(mine.size(), 1u);
  ExecutionRecord x = mine[0];
  std::vector<HistoryRecord> none;
  std::vector<SnapshotBlobRecord> blobs = {{"b1", R"([1,2,3])"}, {"b2", R"({"k":"v"})"}};
  ASSERT_TRUE(store_->recordSteps({{&x, &none, &blobs}}).value().at(0));
  EXPECT_EQ(store_->snapshotBlob("x", "b1").value(), std::optional<std::string>("[1,2,3]"));
  EXPECT_EQ(store_->snapshotBlob("x", "b2").value(), std::optional<std::string>(R"({"k":"v"})"));
  EXPECT_FALSE(store_->snapshotBlob("x", "b3").value().has_value());
  EXPECT_FALSE(store_->snapshotBlob("other", "b1").value().has_value());
  // A blob handed out again (a step replayed after a failed batch) is kept as it was.
  std::vector<SnapshotBlobRecord> again = {{"b2", R"({"k":"v"})"}, {"b3", "7"}};
  ASSERT_TRUE(store_->recordSteps({{&x, &none, &again}}).value().at(0));
  EXPECT_EQ(store_->snapshotBlob("x", "b3").value(), std::optional<std::string>("7"));
  // The end of the execution drops them.
  x.status = "SUCCEEDED";
  ASSERT_TRUE(store_->recordSteps({{&x, &none, nullptr}}).value().at(0));
  EXPECT_FALSE(store_->snapshotBlob("x", "b1").value().has_value());
  EXPECT_FALSE(store_->snapshotBlob("x", "b3").value().has_value());
}

TEST_P(StoreTest, ConcurrentClaimsNeverHandOutOneExecutionTwice) {
  std::string inc = incident();
  constexpr int kExecutions = 40;
  for (int i = 0; i < kExecutions; ++i) {
    ASSERT_TRUE(store_->createExecution(makeExecution("x" + std::to_string(i), inc, i), {}));
  }
  std::mutex mu;
  std::vector<std::string> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        auto got = store_->claimRunnable("w" + std::to_string(t), 1000, 60'000, 3);
        if (!got) {
          ADD_FAILURE() << got.error().str();
          return;
        }
        if (got->empty()) return;
        std::lock_guard lock(mu);
        for (const auto& x : *got) all.push_back(x.id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(all.size(), size_t{kExecutions});
  EXPECT_EQ(unique.size(), size_t{kExecutions});
}

TEST_P(StoreTest, ReleaseLeasesFreesOnlyThatOwnersRunningExecutions) {
  std::string inc = incident();
  ASSERT_TRUE(store_->createExecution(makeExecution("mine", inc, 10), {}));
  ASSERT_TRUE(store_->createExecution(makeExecution("theirs", inc, 20), {}));
  ASSERT_EQ(store_->claimRunnable("w1", 1000, 60'000, 1).value().size(), 1u);
  ASSERT_EQ(store_->claimRunnable("w2", 1000, 60'000, 1).value().size(), 1u);
  EXPECT_TRUE(store_->claimRunnable("w1", 1000, 60'000, 5).value().empty());  // both leased
  EXPECT_EQ(store_->releaseLeases("w1").value(), 1);
  auto again = store_->claimRunnable("w3", 1000, 60'000, 5).value();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, "mine");
  EXPECT_EQ(store_->releaseLeases("nobody").value(), 0);
}

TEST_P(StoreTest, NextWakeAndExecutionCounts) {
  EXPECT_FALSE(store_->nextWake().value());
  EXPECT_TRUE(store_->executionCounts().value().empty());
  std::string inc = incident();
  ExecutionRecord done = makeExecution("done", inc, 5);
  done.status = "SUCCEEDED";
  ASSERT_TRUE(store_->createExecution(done, {}));
  EXPECT_FALSE(store_->nextWake().value());  // only RUNNING executions wake
  ASSERT_TRUE(store_->createExecution(makeExecution("a", inc, 900), {}));
  ASSERT_TRUE(store_->createExecution(makeExecution("b", inc, 300), {}));
  ExecutionRecord failed = makeExecution("f", inc, 1);
  failed.status = "FAILED";
  ASSERT_TRUE(store_->createExecution(failed, {}));
  EXPECT_EQ(store_->nextWake().value(), std::optional<int64_t>(300));
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(store_->executionCounts().value(),
            (Counts{{"FAILED", 1}, {"RUNNING", 2}, {"SUCCEEDED", 1}}));
}

// --- actions ---

TEST_P(StoreTest, ActionsInsertUpdateAndListOldestFirst) {
  std::string inc = incident();
  ASSERT_TRUE(store_->createExecution(makeExecution("x", inc, 0), {}));
  ASSERT_TRUE(store_->insertAction(makeAction("act-2", inc, "x", 200)));
  ASSERT_TRUE(store_->insertAction(makeAction("act-1", inc, "x", 100)));
  ASSERT_TRUE(store_->insertAction(makeAction("act-3", inc, "", 300)));  // outside an execution

  ActionRecord upd = makeAction("act-1", inc, "x", 100);
  upd.status = "succeeded";
  upd.before = R"({"groups":["sg-a","sg-b"]})";
  upd.after = R"({"groups":["sg-q"]})";
  upd.output = R"({"changed":true})";
  upd.summary = "moved i-0abc from [sg-a, sg-b] to sg-q";
  upd.changed = true;
  upd.ended_ms = 150;
  ASSERT_TRUE(store_->updateAction(upd));

  auto list = store_->actionsForIncident(inc).value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, "act-1");
  EXPECT_EQ(list[1].id, "act-2");
  EXPECT_EQ(list[2].id, "act-3");
  EXPECT_EQ(list[0].status, "succeeded");
  EXPECT_EQ(list[0].before, upd.before);
  EXPECT_EQ(list[0].after, upd.after);
  EXPECT_EQ(list[0].output, upd.output);
  EXPECT_EQ(list[0].summary, upd.summary);
  EXPECT_TRUE(list[0].changed);
  EXPECT_EQ(list[0].ended_ms, 150);
  EXPECT_EQ(list[0].execution_id, "x");
  EXPECT_EQ(list[0].state_name, "Isolate");
  EXPECT_EQ(list[0].action, "aws.ec2.isolateInstance");
  EXPECT_EQ(list[1].status, "running");
  EXPECT_FALSE(list[1].changed);
  EXPECT_EQ(list[2].execution_id, "");

  ActionRecord failed = makeAction("act-2", inc, "x", 200);
  failed.status = "failed";
  failed.error_code = "InvalidInstanceID.NotFound";
  failed.error_message = "The instance ID 'i-0abc' does not exist";
  ASSERT_TRUE(store_->updateAction(failed));
  auto a2 = store_->actionsForIncident(inc).value()[1];
  EXPECT_EQ(a2.error_code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(a2.error_message, failed.error_message);

  EXPECT_EQ(store_->insertAction(makeAction("act-1", inc, "x", 1)).error().code, "Conflict");
  EXPECT_EQ(store_->updateAction(makeAction("act-none", inc, "x", 1)).error().code, "NotFound");
  EXPECT_EQ(store_->insertAction(makeAction("act-9", "inc-none", "", 1)).error().code, "NotFound");
  EXPECT_TRUE(store_->actionsForIncident("inc-none").value().empty());
}

TEST_P(StoreTest, ActionsWithStatusAcrossIncidentsOldestFirst) {
  std::string a = incident();
  std::string b = incident("acct/region/i-other/SSH");
  auto act = [&](const char* id, const std::string& inc, const char* name, const char* status,
                 int64_t t) {
    ActionRecord r = makeAction(id, inc, "", t);
    r.action = name;
    r.status = status;
    ASSERT_TRUE(store_->insertAction(r));
  };
  act("b1", b, "aws.ec2.blockIp", "succeeded", 300);
  act("a1", a, "aws.ec2.blockIp", "succeeded", 100);
  act("a2", a, "aws.wafv2.blockIp", "succeeded", 200);
  act("a3", a, "aws.ec2.blockIp", "released", 150);
  act("a4", a, "aws.ec2.isolateInstance", "succeeded", 50);
  auto got = store_->actionsWithStatus({"aws.ec2.blockIp", "aws.wafv2.blockIp"}, "succeeded");
  ASSERT_TRUE(got) << got.error().str();
  std::vector<std::string> ids;
  for (const auto& r : *got) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a1", "a2", "b1"}));
  EXPECT_TRUE(store_->actionsWithStatus({}, "succeeded").value().empty());
  EXPECT_EQ(store_->actionsWithStatus({"aws.ec2.blockIp"}, "released").value().size(), 1u);
}

TEST_P(StoreTest, GetActionByIdReadsBackEveryField) {
  std::string inc = incident();
  ASSERT_TRUE(store_->createExecution(makeExecution("x", inc, 0), {}));
  ASSERT_TRUE(store_->insertAction(makeAction("act-x-7", inc, "x", 100)));
  auto running = store_->getAction("act-x-7");
  ASSERT_TRUE(running) << running.error().str();
  ASSERT_TRUE(running->has_value());
  EXPECT_EQ((*running)->status, "running");
  EXPECT_EQ((*running)->execution_id, "x");
  EXPECT_EQ((*running)->state_name, "Isolate");

  ActionRecord done = makeAction("act-x-7", inc, "x", 100);
  done.status = "succeeded";
  done.input = R"({"instanceId":"i-0abc"})";
  done.before = R"({"groups":["sg-a"]})";
  done.after = R"({"groups":["sg-q"]})";
  done.output = R"({"quarantineGroupId":"sg-q"})";
  done.summary = "moved i-0abc";
  done.changed = true;
  done.ended_ms = 140;
  ASSERT_TRUE(store_->updateAction(done));
  auto got = store_->getAction("act-x-7").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, "act-x-7");
  EXPECT_EQ(got->incident_id, inc);
  EXPECT_EQ(got->status, "succeeded");
  EXPECT_EQ(got->input, done.input);
  EXPECT_EQ(got->before, done.before);
  EXPECT_EQ(got->after, done.after);
  EXPECT_EQ(got->output, done.output);
  EXPECT_EQ(got->summary, done.summary);
  EXPECT_TRUE(got->changed);
  EXPECT_EQ(got->started_ms, 100);
  EXPECT_EQ(got->ended_ms, 140);

  auto none = store_->getAction("act-none");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

// --- audit log and sink cursors ---

// The kinds of the audit records after `after`, in order.
std::vector<std::string> kinds(Store& s, int64_t after = 0) {
  std::vector<std::string> out;
  auto recs = s.readAudit(after, 1000);
  EXPECT_TRUE(recs) << recs.error().str();
  if (!recs) return out;
  for (const auto& r : *recs) out.push_back(r.kind);
  return out;
}

// A JSON value as text: strings unquoted.
std::string S(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : toJson(v);
}

json::object auditJson(const AuditRecord& r) {
  auto v = parseJson(r.json);
  EXPECT_TRUE(v && v->is_object()) << r.json;
  return v && v->is_object() ? v->as_object() : json::object();
}

TEST_P(StoreTest, AuditLogRecordsEachFactOnceInOrder) {
  EXPECT_EQ(store_->auditHead().value(), 0);
  EXPECT_TRUE(store_->readAudit(0, 10).value().empty());

  auto first = store_->upsertIncident(makeIncident("k", 1000), "ev-1").value();
  auto repeat = store_->upsertIncident(makeIncident("k", 2000), "ev-2").value();
  // The same event again attaches nothing: no audit record.
  ASSERT_TRUE(store_->upsertIncident(makeIncident("k", 3000), "ev-2"));
  const std::string inc = first.incident.id;
  ASSERT_TRUE(store_->setIncidentStatus(inc, "responding", 2500));

  ExecutionRecord x = makeExecution("x", inc, 0);
  x.lease_owner = "w1";
  ASSERT_TRUE(store_->createExecution(x, {makeHistory("x", 1, "ExecutionStarted")}));
  ExecutionRecord step = x;
  step.incident_id = "";  // the store fills the incident from the execution row
  ASSERT_TRUE(store_->recordStep(
      step, {makeHistory("x", 2, "TaskStateEntered"), makeHistory("x", 3, "TaskScheduled")}));
  ASSERT_TRUE(store_->recordStep(step, {}));  // no events: no records

  ASSERT_TRUE(store_->insertAction(makeAction("act-1", inc, "x", 100)));  // running: none
  ActionRecord done = makeAction("act-1", inc, "x", 100);
  done.status = "succeeded";
  done.before = R"({"groups":["sg-a"]})";
  done.after = R"({"groups":["sg-q"]})";
  done.summary = "moved i-0abc from [sg-a] to sg-q";
  done.changed = true;
  done.ended_ms = 150;
  ASSERT_TRUE(store_->updateAction(done));
  ActionRecord dry = makeAction("act-2", inc, "x", 160);
  dry.status = "dry_run";
  ASSERT_TRUE(store_->insertAction(dry));  // inserted already ended: recorded at once

  EXPECT_EQ(kinds(*store_),
            (std::vector<std::string>{"incident.opened", "incident.event", "incident.status",
                                      "execution.started", "execution.step", "execution.step",
                                      "execution.step", "action.finished", "action.finished"}));
  auto recs = store_->readAudit(0, 100).value();
  ASSERT_EQ(recs.size(), 9u);
  for (size_t i = 1; i < recs.size(); ++i) EXPECT_GT(recs[i].seq, recs[i - 1].seq);
  EXPECT_EQ(store_->auditHead().value(), recs.back().seq);

  auto opened = auditJson(recs[0]);
  EXPECT_EQ(S(opened["event_id"]), "ev-1");
  EXPECT_EQ(S(opened["incident"].as_object().at("id")), inc);
  EXPECT_EQ(S(opened["incident"].as_object().at("finding_type")),
            "UnauthorizedAccess:EC2/SSHBruteForce");
  EXPECT_EQ(recs[0].time_ms, 1000);
  EXPECT_EQ(S(auditJson(recs[1])["incident"].as_object().at("event_count")), "2");
  EXPECT_EQ(S(auditJson(recs[2])["incident"].as_object().at("status")), "responding");
  EXPECT_EQ(recs[2].time_ms, 2500);
  auto started = auditJson(recs[3]);
  EXPECT_EQ(S(started["execution_id"]), "x");
  EXPECT_EQ(S(started["incident_id"]), inc);
  EXPECT_EQ(S(started["playbook"]), "contain-ec2-instance");
  auto s2 = auditJson(recs[5]);
  EXPECT_EQ(S(s2["type"]), "TaskStateEntered");
  EXPECT_EQ(S(s2["incident_id"]), inc);
  EXPECT_EQ(S(s2["seq"]), "2");
  EXPECT_EQ(S(s2["details"].as_object().at("name")), "A");
  EXPECT_EQ(recs[5].time_ms, 1002);
  auto fin = auditJson(recs[7]);
  EXPECT_EQ(S(fin["action_id"]), "act-1");
  EXPECT_EQ(S(fin["status"]), "succeeded");
  EXPECT_EQ(S(fin["summary"]), done.summary);
  EXPECT_EQ(S(fin["before"].as_object().at("groups").as_array().at(0)), "sg-a");
  EXPECT_EQ(S(fin["after"].as_object().at("groups").as_array().at(0)), "sg-q");
  EXPECT_EQ(S(fin["changed"]), "true");
  EXPECT_EQ(recs[7].time_ms, 150);
  EXPECT_EQ(S(auditJson(recs[8])["status"]), "dry_run");

  // Paging: after a seq, bounded by the limit.
  auto page = store_->readAudit(recs[2].seq, 2).value();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, recs[3].seq);
  EXPECT_EQ(page[1].seq, recs[4].seq);
  EXPECT_TRUE(store_->readAudit(recs.back().seq, 10).value().empty());
  EXPECT_EQ(store_->readAudit(0, -1).error().code, "InvalidArgument");
}

TEST_P(StoreTest, FailedWritesLeaveNoAuditRecord) {
  std::string inc = incident();
  int64_t head = store_->auditHead().value();
  EXPECT_FALSE(store_->setIncidentStatus("inc-none", "contained", 1));
  ExecutionRecord x = makeExecution("x", inc, 0);
  x.lease_owner = "w1";
  ASSERT_TRUE(store_->createExecution(x, {}));
  head = store_->auditHead().value();
  EXPECT_FALSE(store_->createExecution(x, {makeHistory("x", 1, "ExecutionStarted")}));  // dup
  ExecutionRecord thief = x;
  thief.lease_owner = "w2";
  EXPECT_EQ(store_->recordStep(thief, {makeHistory("x", 1, "TaskStateEntered")}).error().code,
            "LeaseLost");
  ActionRecord none = makeAction("act-none", inc, "x", 1);
  none.status = "failed";
  EXPECT_FALSE(store_->updateAction(none));
  EXPECT_EQ(store_->auditHead().value(), head);
}

// One worker at a time delivers a sink: the lease is its holder's until it expires.
TEST_P(StoreTest, ASinkLeaseHasOneHolderUntilItExpires) {
  EXPECT_TRUE(store_->claimSinkLease("slack", "w1", 1000, 100).value());
  EXPECT_FALSE(store_->claimSinkLease("slack", "w2", 1050, 100).value());
  EXPECT_TRUE(store_->claimSinkLease("syslog", "w2", 1050, 100).value());  // per sink
  EXPECT_TRUE(store_->claimSinkLease("slack", "w1", 1090, 100).value());   // renewed: to 1190
  EXPECT_FALSE(store_->claimSinkLease("slack", "w2", 1150, 100).value());
  reopen();
  EXPECT_FALSE(store_->claimSinkLease("slack", "w2", 1189, 100).value());  // durable
  EXPECT_TRUE(store_->claimSinkLease("slack", "w2", 1190, 100).value());   // expired: taken over
  EXPECT_FALSE(store_->claimSinkLease("slack", "w1", 1200, 100).value());
  EXPECT_EQ(store_->claimSinkLease("", "w1", 1200, 100).error().code, "InvalidArgument");
}

// A remote threat list's last good copy: one a list, replaced by the newest, durable.
TEST_P(StoreTest, AThreatListCopyIsKeptPerListAndReplaced) {
  EXPECT_EQ(store_->getThreatListCopy("tor").value(), std::nullopt);
  store::ThreatListCopy c{
      "tor", "s3://b/k|txt", "198.51.100.0/24\n203.0.113.9/32\n", 2, "\"e1\"", "", 1000};
  ASSERT_TRUE(store_->putThreatListCopy(c));
  c.entries = "2001:db8::/32\n";
  c.etag = "\"e2\"";
  c.last_modified = "Wed, 02 Dec 2026 10:00:00 GMT";
  c.fetched_ms = 2000;
  c.bad_lines = 0;
  ASSERT_TRUE(store_->putThreatListCopy(c));
  ASSERT_TRUE(store_->putThreatListCopy({"other", "https://x|txt", "", 0, "", "", 5}));
  reopen();
  auto got = store_->getThreatListCopy("tor").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->fetch_key, "s3://b/k|txt");
  EXPECT_EQ(got->entries, "2001:db8::/32\n");
  EXPECT_EQ(got->bad_lines, 0);
  EXPECT_EQ(got->etag, "\"e2\"");
  EXPECT_EQ(got->last_modified, "Wed, 02 Dec 2026 10:00:00 GMT");
  EXPECT_EQ(got->fetched_ms, 2000);
  EXPECT_EQ(store_->getThreatListCopy("other").value()->fetched_ms, 5);
  ASSERT_TRUE(store_->touchThreatListCopy("tor", "s3://b/k|txt", 3000));  // confirmed current
  ASSERT_TRUE(store_->touchThreatListCopy("tor", "another key", 9000));   // not its copy
  EXPECT_EQ(store_->getThreatListCopy("tor").value()->fetched_ms, 3000);
  EXPECT_EQ(store_->getThreatListCopy("tor").value()->entries, "2001:db8::/32\n");
  EXPECT_EQ(store_->getThreatListCopy("").error().code, "InvalidArgument");
}

TEST_P(StoreTest, SinkCursorsAreDurablePerSink) {
  EXPECT_EQ(store_->sinkCursor("splunk").value(), 0);
  ASSERT_TRUE(store_->setSinkCursor("splunk", 5));
  ASSERT_TRUE(store_->setSinkCursor("syslog", 2));
  ASSERT_TRUE(store_->setSinkCursor("splunk", 7));
  reopen();
  EXPECT_EQ(store_->sinkCursor("splunk").value(), 7);
  EXPECT_EQ(store_->sinkCursor("syslog").value(), 2);
  EXPECT_EQ(store_->sinkCursor("file").value(), 0);
  EXPECT_EQ(store_->sinkCursorIfSet("file").value(), std::nullopt);  // never set
  ASSERT_TRUE(store_->setSinkCursor("new", 0));
  EXPECT_EQ(store_->sinkCursorIfSet("new").value(), std::optional<int64_t>(0));  // set, at 0
  EXPECT_EQ(store_->sinkCursorIfSet("splunk").value(), std::optional<int64_t>(7));
  EXPECT_EQ(store_->setSinkCursor("", 1).error().code, "InvalidArgument");
  EXPECT_EQ(store_->setSinkCursor("x", -1).error().code, "InvalidArgument");
}

TEST_P(StoreTest, ConcurrentWritersProduceAGapFreeAuditLog) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->upsertIncident(
            makeIncident("k" + std::to_string(t) + "-" + std::to_string(i), 1000), "");
        EXPECT_TRUE(r) << r.error().str();
      }
    });
  }
  for (auto& th : threads) th.join();
  auto recs = store_->readAudit(0, 1000).value();
  ASSERT_EQ(recs.size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> ids;
  for (const auto& r : recs)
    ids.insert(auditJson(r)["incident"].as_object().at("id").as_string().c_str());
  EXPECT_EQ(ids.size(), recs.size());
}

// --- durability ---

TEST_P(StoreTest, EverythingSurvivesCloseAndReopen) {
  ASSERT_TRUE(store_->insertEvents({makeEvent("e1", 1)}));
  ASSERT_TRUE(store_->markEvent("e1", "processed", {"r"}, ""));
  auto inc = store_->upsertIncident(makeIncident("k", 1000), "e1").value().incident.id;
  ExecutionRecord x = makeExecution("x", inc, 0);
  ASSERT_TRUE(store_->createExecution(x, {makeHistory("x", 1, "ExecutionStarted")}));
  ASSERT_TRUE(store_->insertAction(makeAction("act-1", inc, "x", 5)));

  reopen();

  auto e = store_->getEvent("e1").value();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, "processed");
  EXPECT_EQ(e->matched_rules, std::vector<std::string>{"r"});
  auto i = store_->getIncident(inc).value();
  ASSERT_TRUE(i);
  EXPECT_EQ(i->event_count, 1);
  EXPECT_EQ(store_->incidentEvents(inc).value(), std::vector<std::string>{"e1"});
  EXPECT_EQ(store_->getExecution("x").value()->definition, x.definition);
  EXPECT_EQ(store_->history("x").value().size(), 1u);
  EXPECT_EQ(store_->actionsForIncident(inc).value().size(), 1u);
  // The same dedup key still finds the same incident after reopening.
  auto again = store_->upsertIncident(makeIncident("k", 2000), "e2").value();
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.incident.id, inc);
}

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values(Backend::kSqlite), backendName);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, ::testing::Values(Backend::kPostgres), backendName);

}  // namespace
}  // namespace riposte::store
