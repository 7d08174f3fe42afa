#include "sinks/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

namespace riposte::sinks {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/riposte-sinks-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A sink that fails its first `fail_first` sends, rejects any batch holding a seq in
// `poison`, and records what it accepted. Thread-safe reads through a mutex.
class FakeSink : public Sink {
 public:
  explicit FakeSink(std::string name) : name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  Result<void> send(const std::vector<AuditRecord>& batch) override {
    std::lock_guard lock(mu);
    ++calls;
    if (fail_first > 0) {
      --fail_first;
      return fail(kSinkUnavailable, "connection refused");
    }
    for (const auto& r : batch) {
      if (poison.count(r.seq) != 0) return fail(kSinkRejected, "invalid data format");
    }
    for (const auto& r : batch) seqs.push_back(r.seq);
    batch_sizes.push_back(batch.size());
    return {};
  }

  std::mutex mu;
  int fail_first = 0;
  int calls = 0;
  std::set<int64_t> poison;
  std::vector<int64_t> seqs;
  std::vector<size_t> batch_sizes;

 private:
  std::string name_;
};

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    auto s = store::openStore("sqlite://" + dir_.path() + "/r.db");
    ASSERT_TRUE(s) << s.error().str();
    store_ = std::shared_ptr<store::Store>(std::move(*s));
  }
  // Appends n audit records (one opened incident each).
  void addRecords(int n) {
    for (int i = 0; i < n; ++i) {
      store::IncidentRecord r;
      r.dedup_key = "k" + std::to_string(next_++);
      r.title = "t";
      r.created_ms = 1000;
      ASSERT_TRUE(store_->upsertIncident(r, ""));
    }
  }
  std::unique_ptr<SinkRunner> runner(FakeSink** out, int batch = 4) {
    auto sink = std::make_unique<FakeSink>("fake");
    *out = sink.get();
    SinkRunnerOptions o;
    o.batch_size = batch;
    o.initial_backoff = std::chrono::milliseconds(1);
    o.max_backoff = std::chrono::milliseconds(4);
    o.poll_interval = std::chrono::milliseconds(5);
    return std::make_unique<SinkRunner>(store_, std::move(sink), o);
  }

  TempDir dir_;
  std::shared_ptr<store::Store> store_;
  int next_ = 0;
};

TEST(BackoffTest, DoublesFromInitialAndIsCapped) {
  SinkRunnerOptions o;
  o.initial_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(1000);
  EXPECT_EQ(backoffFor(0, o).count(), 0);
  EXPECT_EQ(backoffFor(1, o).count(), 100);
  EXPECT_EQ(backoffFor(2, o).count(), 200);
  EXPECT_EQ(backoffFor(4, o).count(), 800);
  EXPECT_EQ(backoffFor(5, o).count(), 1000);
  EXPECT_EQ(backoffFor(1000000, o).count(), 1000);
}

TEST_F(RunnerTest, DeliversInBatchesAndAdvancesTheCursor) {
  addRecords(10);
  FakeSink* sink = nullptr;
  auto r = runner(&sink);
  EXPECT_EQ(r->backlog().value(), 10);
  EXPECT_EQ(r->runOnce().value(), 4);
  EXPECT_EQ(store_->sinkCursor("fake").value(), 4);
  EXPECT_EQ(r->backlog().value(), 6);
  EXPECT_EQ(r->runOnce().value(), 4);
  EXPECT_EQ(r->runOnce().value(), 2);
  EXPECT_EQ(r->runOnce().value(), 0);  // up to date: nothing sent
  EXPECT_EQ(sink->calls, 3);
  EXPECT_EQ(sink->seqs, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(r->backlog().value(), 0);
  auto c = r->counters();
  EXPECT_EQ(c.delivered, 10);
  EXPECT_EQ(c.batches, 3);
  EXPECT_EQ(c.failures, 0);
}

TEST_F(RunnerTest, FailingSinkKeepsTheCursorAndCatchesUpLater) {
  addRecords(6);
  FakeSink* sink = nullptr;
  auto r = runner(&sink);
  sink->fail_first = 3;
  for (int i = 0; i < 3; ++i) {
    auto res = r->runOnce();
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, kSinkUnavailable);
    EXPECT_EQ(store_->sinkCursor("fake").value(), 0);  // nothing acknowledged
  }
  auto c = r->counters();
  EXPECT_EQ(c.failures, 3);
  EXPECT_EQ(c.consecutive_failures, 3);
  EXPECT_NE(c.last_error.find("connection refused"), std::string::npos);
  EXPECT_EQ(r->backlog().value(), 6);
  // The sink is back: the same records, from the first, nothing lost.
  addRecords(1);
  EXPECT_EQ(r->runOnce().value(), 4);
  EXPECT_EQ(r->runOnce().value(), 3);
  EXPECT_EQ(sink->seqs, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(r->counters().consecutive_failures, 0);
  EXPECT_EQ(r->counters().last_error, "");
}

TEST_F(RunnerTest, CursorIsDurableAcrossRestarts) {
  addRecords(5);
  {
    FakeSink* sink = nullptr;
    auto r = runner(&sink);
    EXPECT_EQ(r->runOnce().value(), 4);
  }
  open();  // a new process: a new store connection and runner
  FakeSink* sink = nullptr;
  auto r = runner(&sink);
  EXPECT_EQ(r->runOnce().value(), 1);
  EXPECT_EQ(sink->seqs, (std::vector<int64_t>{5}));
}

TEST_F(RunnerTest, RejectedRecordIsIsolatedCountedAndPassedNotTheWholeBatch) {
  addRecords(4);
  FakeSink* sink = nullptr;
  auto r = runner(&sink);
  sink->poison = {2};
  EXPECT_EQ(r->runOnce().value(), 4);
  // The batch was split: 1, 3, 4 delivered one by one; 2 rejected and counted.
  EXPECT_EQ(sink->seqs, (std::vector<int64_t>{1, 3, 4}));
  auto c = r->counters();
  EXPECT_EQ(c.rejected, 1);
  EXPECT_EQ(c.delivered, 3);
  EXPECT_EQ(store_->sinkCursor("fake").value(), 4);
}

TEST_F(RunnerTest, TwoSinksHaveIndependentCursors) {
  addRecords(3);
  FakeSink* a = nullptr;
  auto ra = runner(&a);
  auto sb = std::make_unique<FakeSink>("other");
  FakeSink* b = sb.get();
  b->fail_first = 100;
  SinkRunner rb(store_, std::move(sb));
  EXPECT_EQ(ra->runOnce().value(), 3);
  EXPECT_FALSE(rb.runOnce());
  EXPECT_EQ(ra->backlog().value(), 0);
  EXPECT_EQ(rb.backlog().value(), 3);
}

// Two workers on one store run the same sink: the lease holder delivers, the other waits and
// takes over from the durable cursor once the holder stops renewing.
TEST_F(RunnerTest, OneWorkerDeliversASinkAndAnotherTakesOverWhenItStops) {
  addRecords(3);
  auto make = [&](const std::string& worker, FakeSink** out) {
    auto sink = std::make_unique<FakeSink>("slack");  // the same sink, in two processes
    *out = sink.get();
    SinkRunnerOptions o;
    o.worker_id = worker;
    o.lease = std::chrono::milliseconds(200);
    return std::make_unique<SinkRunner>(store_, std::move(sink), o);
  };
  FakeSink *a = nullptr, *b = nullptr;
  auto ra = make("w1", &a);
  auto rb = make("w2", &b);
  EXPECT_EQ(ra->runOnce().value(), 3);
  EXPECT_EQ(rb->runOnce().value(), 0);  // w1 holds it
  addRecords(2);
  EXPECT_EQ(rb->runOnce().value(), 0);
  EXPECT_EQ(ra->runOnce().value(), 2);
  EXPECT_EQ(a->seqs.size(), 5u);
  EXPECT_TRUE(b->seqs.empty());
  // w1 stops; after its lease, w2 delivers what came since, from the cursor.
  ra.reset();
  addRecords(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(rb->runOnce().value(), 1);
  ASSERT_EQ(b->seqs.size(), 1u);
  EXPECT_EQ(b->seqs[0], 6);
}

TEST_F(RunnerTest, ManagerThreadsDeliverEverythingAndReportBacklog) {
  addRecords(9);
  auto s1 = std::make_unique<FakeSink>("one");
  auto s2 = std::make_unique<FakeSink>("two");
  FakeSink* p1 = s1.get();
  FakeSink* p2 = s2.get();
  p2->fail_first = 2;  // down at first, then back
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::move(s1));
  sinks.push_back(std::move(s2));
  SinkRunnerOptions o;
  o.batch_size = 4;
  o.initial_backoff = std::chrono::milliseconds(1);
  o.poll_interval = std::chrono::milliseconds(5);
  SinkManager m(*store_, std::move(sinks), o);  // borrowing the store, as serve does
  m.start();
  addRecords(3);  // written while the runners run
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto st = m.status();
    if (st[0].backlog == 0 && st[1].backlog == 0) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "sinks did not catch up";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  m.stop();
  auto st = m.status();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].name, "one");
  EXPECT_EQ(st[0].cursor, 12);
  EXPECT_EQ(st[1].counters.failures, 2);
  EXPECT_EQ(st[1].counters.delivered, 12);
  std::vector<int64_t> all;
  for (int64_t i = 1; i <= 12; ++i) all.push_back(i);
  EXPECT_EQ(p1->seqs, all);
  EXPECT_EQ(p2->seqs, all);
}

TEST(SinkMetricsTest, RendersPrometheusTextPerSink) {
  SinkStatus a;
  a.name = "splunk";
  a.backlog = 3;
  a.counters.delivered = 10;
  a.counters.failures = 2;
  a.counters.rejected = 1;
  SinkStatus b;
  b.name = "we\"ird";
  b.backlog = -1;  // store unreadable: left out
  std::string text = renderSinkMetrics({a, b});
  EXPECT_NE(
      text.find("# TYPE riposte_sink_backlog gauge\nriposte_sink_backlog{sink=\"splunk\"} 3\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("riposte_sink_delivered_total{sink=\"splunk\"} 10\n"), std::string::npos);
  EXPECT_NE(text.find("riposte_sink_failures_total{sink=\"splunk\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("riposte_sink_rejected_total{sink=\"splunk\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("riposte_sink_delivered_total{sink=\"we\\\"ird\"} 0\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("riposte_sink_backlog{sink=\"we"), std::string::npos);
  EXPECT_EQ(renderSinkMetrics({}), "");
}

}  // namespace
}  // namespace riposte::sinks
