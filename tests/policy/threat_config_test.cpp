// policy/threat_config.h: the `threat_intel:` section (lists and publish), read strictly with
// every problem at its path, and the list sources (file, s3://, https://).

#include "policy/threat_config.h"

#include <gtest/gtest.h>

namespace riposte::policy {
namespace {

json::value js(const char* text) {
  auto v = parseJson(text);
  EXPECT_TRUE(v) << text;
  return v ? *v : json::value();
}

std::string all(const Problems& ps) {
  std::string s;
  for (const auto& p : ps) s += p.path + ": " + p.message + "\n";
  return s;
}

TEST(ThreatConfigTest, ReadsListsOfEverySourceAndThePublishSettings) {
  Problems problems;
  auto c = parseThreatIntel(js(R"({
    "lists": [
      {"name": "tor-exits", "verdict": "malicious",
       "source": "https://feeds.example.com/tor.txt", "refresh": "30m"},
      {"name": "corp-egress", "verdict": "trusted", "source": "s3://corp-secops/lists/egress.csv",
       "region": "eu-west-1", "format": "csv", "csv": {"column": "ip", "header": "present"}},
      {"name": "scanners", "verdict": "trusted", "source": "lists/scanners.txt",
       "max_entries": 1000, "description": "the vulnerability scanners"}],
    "publish": {"location": "s3://corp-secops/riposte/blocked.txt",
                "detector_id": "12abc34d567e8fa901bc2d34e56789f0", "activate": "false"}})"),
                            problems);
  ASSERT_TRUE(problems.empty()) << all(problems);
  ASSERT_EQ(c.lists.size(), 3u);
  const auto& tor = c.lists[0];
  EXPECT_EQ(tor.name, "tor-exits");
  EXPECT_EQ(tor.verdict, Verdict::kMalicious);
  EXPECT_EQ(tor.source.kind, ListSource::Kind::kHttps);
  EXPECT_EQ(tor.source.url, "https://feeds.example.com/tor.txt");
  EXPECT_EQ(tor.format, ListFormat::kTxt);  // the default
  EXPECT_EQ(tor.refresh_ms, 1'800'000);
  EXPECT_EQ(tor.max_entries, ListLimits::kGuardDutyMaxEntries);
  const auto& corp = c.lists[1];
  EXPECT_EQ(corp.verdict, Verdict::kTrusted);
  EXPECT_EQ(corp.source.kind, ListSource::Kind::kS3);
  EXPECT_EQ(corp.source.bucket, "corp-secops");
  EXPECT_EQ(corp.source.key, "lists/egress.csv");
  EXPECT_EQ(corp.region, "eu-west-1");
  EXPECT_EQ(corp.format, ListFormat::kCsv);
  EXPECT_EQ(corp.csv.column, "ip");
  EXPECT_EQ(corp.csv.header, CsvOptions::Header::kPresent);
  EXPECT_EQ(corp.refresh_ms, ThreatListConfig::kDefaultRefreshMs);
  const auto& scan = c.lists[2];
  EXPECT_EQ(scan.source.kind, ListSource::Kind::kFile);
  EXPECT_EQ(scan.source.path, "lists/scanners.txt");
  EXPECT_EQ(scan.max_entries, 1000u);
  EXPECT_EQ(scan.description, "the vulnerability scanners");
  ASSERT_TRUE(c.publish);
  EXPECT_EQ(c.publish->location.bucket, "corp-secops");
  EXPECT_EQ(c.publish->location.key, "riposte/blocked.txt");
  EXPECT_EQ(c.publish->name, "riposte-blocked");
  EXPECT_FALSE(c.publish->activate);  // "false" as ${VAR} expansion leaves it
  EXPECT_EQ(c.publish->locationUrl("us-east-1"),
            "https://s3.us-east-1.amazonaws.com/corp-secops/riposte/blocked.txt");
  EXPECT_EQ(tor.describe(),
            "malicious list tor-exits: https://feeds.example.com/tor.txt (GuardDuty TXT, at most "
            "250000 entries), read again every 30m with a conditional request");
}

TEST(ThreatConfigTest, EveryProblemAtItsPath) {
  Problems problems;
  auto c = parseThreatIntel(js(R"({
    "lists": [
      {"name": "a", "verdict": "evil", "source": "s3://A_bucket/k"},
      {"name": "b b", "verdict": "trusted", "source": "ftp://x/y"},
      {"name": "c", "verdict": "trusted", "source": "http://feeds.example.com/c.txt"},
      {"name": "d", "verdict": "trusted", "source": "https://user:pw@example.com/d"},
      {"name": "e", "verdict": "malicious", "source": "https://example.com/e", "refresh": "10s"},
      {"name": "f", "verdict": "malicious", "source": "f.txt", "format": "TXT"},
      {"name": "g", "verdict": "malicious", "source": "g.txt", "csv": {"column": "ip"}},
      {"name": "h", "verdict": "malicious", "source": "h.txt", "region": "us-east-1"},
      {"name": "i", "verdict": "malicious", "source": "i.csv", "format": "csv",
       "csv": {"column": "ip", "column_index": 2}},
      {"name": "j", "verdict": "malicious", "sorce": "j.txt"},
      {"name": "k", "verdict": "malicious", "source": "s3://bucket"},
      {"name": "l", "verdict": "malicious", "source": "l.txt", "max_entries": 0},
      {"name": "a", "verdict": "malicious", "source": "a2.txt"},
      {"name": "a", "verdict": "malicious", "source": "a3.txt"},
      {"name": "m", "verdict": "malicious", "source": "m.txt", "refresh": "1h30m"}],
    "publish": {"location": "https://example.com/x", "detector_id": "Det-1"},
    "extra": 1})"),
                            problems);
  const std::string s = all(problems);
  EXPECT_NE(s.find("threat_intel.lists[0].verdict: must be malicious or trusted"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[0].source: 'A_bucket' is not an S3 bucket name"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[1].name: 'b b': a list name is"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.lists[1].source: unknown scheme 'ftp://'"), std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[2].source: http:// is accepted only to a loopback host"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[3].source: a user name or password in the URL is refused"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[4].refresh: must be a duration from 1m to 7d"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[5].format: must be txt"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.lists[6].csv: is only for format: csv"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.lists[7].region: is only for an s3:// source"), std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[8].csv: give either column"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.lists[9].sorce: unknown key 'sorce' (did you mean 'source'?)"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[9].source: is required"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.lists[10].source: needs an object key"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.lists[11].max_entries: must be a whole number from 1"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.lists[14].refresh: must be a duration"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.lists[13].name: duplicate list name 'a'"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.publish.location: must be an S3 object"), std::string::npos) << s;
  EXPECT_NE(s.find("threat_intel.publish.detector_id: 'Det-1' is not a detector id"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("threat_intel.extra: unknown key 'extra'"), std::string::npos) << s;
  // Every entry with a problem is left out: the first "a" too, so the last "a" is kept.
  ASSERT_EQ(c.lists.size(), 1u) << s;
  EXPECT_EQ(c.lists[0].source.path, "a2.txt");
  EXPECT_FALSE(c.publish);
}

TEST(ThreatConfigTest, NotAMapping) {
  Problems problems;
  parseThreatIntel(js(R"([1])"), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "threat_intel");
  EXPECT_EQ(problems[0].message, "must be a mapping (lists, publish)");
  problems.clear();
  parseThreatIntel(js(R"({"lists": {"name": "x"}})"), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "threat_intel.lists");
}

// ca_file: the CA bundle an https:// source is verified with; only for https.
TEST(ThreatConfigTest, CaFileIsForAnHttpsSourceOnly) {
  Problems problems;
  auto c = parseThreatIntel(js(R"({"lists": [
      {"name": "feed", "verdict": "malicious", "source": "https://feeds.example.com/x.txt",
       "ca_file": "certs/ca.pem"},
      {"name": "plain", "verdict": "malicious", "source": "https://feeds.example.com/y.txt"}]})"),
                            problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(c.lists.size(), 2u);
  EXPECT_EQ(c.lists[0].ca_file, "certs/ca.pem");
  EXPECT_EQ(c.lists[1].ca_file, "");
  auto other = c.lists[0];
  other.ca_file = "";
  EXPECT_FALSE(c.lists[0].sameFetch(other));
  parseThreatIntel(js(R"({"lists": [{"name": "f", "verdict": "trusted", "source": "lists/a.txt",
                                     "ca_file": "ca.pem"}]})"),
                   problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "threat_intel.lists[0].ca_file");
  EXPECT_EQ(problems[0].message, "is only for an https:// source (the CA bundle that verifies it)");
}

TEST(ThreatConfigTest, Sources) {
  auto f = parseListSource("/etc/riposte/lists/x.txt");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, ListSource::Kind::kFile);
  EXPECT_FALSE(f->remote());
  auto s3 = parseListSource("s3://my.bucket-1/a/b c+d.txt");
  ASSERT_TRUE(s3);
  EXPECT_EQ(s3->bucket, "my.bucket-1");
  EXPECT_EQ(s3->key, "a/b c+d.txt");
  EXPECT_TRUE(parseListSource("http://127.0.0.1:8000/list.txt"));
  EXPECT_TRUE(parseListSource("http://[::1]:8000/list.txt"));
  EXPECT_TRUE(parseListSource("http://localhost/list.txt"));
  EXPECT_FALSE(parseListSource("http://127.0.0.1.example.com/list.txt"));
  EXPECT_FALSE(parseListSource("https:///nohost"));
  EXPECT_FALSE(parseListSource("s3://my..bucket/k"));
  EXPECT_FALSE(parseListSource("s3://-bucket/k"));
  EXPECT_FALSE(parseListSource("a\nb.txt"));
  EXPECT_FALSE(parseListSource(""));
  EXPECT_EQ(parseListSource("gopher://x/y").error().code, "InvalidSource");
  // A token in the query is not shown.
  EXPECT_EQ(parseListSource("https://feeds.example.com/x.txt?key=s3cret")->shown(),
            "https://feeds.example.com/x.txt?…");
  EXPECT_EQ(parseListSource("s3://b-1/k")->shown(), "s3://b-1/k");
}

}  // namespace
}  // namespace riposte::policy
