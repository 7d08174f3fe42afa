// engine/threat_feeds.h: threat lists read from files and over HTTP (the libcurl transport
// against a local server, which checks the conditional requests), refreshed on their
// interval, the last good copy kept when a fetch or a parse fails, with metrics and status.
// (S3 lists: tests/engine/threat_feeds_moto_test.cpp, against moto.)
#include "engine/threat_feeds.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/http_recorder.h"

namespace riposte::engine {
namespace {

namespace fs = std::filesystem;
using testing::HttpRecorder;
using testing::RecordedRequest;
using testing::ScriptedResponse;

policy::ThreatListConfig listOf(const std::string& name, policy::Verdict v,
                                const std::string& source, int64_t refresh_ms = 3'600'000) {
  policy::ThreatListConfig c;
  c.name = name;
  c.verdict = v;
  c.source = *policy::parseListSource(source);
  c.refresh_ms = refresh_ms;
  return c;
}

policy::IpAddress ip(const char* s) {
  return *policy::IpAddress::make(s);
}

bool hasMetric(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

class ThreatFeedsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("riposte-feeds-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "lists");
    ThreatFeeds::declareMetrics(metrics_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }

  fs::path dir_;
  ManualClock clock_;
  Metrics metrics_;
};

TEST_F(ThreatFeedsTest, FileListIsReadOnItsIntervalAndKeptWhenItCannotBeRead) {
  write("lists/tor.txt", "# tor exits\n198.51.100.7\n203.0.113.0/24\nnot-an-address\n");
  ThreatFeeds feeds(clock_, metrics_);
  policy::ThreatIntelConfig cfg;
  cfg.lists.push_back(listOf("tor-exits", policy::Verdict::kMalicious, "lists/tor.txt", 600'000));
  feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);
  EXPECT_TRUE(feeds.intel()->lookup(ip("198.51.100.7")).empty());  // not read yet

  EXPECT_EQ(feeds.refresh(), 1);
  EXPECT_EQ(feeds.intel()->lookup(ip("198.51.100.7")).malicious,
            std::vector<std::string>{"tor-exits"});
  EXPECT_EQ(feeds.intel()->lookup(ip("203.0.113.200")).malicious,
            std::vector<std::string>{"tor-exits"});
  EXPECT_TRUE(feeds.intel()->lookup(ip("192.0.2.1")).empty());
  auto st = feeds.status();
  ASSERT_EQ(st.size(), 1u);
  EXPECT_TRUE(st[0].loaded);
  EXPECT_EQ(st[0].entries, 2u);
  EXPECT_EQ(st[0].bad_lines, 1u);
  EXPECT_EQ(st[0].last_result, "ok");
  EXPECT_EQ(st[0].next_ms, clock_.nowMillis() + 600'000);

  EXPECT_EQ(feeds.refresh(), 0);  // not due
  clock_.advance(std::chrono::minutes(10));
  EXPECT_EQ(feeds.refresh(), 1);  // due: the file is unchanged
  EXPECT_EQ(feeds.status()[0].last_result, "not_modified");

  // Changed: a new size and modification time.
  write("lists/tor.txt", "192.0.2.0/25\n2001:db8::/32\n");
  fs::last_write_time(dir_ / "lists/tor.txt",
                      fs::last_write_time(dir_ / "lists/tor.txt") + std::chrono::seconds(5));
  clock_.advance(std::chrono::minutes(10));
  EXPECT_EQ(feeds.refresh(), 1);
  EXPECT_EQ(feeds.status()[0].last_result, "ok");
  EXPECT_EQ(feeds.status()[0].entries, 2u);
  EXPECT_TRUE(feeds.intel()->lookup(ip("198.51.100.7")).empty());
  EXPECT_EQ(feeds.intel()->lookup(ip("2001:db8::1")).malicious,
            std::vector<std::string>{"tor-exits"});
  const int64_t read_at = clock_.nowMillis();

  // Gone: the copy in use stays, the failure is counted and said, and it is tried again in a
  // minute (then 2, 4, … up to the interval).
  fs::remove(dir_ / "lists/tor.txt");
  clock_.advance(std::chrono::minutes(10));
  EXPECT_EQ(feeds.refresh(), 1);
  st = feeds.status();
  EXPECT_TRUE(st[0].loaded);
  EXPECT_EQ(st[0].last_result, "failed");
  EXPECT_NE(st[0].last_error.find("cannot read"), std::string::npos) << st[0].last_error;
  EXPECT_EQ(st[0].failures, 1);
  EXPECT_EQ(st[0].changed_ms, read_at);
  EXPECT_EQ(st[0].next_ms, clock_.nowMillis() + 60'000);
  EXPECT_EQ(feeds.intel()->lookup(ip("192.0.2.1")).malicious,
            std::vector<std::string>{"tor-exits"});
  clock_.advance(std::chrono::minutes(1));
  EXPECT_EQ(feeds.refresh(), 1);
  EXPECT_EQ(feeds.status()[0].next_ms, clock_.nowMillis() + 120'000);

  feeds.updateGauges();
  const std::string m = metrics_.render();
  EXPECT_TRUE(hasMetric(m, "riposte_threat_list_fetch_failures_total{list=\"tor-exits\"} 2")) << m;
  EXPECT_TRUE(hasMetric(m, "riposte_threat_list_fetches_total{list=\"tor-exits\",result=\"ok\"} 2"))
      << m;
  EXPECT_TRUE(hasMetric(
      m, "riposte_threat_list_fetches_total{list=\"tor-exits\",result=\"not_modified\"} 1"))
      << m;
  EXPECT_TRUE(hasMetric(m, "riposte_threat_list_entries{list=\"tor-exits\"} 2")) << m;
  EXPECT_TRUE(hasMetric(m, "riposte_threat_list_loaded{list=\"tor-exits\"} 1")) << m;
  // Age: since the copy was last read (11 minutes ago).
  EXPECT_TRUE(hasMetric(m, "riposte_threat_list_age_seconds{list=\"tor-exits\"} 660")) << m;

  const auto js = feeds.statusJson();
  const auto& l = js.at("lists").at(0).as_object();
  EXPECT_EQ(l.at("name").as_string(), "tor-exits");
  EXPECT_EQ(l.at("verdict").as_string(), "malicious");
  EXPECT_EQ(l.at("entries").as_uint64(), 2u);
  EXPECT_EQ(l.at("ageSeconds").as_int64(), 660);
  EXPECT_EQ(l.at("lastResult").as_string(), "failed");
  EXPECT_EQ(l.at("failures").as_int64(), 2);
}

TEST_F(ThreatFeedsTest, ABodyThatIsNoListKeepsTheLastGoodCopy) {
  write("lists/c2.txt", "198.51.100.7\n");
  ThreatFeeds feeds(clock_, metrics_);
  policy::ThreatIntelConfig cfg;
  cfg.lists.push_back(listOf("c2", policy::Verdict::kMalicious, "lists/c2.txt", 60'000));
  feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);
  feeds.refresh();
  write("lists/c2.txt", "<html><body>502 Bad Gateway</body></html>\n");
  fs::last_write_time(dir_ / "lists/c2.txt",
                      fs::last_write_time(dir_ / "lists/c2.txt") + std::chrono::seconds(5));
  feeds.refresh(/*force=*/true);
  auto st = feeds.status()[0];
  EXPECT_EQ(st.last_result, "failed");
  EXPECT_NE(st.last_error.find("InvalidList"), std::string::npos) << st.last_error;
  EXPECT_EQ(st.entries, 1u);
  EXPECT_EQ(feeds.intel()->lookup(ip("198.51.100.7")).malicious, std::vector<std::string>{"c2"});
}

TEST_F(ThreatFeedsTest, HttpListsAreReadWithConditionalRequests) {
  HttpRecorder server;
  int version = 1;
  bool fail = false;
  server.handle([&](const RecordedRequest& r) -> ScriptedResponse {
    if (fail) return {503, "unavailable", "text/plain"};
    const std::string etag = "\"v" + std::to_string(version) + "\"";
    const std::string modified =
        version == 1 ? "Mon, 01 Dec 2026 09:00:00 GMT" : "Tue, 02 Dec 2026 09:00:00 GMT";
    if (r.header("if-none-match") == etag) return {304, "", "text/plain"};
    const std::string body = version == 1 ? "198.51.100.7\n" : "198.51.100.8\n192.0.2.0/24\n";
    return {200, body, "text/plain", {{"ETag", etag}, {"Last-Modified", modified}}};
  });
  ThreatFeeds feeds(clock_, metrics_);
  feeds.setTransport(aws::makeCurlTransport());
  policy::ThreatIntelConfig cfg;
  cfg.lists.push_back(listOf("feed", policy::Verdict::kMalicious,
                             server.endpoint() + "/lists/feed.txt?token=abc", 3'600'000));
  feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);

  feeds.refresh();
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/lists/feed.txt?token=abc");
  EXPECT_FALSE(reqs[0].hasHeader("if-none-match"));  // nothing to compare with yet
  EXPECT_FALSE(reqs[0].hasHeader("if-modified-since"));
  EXPECT_EQ(feeds.intel()->lookup(ip("198.51.100.7")).malicious, std::vector<std::string>{"feed"});

  clock_.advance(std::chrono::hours(1));
  feeds.refresh();
  reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].header("if-none-match"), "\"v1\"");
  EXPECT_FALSE(reqs[1].hasHeader("if-modified-since"));  // the ETag says it all
  EXPECT_EQ(feeds.status()[0].last_result, "not_modified");
  EXPECT_EQ(feeds.status()[0].fetched_ms, clock_.nowMillis());  // confirmed current

  version = 2;
  clock_.advance(std::chrono::hours(1));
  feeds.refresh();
  EXPECT_EQ(feeds.status()[0].last_result, "ok");
  EXPECT_EQ(feeds.status()[0].etag, "\"v2\"");
  EXPECT_TRUE(feeds.intel()->lookup(ip("198.51.100.7")).empty());
  EXPECT_EQ(feeds.intel()->lookup(ip("192.0.2.9")).malicious, std::vector<std::string>{"feed"});

  fail = true;
  clock_.advance(std::chrono::hours(1));
  feeds.refresh();
  EXPECT_EQ(feeds.status()[0].last_result, "failed");
  EXPECT_EQ(feeds.status()[0].last_error, "HTTP 503 from the source");
  EXPECT_EQ(feeds.intel()->lookup(ip("192.0.2.9")).malicious, std::vector<std::string>{"feed"});
  EXPECT_TRUE(
      hasMetric(metrics_.render(), "riposte_threat_list_fetch_failures_total{list=\"feed\"} 1"));
}

// A remote list's last good copy is kept in the store: a restart while the source is down
// starts from it, a restart while it is up asks with the copy's ETag (304: kept, its time
// updated), and a copy read under other fetch settings is not used.
TEST_F(ThreatFeedsTest, ARemoteListsLastGoodCopyOutlivesARestart) {
  HttpRecorder server;
  bool down = false;
  server.handle([&](const RecordedRequest& r) -> ScriptedResponse {
    if (down) return {503, "unavailable", "text/plain"};
    if (r.header("if-none-match") == "\"v1\"") return {304, "", "text/plain"};
    return {200,
            "# feed\n198.51.100.7\n2001:db8:7::/48\nnot-an-ip\n",
            "text/plain",
            {{"ETag", "\"v1\""}}};
  });
  auto store = store::openStore("sqlite://" + (dir_ / "riposte.db").string());
  ASSERT_TRUE(store) << store.error().message;
  policy::ThreatIntelConfig cfg;
  cfg.lists.push_back(listOf("feed", policy::Verdict::kMalicious,
                             server.endpoint() + "/feed.txt?token=abc", 3'600'000));
  const auto run = [&](bool expect_listed) {
    ThreatFeeds feeds(clock_, metrics_, store->get());
    feeds.setTransport(aws::makeCurlTransport());
    feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);
    feeds.refresh();
    EXPECT_EQ(!feeds.intel()->lookup(ip("198.51.100.7")).empty(), expect_listed);
    EXPECT_EQ(!feeds.intel()->lookup(ip("2001:db8:7::1")).empty(), expect_listed);
    return feeds.status()[0];
  };
  const int64_t first = clock_.nowMillis();
  auto st = run(true);
  EXPECT_EQ(st.last_result, "ok");
  auto copy = (*store)->getThreatListCopy("feed").value();
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->entries, "198.51.100.7/32\n2001:db8:7::/48\n");
  EXPECT_EQ(copy->bad_lines, 1);
  EXPECT_EQ(copy->etag, "\"v1\"");
  EXPECT_EQ(copy->fetch_key, cfg.lists[0].fetchKey());
  EXPECT_EQ(copy->entries.find("token"), std::string::npos);
  EXPECT_EQ(copy->fetch_key.find("token"), std::string::npos);  // a hash, not the URL

  // Restarted while the source is down: the copy is in use, with its age.
  down = true;
  clock_.advance(std::chrono::minutes(10));
  st = run(true);
  EXPECT_EQ(st.last_result, "failed");
  EXPECT_TRUE(st.loaded);
  EXPECT_EQ(st.entries, 2u);
  EXPECT_EQ(st.bad_lines, 1u);
  EXPECT_EQ(st.fetched_ms, first);

  // Restarted while it is up: asked with the copy's ETag, confirmed, its time kept.
  down = false;
  clock_.advance(std::chrono::minutes(10));
  const auto before = server.requests().size();
  st = run(true);
  ASSERT_EQ(server.requests().size(), before + 1);
  EXPECT_EQ(server.requests().back().header("if-none-match"), "\"v1\"");
  EXPECT_EQ(st.last_result, "not_modified");
  EXPECT_EQ((*store)->getThreatListCopy("feed").value()->fetched_ms, clock_.nowMillis());

  // Another source under the same name: the copy is not used.
  down = true;
  cfg.lists[0] =
      listOf("feed", policy::Verdict::kMalicious, server.endpoint() + "/other.txt", 3'600'000);
  st = run(false);
  EXPECT_FALSE(st.loaded);
}

TEST_F(ThreatFeedsTest, WithoutAnETagTheLastModifiedDateIsAsked) {
  HttpRecorder server;
  server.handle([&](const RecordedRequest& r) -> ScriptedResponse {
    if (r.header("if-modified-since") == "Mon, 01 Dec 2026 09:00:00 GMT")
      return {304, "", "text/plain"};
    return {
        200, "198.51.100.7\n", "text/plain", {{"Last-Modified", "Mon, 01 Dec 2026 09:00:00 GMT"}}};
  });
  ThreatFeeds feeds(clock_, metrics_);
  feeds.setTransport(aws::makeCurlTransport());
  policy::ThreatIntelConfig cfg;
  cfg.lists.push_back(listOf("feed", policy::Verdict::kMalicious, server.endpoint() + "/f.txt"));
  feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);
  feeds.refresh();
  feeds.refresh(/*force=*/true);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_FALSE(reqs[1].hasHeader("if-none-match"));
  EXPECT_EQ(reqs[1].header("if-modified-since"), "Mon, 01 Dec 2026 09:00:00 GMT");
  EXPECT_EQ(feeds.status()[0].last_result, "not_modified");
}

TEST_F(ThreatFeedsTest, TrustedListsNeverReadAreUnavailableAndReloadKeepsWhatIsUnchanged) {
  ThreatFeeds feeds(clock_, metrics_);
  policy::ThreatIntelConfig cfg;
  cfg.lists.push_back(listOf("corp", policy::Verdict::kTrusted, "lists/corp.txt"));
  cfg.lists.push_back(listOf("bad", policy::Verdict::kMalicious, "lists/bad.txt"));
  write("lists/bad.txt", "198.51.100.7\n");
  feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);
  feeds.refresh();
  EXPECT_EQ(feeds.trustedUnavailable(), std::vector<std::string>{"corp"});
  write("lists/corp.txt", "10.0.0.0/8\n");
  clock_.advance(std::chrono::minutes(1));  // the retry after the first failure
  EXPECT_EQ(feeds.refresh(), 1);
  EXPECT_TRUE(feeds.trustedUnavailable().empty());
  EXPECT_EQ(feeds.intel()->lookup(ip("10.1.2.3")).trusted, std::vector<std::string>{"corp"});

  // A reload: "bad" unchanged keeps its copy and schedule; "corp" with another source is read
  // at once; a new list too.
  const int64_t bad_next = feeds.status()[1].next_ms;
  cfg.lists[0].source = *policy::parseListSource("lists/corp2.txt");
  write("lists/corp2.txt", "172.16.0.0/12\n");
  cfg.lists.push_back(listOf("more", policy::Verdict::kMalicious, "lists/bad.txt"));
  feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);
  EXPECT_EQ(feeds.trustedUnavailable(), std::vector<std::string>{"corp"});  // not read yet
  EXPECT_EQ(feeds.intel()->lookup(ip("198.51.100.7")).malicious, std::vector<std::string>{"bad"});
  EXPECT_EQ(feeds.refresh(), 2);
  EXPECT_EQ(feeds.status()[1].next_ms, bad_next);
  EXPECT_EQ(feeds.intel()->lookup(ip("172.16.1.1")).trusted, std::vector<std::string>{"corp"});
  EXPECT_TRUE(feeds.intel()->lookup(ip("10.1.2.3")).empty());
  EXPECT_EQ(feeds.intel()->lookup(ip("198.51.100.7")).malicious,
            (std::vector<std::string>{"bad", "more"}));

  cfg.lists.clear();
  feeds.configure(dir_.string(), cfg, "us-east-1", nullptr);
  EXPECT_FALSE(feeds.configured());
  EXPECT_TRUE(feeds.intel()->lookup(ip("198.51.100.7")).empty());
}

}  // namespace
}  // namespace riposte::engine
