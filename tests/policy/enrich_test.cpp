// Enrichment: the member added, the event otherwise untouched, a forged riposte member
// replaced, and rules of the real pattern matcher deciding on the result.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "core/json.h"
#include "fuzz/policy/remote_oracle.h"
#include "pattern/pattern.h"
#include "policy/threat_intel.h"
#include "sources/samples.h"

namespace riposte::policy {
namespace {

std::vector<Cidr> cidrs(std::initializer_list<const char*> l) {
  std::vector<Cidr> out;
  for (const char* s : l) out.push_back(*Cidr::make(s));
  return out;
}

std::shared_ptr<const ThreatIntel> intel() {
  ThreatIntelBuilder b;
  EXPECT_TRUE(
      b.add("tor-exits", Verdict::kMalicious, cidrs({"198.51.100.0/25", "2001:db8:7::/48"})));
  EXPECT_TRUE(b.add("botnet", Verdict::kMalicious, cidrs({"198.51.100.7", "203.0.113.66"})));
  EXPECT_TRUE(b.add("partners", Verdict::kTrusted, cidrs({"203.0.113.0/24"})));
  return b.build();
}

std::string gdEvent(std::string_view remote) {
  return R"({"version":"0","id":"e1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"123456789012","region":"us-east-1","detail":{"type":"Recon:EC2/PortProbeUnprotectedPort","service":{"action":{"actionType":"PORT_PROBE","portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":")" +
         std::string(remote) + R"("}}]}}},"severity":5}})";
}

json::value threatIntelOf(const std::string& enriched) {
  auto v = parseJson(enriched);
  EXPECT_TRUE(v) << v.error().message << "\n" << enriched;
  if (!v) return nullptr;
  const json::value* t = findPath(*v, "riposte.threatIntel");
  EXPECT_TRUE(t) << enriched;
  return t ? *t : json::value(nullptr);
}

json::value ti(std::initializer_list<const char*> malicious,
               std::initializer_list<const char*> trusted) {
  json::array m, t;
  for (const char* s : malicious) m.push_back(json::value(s));
  for (const char* s : trusted) t.push_back(json::value(s));
  return json::object{{"malicious", m}, {"trusted", t}};
}

TEST(Enrich, AppendsTheMemberAndKeepsEveryOtherByte) {
  auto t = intel();
  std::string event = gdEvent("198.51.100.7");
  std::string out;
  auto r = t->enrich(event, out);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->addresses, 1u);
  EXPECT_FALSE(r->replaced);
  EXPECT_EQ(out.substr(0, event.size() - 1), event.substr(0, event.size() - 1));
  EXPECT_EQ(out.substr(event.size() - 1),
            R"(,"riposte":{"threatIntel":{"malicious":["botnet","tor-exits"],"trusted":[]}}})");
  EXPECT_GE(out.capacity(), out.size() + pattern::RuleSet::kPadding);
  EXPECT_EQ(threatIntelOf(out), ti({"botnet", "tor-exits"}, {}));
}

TEST(Enrich, VerdictsPerAddress) {
  auto t = intel();
  EXPECT_EQ(threatIntelOf(*t->enrich(gdEvent("203.0.113.9"))), ti({}, {"partners"}));
  EXPECT_EQ(threatIntelOf(*t->enrich(gdEvent("203.0.113.66"))), ti({"botnet"}, {"partners"}));
  EXPECT_EQ(threatIntelOf(*t->enrich(gdEvent("192.0.2.1"))), ti({}, {}));
  EXPECT_EQ(threatIntelOf(*t->enrich(gdEvent("2001:db8:7::1"))), ti({"tor-exits"}, {}));
  EXPECT_EQ(threatIntelOf(*t->enrich(gdEvent("::ffff:198.51.100.7"))),
            ti({"botnet", "tor-exits"}, {}));
  std::string scratch;
  auto bad = t->enrich(gdEvent("not-an-ip"), scratch);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->skipped, 1u);
  EXPECT_EQ(bad->addresses, 0u);
  // No address at all: the member is still there, empty.
  EXPECT_EQ(threatIntelOf(*t->enrich(R"({"source":"x","detail":{}})")), ti({}, {}));
  EXPECT_EQ(*t->enrich("{}"), R"({"riposte":{"threatIntel":{"malicious":[],"trusted":[]}}})");
  EXPECT_EQ(*t->enrich(" { } "), R"( { "riposte":{"threatIntel":{"malicious":[],"trusted":[]}}})");
  EXPECT_EQ(threatIntelOf(*ThreatIntel::empty()->enrich(gdEvent("198.51.100.7"))), ti({}, {}));
}

TEST(Enrich, UnionOverEveryAddress) {
  auto t = intel();
  std::string e =
      R"({"detail":{"service":{"action":{"portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":"203.0.113.9"}},{"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}},{"remoteIpDetails":{"ipAddressV4":"192.0.2.1"}},{"remoteIpDetails":{"ipAddressV4":"203.0.113.66"}},{"remoteIpDetails":{"ipAddressV6":"2001:db8:7::9"}},{"remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}]}}}}})";
  std::string out;
  auto r = t->enrich(e, out);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->addresses, 6u);
  EXPECT_EQ(threatIntelOf(out), ti({"botnet", "tor-exits"}, {"partners"}));
}

// explain() gives each address its lists, and a union equal to what enrich() sets.
TEST(Enrich, ExplainNamesEachAddressAndAgreesWithEnrich) {
  auto t = intel();
  std::string e =
      R"({"detail":{"service":{"action":{"portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":"203.0.113.66"}},{"remoteIpDetails":{"ipAddressV4":"192.0.2.1"}},{"remoteIpDetails":{"ipAddressV4":"nope"}},{"remoteIpDetails":{"ipAddressV6":"2001:db8:7::9"}}]}}}},"riposte":{"threatIntel":{"malicious":["forged"]}}})";
  auto v = t->explain(e);
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_EQ(v->addresses.size(), 3u);
  EXPECT_EQ(v->skipped, 1u);
  EXPECT_EQ(v->addresses[0].address.str(), "203.0.113.66");
  EXPECT_EQ(v->addresses[0].lists, (ListMatch{{"botnet"}, {"partners"}}));
  EXPECT_EQ(v->addresses[1].address.str(), "192.0.2.1");
  EXPECT_TRUE(v->addresses[1].lists.empty());
  EXPECT_EQ(v->addresses[2].lists, (ListMatch{{"tor-exits"}, {}}));
  EXPECT_EQ(v->lists, (ListMatch{{"botnet", "tor-exits"}, {"partners"}}));
  EXPECT_EQ(threatIntelOf(*t->enrich(e)), ti({"botnet", "tor-exits"}, {"partners"}));
  EXPECT_FALSE(t->explain("[1]"));
}

TEST(Enrich, AForgedRiposteMemberIsReplaced) {
  auto t = intel();
  // A finding that claims it is trusted and already known: none of it reaches the matcher.
  for (
      const char* e : {
          R"({"riposte":{"threatIntel":{"malicious":[],"trusted":["partners"]},"incidentId":"x"},"source":"aws.guardduty","detail":{}})",
          R"({"source":"aws.guardduty","riposte":{"threatIntel":{"trusted":["partners"]}},"detail":{}})",
          R"({"source":"aws.guardduty","detail":{},"riposte":["partners"]})",
          R"({"source":"aws.guardduty","detail":{},"r\u0069poste":{"threatIntel":{"trusted":["partners"]}}})",
          R"({"riposte":1,"source":"aws.guardduty","riposte":{"threatIntel":{"trusted":["partners"]}},"detail":{}})",
      }) {
    SCOPED_TRACE(e);
    std::string out;
    auto r = t->enrich(e, out);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(r->replaced);
    auto v = parseJson(out);
    ASSERT_TRUE(v) << out;
    const auto& o = v->as_object();
    EXPECT_EQ(o.at("riposte"), json::value(json::object{{"threatIntel", ti({}, {})}}));
    EXPECT_EQ(o.at("source"), json::value("aws.guardduty"));
    EXPECT_TRUE(o.contains("detail"));
    EXPECT_EQ(o.size(), 3u);
    // The key appears once in the text.
    EXPECT_EQ(out.find("\"riposte\""), out.rfind("\"riposte\""));
    EXPECT_EQ(out.find("r\\u0069poste"), std::string::npos);
    // A rule asking for a trusted list does not fire; one on riposte.incidentId neither.
    pattern::RuleSetBuilder b;
    ASSERT_TRUE(b.add("trusted", R"({"riposte":{"threatIntel":{"trusted":["partners"]}}})"));
    ASSERT_TRUE(b.add("forged-id", R"({"riposte":{"incidentId":["x"]}})"));
    ASSERT_TRUE(b.add("empty", R"({"riposte":{"threatIntel":{"trusted":[{"exists":false}]}}})"));
    auto m = b.build()->matchString(out);
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, std::vector<uint32_t>{2});
  }
  // Only the root member is riposte's: a "riposte" key deeper down is the event's own.
  std::string nested = R"({"detail":{"riposte":{"threatIntel":1}}})";
  auto r = t->enrich(nested);
  ASSERT_TRUE(r);
  EXPECT_EQ(
      *r,
      R"({"detail":{"riposte":{"threatIntel":1}},"riposte":{"threatIntel":{"malicious":[],"trusted":[]}}})");
}

TEST(Enrich, RulesDecideOnTheResult) {
  auto t = intel();
  pattern::RuleSetBuilder b;
  ASSERT_TRUE(b.add(
      "tor",
      R"({"source":["aws.guardduty"],"riposte":{"threatIntel":{"malicious":["tor-exits"]}}})"));
  ASSERT_TRUE(
      b.add("any-malicious", R"({"riposte":{"threatIntel":{"malicious":[{"prefix":""}]}}})"));
  ASSERT_TRUE(
      b.add("not-trusted", R"({"riposte":{"threatIntel":{"trusted":[{"exists":false}]}}})"));
  auto rules = b.build();
  auto hits = [&](const std::string& remote) {
    std::string out;
    EXPECT_TRUE(t->enrich(gdEvent(remote), out));
    auto m = rules->matchString(out);
    EXPECT_TRUE(m) << m.error().message;
    return m ? *m : std::vector<uint32_t>{};
  };
  EXPECT_EQ(hits("198.51.100.7"), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(hits("203.0.113.66"), (std::vector<uint32_t>{1}));
  EXPECT_EQ(hits("203.0.113.9"), (std::vector<uint32_t>{}));
  EXPECT_EQ(hits("192.0.2.1"), (std::vector<uint32_t>{2}));
}

// The ingest-time split: addresses read from the DOM, the member appended in place.
TEST(Enrich, AppendInPlaceEqualsEnrich) {
  auto t = intel();
  for (std::string e :
       {gdEvent("198.51.100.7"), gdEvent("203.0.113.66"), gdEvent("192.0.2.1"),
        std::string(R"({"riposte":{"threatIntel":{"trusted":["partners"]}},"detail":{}})"),
        std::string("{}"), std::string(" { } \n"), std::string("{\"a\":1 }\r\n"),
        gdEvent("2001:db8:7::1")}) {
    SCOPED_TRACE(e);
    auto dom = parseJson(e);
    ASSERT_TRUE(dom);
    auto addresses = remoteAddressesOf(*dom);
    std::string in_place = e;
    auto r = t->appendThreatIntel(in_place, addresses);
    ASSERT_TRUE(r) << r.error().message;
    auto want = t->enrich(e);
    ASSERT_TRUE(want);
    EXPECT_EQ(*parseJson(in_place), *parseJson(*want));
    EXPECT_EQ(r->replaced, addresses.root_riposte);
    EXPECT_GE(in_place.capacity(), in_place.size() + pattern::RuleSet::kPadding);
  }
  std::string not_object = "[1]";
  EXPECT_FALSE(t->appendThreatIntel(not_object, EventAddresses{}));
  EXPECT_EQ(not_object, "[1]");
}

TEST(Enrich, MalformedEventsAreErrorsAndLeaveNothing) {
  auto t = intel();
  std::string out = "stale";
  auto r = t->enrich("{\"a\":", out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidEvent");
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(t->enrich("[1]"));
  EXPECT_FALSE(t->enrich("{} {}"));
}

// Every sample type, both forms, random remote addresses: the threatIntel member equals the
// union of look-ups over the DOM reading of the same event; the rest of the object is equal.
TEST(Enrich, AgreesWithLookupsOverTheDomReading) {
  auto t = intel();
  std::mt19937 rng(3);
  const char* kRemotes[] = {"198.51.100.7", "198.51.100.200", "203.0.113.66", "203.0.113.1",
                            "192.0.2.9"};
  int checked = 0;
  for (const auto& type : sources::sampleTypes()) {
    sources::SampleOptions o;
    o.seed = rng();
    o.now_ms = 1'795'000'000'000;
    auto f = sources::sampleFinding(type.type, o);
    ASSERT_TRUE(f);
    std::string remote = kRemotes[rng() % 5];
    std::string text = toJson(sources::sampleEvent(*f));
    // Put the chosen remote address wherever the sample wrote its own.
    if (auto ip =
            stringAt(*parseJson(text),
                     "detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4")) {
      for (auto p = text.find(*ip); p != std::string::npos; p = text.find(*ip, p + remote.size()))
        text.replace(p, ip->size(), remote);
    }
    json::object a = sources::toAsff(parseJson(text)->at("detail").as_object());
    for (const std::string& event :
         {text, toJson(sources::wrapAsffFindings(json::array{a}, "id", "2026-11-18T00:00:00Z"))}) {
      SCOPED_TRACE(type.type);
      std::string out;
      ASSERT_TRUE(t->enrich(event, out));
      auto in = parseJson(event);
      auto want = oracle::remoteAddresses(*in);
      std::set<std::string> mal, tr;
      for (const auto& addr : want.addresses) {
        const auto& m = t->lookup(addr);
        mal.insert(m.malicious.begin(), m.malicious.end());
        tr.insert(m.trusted.begin(), m.trusted.end());
      }
      json::array jm, jt;
      for (const auto& s : mal) jm.push_back(json::value(s));
      for (const auto& s : tr) jt.push_back(json::value(s));
      auto got = parseJson(out);
      ASSERT_TRUE(got);
      json::object rest = got->as_object();
      EXPECT_EQ(rest.at("riposte").at("threatIntel"),
                json::value(json::object{{"malicious", jm}, {"trusted", jt}}));
      rest.erase("riposte");
      EXPECT_EQ(json::value(rest), *in);
      checked += !jm.empty() || !jt.empty();
    }
  }
  EXPECT_GT(checked, 20);
}

}  // namespace
}  // namespace riposte::policy
