// Blast-radius limits and the breaker in the store (Store::reserveLimits and friends), the
// same suite against both backends: Sqlite/LimitsStoreTest.* on a temp file,
// Postgres/LimitsStoreTest.* on the throwaway server of pg_server.h.

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

class LimitsStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      char tmpl[] = "/tmp/riposte-limits-test-XXXXXX";
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

  static LimitRequest request(const std::string& action_id, int64_t now,
                              std::vector<LimitCounter> counters,
                              std::optional<BreakerSettings> breaker = std::nullopt,
                              const std::string& execution_id = "") {
    LimitRequest r;
    r.action_id = action_id;
    r.execution_id = execution_id.empty() ? "exec-" + action_id : execution_id;
    r.incident_id = "inc-" + action_id;
    r.action = "aws.ec2.isolateInstance";
    r.now_ms = now;
    r.counters = std::move(counters);
    r.breaker = breaker;
    return r;
  }
  static LimitCounter perAccount(const std::string& account, int64_t max,
                                 int64_t window = 600'000) {
    return LimitCounter{"contain-per-account", "account=" + account, window, max};
  }
  std::vector<std::string> auditKinds() {
    std::vector<std::string> kinds;
    auto audit = store_->readAudit(0, 1000).value();
    for (const auto& a : audit) kinds.push_back(a.kind);
    return kinds;
  }

  std::string dir_, url_;
  std::unique_ptr<Store> store_;
};

TEST_P(LimitsStoreTest, RateLimitGrantsUpToMaxThenRefusesNamingTheLimit) {
  for (int i = 0; i < 3; ++i) {
    auto g =
        store_->reserveLimits(request("act-" + std::to_string(i), 1000 + i, {perAccount("1", 3)}));
    ASSERT_TRUE(g) << g.error().str();
    EXPECT_TRUE(g->granted);
    EXPECT_FALSE(g->already);
  }
  auto g = store_->reserveLimits(request("act-3", 1010, {perAccount("1", 3)})).value();
  EXPECT_FALSE(g.granted);
  EXPECT_EQ(g.limit, "contain-per-account");
  EXPECT_EQ(g.key, "account=1");
  EXPECT_EQ(g.count, 3);
  EXPECT_EQ(g.max, 3);
  EXPECT_FALSE(g.breaker_open);
  // Never silent: the refusal is in the audit log, with what refused it.
  auto audit = store_->readAudit(0, 100).value();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].kind, "limit.refused");
  auto j = parseJson(audit[0].json).value();
  EXPECT_EQ(j.at("action_id").as_string(), "act-3");
  EXPECT_EQ(j.at("reason").as_string(), "limit");
  EXPECT_EQ(j.at("limit").as_string(), "contain-per-account");
  EXPECT_EQ(j.at("max").to_number<int64_t>(), 3);
  // Another account has its own counter.
  EXPECT_TRUE(store_->reserveLimits(request("act-4", 1011, {perAccount("2", 3)})).value().granted);
  auto usage = store_->limitUsage("contain-per-account", 600'000, 1020).value();
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0], (std::pair<std::string, int64_t>{"account=1", 3}));
  EXPECT_EQ(usage[1], (std::pair<std::string, int64_t>{"account=2", 1}));
}

TEST_P(LimitsStoreTest, TheSameAttemptAgainKeepsItsPlaceAndAReleaseGivesItBack) {
  ASSERT_TRUE(store_->reserveLimits(request("act-a", 1000, {perAccount("1", 1)})).value().granted);
  auto again = store_->reserveLimits(request("act-a", 2000, {perAccount("1", 1)})).value();
  EXPECT_TRUE(again.granted);
  EXPECT_TRUE(again.already);
  EXPECT_FALSE(store_->reserveLimits(request("act-b", 2001, {perAccount("1", 1)})).value().granted);
  EXPECT_EQ(store_->releaseLimits("act-a").value(), 1);
  EXPECT_EQ(store_->releaseLimits("act-a").value(), 0);
  EXPECT_TRUE(store_->reserveLimits(request("act-b", 2002, {perAccount("1", 1)})).value().granted);
}

TEST_P(LimitsStoreTest, TheWindowSlides) {
  ASSERT_TRUE(
      store_->reserveLimits(request("a1", 1000, {perAccount("1", 2, 1000)})).value().granted);
  ASSERT_TRUE(
      store_->reserveLimits(request("a2", 1500, {perAccount("1", 2, 1000)})).value().granted);
  EXPECT_FALSE(
      store_->reserveLimits(request("a3", 1999, {perAccount("1", 2, 1000)})).value().granted);
  // At 2000 the place taken at 1000 is out of the window (1000, 2000].
  EXPECT_TRUE(
      store_->reserveLimits(request("a4", 2000, {perAccount("1", 2, 1000)})).value().granted);
}

TEST_P(LimitsStoreTest, EveryCounterMustHaveRoomAndNoneIsTakenOnRefusal) {
  LimitCounter global{"global", "global", 600'000, 1};
  ASSERT_TRUE(
      store_->reserveLimits(request("a1", 1000, {perAccount("1", 5), global})).value().granted);
  auto g = store_->reserveLimits(request("a2", 1001, {perAccount("1", 5), global})).value();
  EXPECT_FALSE(g.granted);
  EXPECT_EQ(g.limit, "global");
  // The per-account counter was not charged for the refused attempt.
  auto usage = store_->limitUsage("contain-per-account", 600'000, 1002).value();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].second, 1);
  // A share cap of a small fleet may allow none.
  EXPECT_FALSE(
      store_->reserveLimits(request("a3", 1003, {{"share", "account=1/region=r", 3'600'000, 0}}))
          .value()
          .granted);
}

TEST_P(LimitsStoreTest, BreakerOpensOnceAboveItsThresholdAndOnlyAPersonClosesIt) {
  BreakerSettings b{2, 600'000};
  for (int i = 0; i < 2; ++i) {
    auto g = store_->reserveLimits(request("a" + std::to_string(i), 1000 + i, {}, b)).value();
    EXPECT_TRUE(g.granted);
    EXPECT_EQ(g.breaker_count, i + 1);
  }
  // A second action of an execution already counted does not count it again.
  EXPECT_TRUE(store_->reserveLimits(request("a0-second", 1003, {}, b, "exec-a0")).value().granted);
  auto third = store_->reserveLimits(request("a2", 1004, {}, b)).value();
  EXPECT_FALSE(third.granted);
  EXPECT_TRUE(third.breaker_open);
  EXPECT_TRUE(third.breaker_opened);
  EXPECT_EQ(third.breaker_count, 3);
  auto fourth = store_->reserveLimits(request("a3", 1005, {}, b)).value();
  EXPECT_FALSE(fourth.granted);
  EXPECT_TRUE(fourth.breaker_open);
  EXPECT_FALSE(fourth.breaker_opened);  // one alert: only the request that opened it
  // Open until a person closes it: also once the window has passed.
  auto later = store_->reserveLimits(request("a4", 10'000'000, {}, b)).value();
  EXPECT_TRUE(later.breaker_open);
  auto st = store_->breakerState().value();
  EXPECT_TRUE(st.open);
  EXPECT_EQ(st.opened_ms, 1004);
  EXPECT_NE(st.opened_reason.find("threshold 2"), std::string::npos) << st.opened_reason;

  EXPECT_TRUE(store_->closeBreaker("alice", "false positive burst reviewed", 10'000'001).value());
  EXPECT_FALSE(store_->closeBreaker("bob", "again", 10'000'002).value());
  st = store_->breakerState().value();
  EXPECT_FALSE(st.open);
  EXPECT_EQ(st.closed_by, "alice");
  EXPECT_EQ(st.closed_reason, "false positive burst reviewed");
  EXPECT_EQ(st.closed_ms, 10'000'001);
  // The count starts again at the close.
  EXPECT_EQ(store_->breakerCount(600'000, 10'000'003).value(), 0);
  EXPECT_TRUE(store_->reserveLimits(request("a5", 10'000'004, {}, b)).value().granted);

  auto kinds = auditKinds();
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "breaker.opened"), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "breaker.closed"), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "limit.refused"), 3);
  auto audit = store_->readAudit(0, 100).value();
  for (const auto& a : audit) {
    if (a.kind != "breaker.closed") continue;
    auto j = parseJson(a.json).value();
    EXPECT_EQ(j.at("closed_by").as_string(), "alice");
    EXPECT_EQ(a.time_ms, 10'000'001);
  }
}

TEST_P(LimitsStoreTest, CountsAndTheBreakerSurviveAReopen) {
  BreakerSettings b{1, 600'000};
  ASSERT_TRUE(store_->reserveLimits(request("a1", 1000, {perAccount("1", 1)}, b)).value().granted);
  EXPECT_TRUE(
      store_->reserveLimits(request("a2", 1001, {perAccount("1", 1)}, b)).value().breaker_opened);
  store_ = open();
  auto g = store_->reserveLimits(request("a3", 1002, {perAccount("1", 1)}, b)).value();
  EXPECT_FALSE(g.granted);
  EXPECT_EQ(g.limit, "contain-per-account");
  EXPECT_TRUE(g.breaker_open);
  EXPECT_TRUE(store_->breakerState().value().open);
}

TEST_P(LimitsStoreTest, WorkersSharingTheStoreNeverExceedALimitTogether) {
  // Four "workers", each with its own connection(s) to the one store, race for 5 places.
  constexpr int kWorkers = 4, kEach = 15, kMax = 5;
  std::atomic<int> granted{0}, errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto s = open();
      if (!s) return;
      for (int i = 0; i < kEach; ++i) {
        auto id = "w" + std::to_string(w) + "-" + std::to_string(i);
        auto g = s->reserveLimits(
            request(id, 1000 + i, {perAccount("1", kMax)}, BreakerSettings{1000, 600'000}));
        if (!g) {
          ++errors;
          ADD_FAILURE() << g.error().str();
        } else if (g->granted) {
          ++granted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(granted.load(), kMax);
  EXPECT_EQ(store_->breakerCount(600'000, 2000).value(), kWorkers * kEach);
}

TEST_P(LimitsStoreTest, BadRequestsAreRefusedNamingWhat) {
  auto r = store_->reserveLimits(request("", 1, {perAccount("1", 1)}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidArgument");
  r = store_->reserveLimits(request("a", 1, {{"l", "k", 0, 1}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'l'"), std::string::npos);
}

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

INSTANTIATE_TEST_SUITE_P(Sqlite, LimitsStoreTest, ::testing::Values(Backend::kSqlite), backendName);
INSTANTIATE_TEST_SUITE_P(Postgres, LimitsStoreTest, ::testing::Values(Backend::kPostgres),
                         backendName);

}  // namespace
}  // namespace riposte::store
