// Task tokens and their callbacks in the store (StepRef::tokens, acceptTaskCallback, …), the
// same suite against both backends: Sqlite/TaskTokenStoreTest.* on a temp file,
// Postgres/TaskTokenStoreTest.* on the throwaway server of pg_server.h.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "core/json.h"
#include "pg_server.h"
#include "store/store.h"

namespace riposte::store {
namespace {

enum class Backend { kSqlite, kPostgres };

// A digest as the interpreter makes them (64 lowercase hex digits).
std::string digest(char c) {
  return std::string(64, c);
}

class TaskTokenStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      char tmpl[] = "/tmp/riposte-tokens-test-XXXXXX";
      dir_ = ::mkdtemp(tmpl);
      url_ = "sqlite://" + dir_ + "/riposte.db";
    } else {
      auto server = testing::PgServer::shared();
      ASSERT_TRUE(server) << server.error().str();
      auto url = (*server)->freshSchemaUrl();
      ASSERT_TRUE(url) << url.error().str();
      url_ = *url;
    }
    store_ = open();
    ASSERT_TRUE(store_);
    IncidentRecord inc;
    inc.id = "inc-1";
    inc.dedup_key = "k";
    inc.created_ms = 1;
    ASSERT_TRUE(store_->upsertIncident(inc, ""));
    exec_.id = "exec-1";
    exec_.incident_id = "inc-1";
    exec_.playbook = "p";
    exec_.definition = "{}";
    exec_.input = "{}";
    exec_.lease_owner = "w";
    exec_.lease_until_ms = 10'000;
    exec_.wake_ms = 0;
    ASSERT_TRUE(store_->createExecution(exec_, {}));
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  std::unique_ptr<Store> open() {
    auto s = openStore(url_);
    EXPECT_TRUE(s) << s.error().str();
    return s ? std::move(*s) : nullptr;
  }

  TaskTokenRecord token(char c, bool started, int64_t timeout_at = 0, int64_t heartbeat_at = 0,
                        int64_t heartbeat_ms = 0, const std::string& status = "open") {
    TaskTokenRecord t;
    t.digest = digest(c);
    t.execution_id = exec_.id;
    t.state_name = "Approve";
    t.status = status;
    t.started = started;
    t.created_ms = 100;
    t.timeout_at_ms = timeout_at;
    t.heartbeat_at_ms = heartbeat_at;
    t.heartbeat_ms = heartbeat_ms;
    t.closed_ms = status == "closed" ? 900 : 0;
    return t;
  }

  // One step of exec-1 writing `tokens` and deleting `applied`, with wake_ms `wake`.
  Result<void> step(const std::vector<TaskTokenRecord>& tokens, int64_t wake,
                    const std::vector<int64_t>& applied = {},
                    const std::string& status = "RUNNING") {
    ExecutionRecord rec = exec_;
    rec.wake_ms = wake;
    rec.status = status;
    std::vector<HistoryRecord> none;
    std::vector<Store::StepRef> steps{
        {&rec, &none, nullptr, &tokens, applied.empty() ? nullptr : &applied}};
    auto r = store_->recordSteps(steps);
    if (!r) return fail(r.error());
    return (*r)[0];
  }

  static TaskCallbackRecord callback(char c, const std::string& kind, int64_t at) {
    TaskCallbackRecord cb;
    cb.token_digest = digest(c);
    cb.kind = kind;
    cb.received_ms = at;
    if (kind == "success") cb.output = R"({"approved":true})";
    return cb;
  }

  int64_t wake() { return store_->getExecution(exec_.id).value()->wake_ms; }

  std::string dir_, url_;
  ExecutionRecord exec_;
  std::unique_ptr<Store> store_;
};

TEST_P(TaskTokenStoreTest, AStepOpensAndStartsATokenAndACallbackIsAcceptedOnceAndWakesIt) {
  ASSERT_TRUE(step({token('a', false)}, 0));
  // Started: deadlines known; the execution parks until the timeout.
  ASSERT_TRUE(step({token('a', true, 50'000)}, 50'000));
  auto tokens = store_->taskTokens(exec_.id).value();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].status, "open");
  EXPECT_TRUE(tokens[0].started);
  EXPECT_EQ(tokens[0].timeout_at_ms, 50'000);
  EXPECT_EQ(tokens[0].state_name, "Approve");

  auto cb = store_->acceptTaskCallback(callback('a', "success", 1000));
  ASSERT_TRUE(cb) << cb.error().str();
  EXPECT_GT(cb->seq, 0);
  EXPECT_EQ(cb->execution_id, exec_.id);
  EXPECT_EQ(cb->state_name, "Approve");
  EXPECT_EQ(wake(), 1000);  // a worker claims it now
  EXPECT_EQ(store_->taskTokens(exec_.id).value()[0].status, "answered");
  // A second answer is too late, as Step Functions says it.
  auto again = store_->acceptTaskCallback(callback('a', "failure", 1001));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "TaskTimedOut");
  auto pending = store_->taskCallbacks(exec_.id).value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].kind, "success");
  EXPECT_EQ(pending[0].output, R"({"approved":true})");
  EXPECT_FALSE(pending[0].error.has_value());
  EXPECT_FALSE(pending[0].cause.has_value());

  // The step that applies it deletes it and closes the token, in one transaction.
  TaskTokenRecord closed = token('a', true, 50'000, 0, 0, "closed");
  ASSERT_TRUE(step({closed}, 1500, {cb->seq}));
  EXPECT_TRUE(store_->taskCallbacks(exec_.id).value().empty());
  tokens = store_->taskTokens(exec_.id).value();
  EXPECT_EQ(tokens[0].status, "closed");
  EXPECT_EQ(tokens[0].closed_ms, 900);
  EXPECT_EQ(wake(), 1500);
  auto late = store_->acceptTaskCallback(callback('a', "success", 2000));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "TaskTimedOut");

  // The audit log names the callback by a prefix of the digest, never more.
  bool seen = false;
  auto audit = store_->readAudit(0, 1000).value();
  for (const auto& a : audit) {
    if (a.kind != "task.callback") continue;
    seen = true;
    auto j = parseJson(a.json).value();
    EXPECT_EQ(j.at("token").as_string(), "sha256:" + digest('a').substr(0, 12));
    EXPECT_EQ(j.at("incident_id").as_string(), "inc-1");
    EXPECT_EQ(j.at("kind").as_string(), "success");
    EXPECT_EQ(a.json.find(digest('a')), std::string::npos);
  }
  EXPECT_TRUE(seen);
}

TEST_P(TaskTokenStoreTest, UnknownTokensDoNotExistAndDeadlinesRefuseLateCallbacks) {
  auto none = store_->acceptTaskCallback(callback('9', "success", 1));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "TaskDoesNotExist");
  // A heartbeat due at 2000 (every 1000 ms), the task's timeout at 9000.
  ASSERT_TRUE(step({token('b', true, 9000, 2000, 1000)}, 2000));
  auto hb = store_->acceptTaskCallback(callback('b', "heartbeat", 1500));
  ASSERT_TRUE(hb) << hb.error().str();
  // The heartbeat moved the deadline before the worker applied it: 2200 is in time.
  EXPECT_EQ(store_->taskTokens(exec_.id).value()[0].heartbeat_at_ms, 2500);
  // A step that has not applied it yet writes the old deadline: the later one stays.
  ASSERT_TRUE(step({token('b', true, 9000, 2000, 1000)}, 2000));
  EXPECT_EQ(store_->taskTokens(exec_.id).value()[0].heartbeat_at_ms, 2500);
  // …and the waiting heartbeat keeps the execution due.
  EXPECT_EQ(wake(), 1500);
  ASSERT_TRUE(store_->acceptTaskCallback(callback('b', "heartbeat", 2200)));
  EXPECT_EQ(store_->taskTokens(exec_.id).value()[0].heartbeat_at_ms, 3200);
  auto late = store_->acceptTaskCallback(callback('b', "success", 3200));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "TaskTimedOut");
  EXPECT_NE(late.error().message.find("HeartbeatSeconds"), std::string::npos);
  // A task only scheduled has no deadline yet: its callback waits for it to start.
  ASSERT_TRUE(step({token('c', false)}, 0));
  ASSERT_TRUE(store_->acceptTaskCallback(callback('c', "failure", 99'000)));
  auto cbs = store_->taskCallbacks(exec_.id).value();
  ASSERT_EQ(cbs.size(), 3u);
  EXPECT_EQ(cbs[2].kind, "failure");
  EXPECT_LT(cbs[0].seq, cbs[1].seq);
  EXPECT_LT(cbs[1].seq, cbs[2].seq);
}

TEST_P(TaskTokenStoreTest, FailureKeepsAbsentAndEmptyErrorAndCauseApart) {
  ASSERT_TRUE(step({token('d', true, 9000), token('e', true, 9000)}, 9000));
  auto f1 = callback('d', "failure", 10);
  f1.error = "Denied";
  auto f2 = callback('e', "failure", 11);
  f2.cause = "";
  ASSERT_TRUE(store_->acceptTaskCallback(f1));
  ASSERT_TRUE(store_->acceptTaskCallback(f2));
  auto cbs = store_->taskCallbacks(exec_.id).value();
  ASSERT_EQ(cbs.size(), 2u);
  EXPECT_EQ(cbs[0].error, std::optional<std::string>("Denied"));
  EXPECT_FALSE(cbs[0].cause.has_value());
  EXPECT_FALSE(cbs[1].error.has_value());
  EXPECT_EQ(cbs[1].cause, std::optional<std::string>(""));
}

TEST_P(TaskTokenStoreTest, AnEndedExecutionTakesNoCallbackAndEverythingSurvivesAReopen) {
  ASSERT_TRUE(step({token('f', true, 9000)}, 9000));
  ASSERT_TRUE(store_->acceptTaskCallback(callback('f', "heartbeat", 10)));
  store_ = open();
  ASSERT_EQ(store_->taskCallbacks(exec_.id).value().size(), 1u);
  ASSERT_EQ(store_->taskTokens(exec_.id).value().size(), 1u);
  ASSERT_TRUE(step({}, 0, {}, "FAILED"));
  auto r = store_->acceptTaskCallback(callback('f', "success", 20));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "TaskTimedOut");
}

TEST_P(TaskTokenStoreTest, ConcurrentCallbacksForOneTokenAcceptExactlyOne) {
  ASSERT_TRUE(step({token('7', true, 90'000)}, 90'000));
  std::atomic<int> accepted{0}, timed_out{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto s = open();
      auto r = s->acceptTaskCallback(callback('7', i % 2 ? "success" : "failure", 100 + i));
      if (r) {
        ++accepted;
      } else if (r.error().code == "TaskTimedOut") {
        ++timed_out;
      } else {
        ADD_FAILURE() << r.error().str();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(timed_out.load(), 7);
  EXPECT_EQ(store_->taskCallbacks(exec_.id).value().size(), 1u);
}

TEST_P(TaskTokenStoreTest, MalformedRecordsAreRefusedNamingWhat) {
  auto bad = callback('8', "success", 1);
  bad.token_digest = "not-a-digest";
  auto r = store_->acceptTaskCallback(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidArgument");
  auto kind = callback('8', "approve", 1);
  r = store_->acceptTaskCallback(kind);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'approve'"), std::string::npos);
  TaskTokenRecord t = token('8', false);
  t.digest = "ABC";
  EXPECT_FALSE(step({t}, 0));
}

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

INSTANTIATE_TEST_SUITE_P(Sqlite, TaskTokenStoreTest, ::testing::Values(Backend::kSqlite),
                         backendName);
INSTANTIATE_TEST_SUITE_P(Postgres, TaskTokenStoreTest, ::testing::Values(Backend::kPostgres),
                         backendName);

}  // namespace
}  // namespace riposte::store
