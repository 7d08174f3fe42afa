// Extraction of remote addresses: every documented field (GuardDuty API reference and
// botocore's guardduty/securityhub models), every sample finding type in both of its
// forms against a DOM reading, invalid values skipped and counted, malformed events.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "core/json.h"
#include "fuzz/policy/remote_oracle.h"
#include "policy/threat_intel.h"
#include "sources/samples.h"

namespace riposte::policy {
namespace {

using V = std::vector<std::string>;

V found(std::string_view event) {
  auto r = extractRemoteAddresses(event);
  EXPECT_TRUE(r) << r.error().message << "\n" << event;
  V out;
  if (r) {
    for (const auto& a : r->addresses) out.push_back(a.str());
  }
  return out;
}

std::set<std::string> strings(const std::vector<IpAddress>& v) {
  std::set<std::string> out;
  for (const auto& a : v) out.insert(a.str());
  return out;
}

std::size_t skipped(std::string_view event) {
  auto r = extractRemoteAddresses(event);
  return r ? r->skipped : 9999;
}

std::string gd(std::string_view action) {
  return R"({"version":"0","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"schemaVersion":"2.0","type":"X","service":{"serviceName":"guardduty","action":)" +
         std::string(action) + R"(},"severity":8}})";
}

std::string asff(std::string_view finding) {
  return R"({"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[)" +
         std::string(finding) + "]}}";
}

TEST(Extract, EveryGuardDutyAction) {
  EXPECT_EQ(
      found(gd(
          R"({"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"INBOUND","localIpDetails":{"ipAddressV4":"10.0.0.12"},"remoteIpDetails":{"ipAddressV4":"198.51.100.7","organization":{"asn":"64500"}}}})")),
      (V{"198.51.100.7"}));
  EXPECT_EQ(
      found(gd(
          R"({"awsApiCallAction":{"api":"GetObject","remoteIpDetails":{"ipAddressV6":"2001:db8::7","ipAddressV4":null}}})")),
      (V{"2001:db8::7"}));
  EXPECT_EQ(
      found(gd(
          R"({"kubernetesApiCallAction":{"requestUri":"/api","sourceIPs":["198.51.100.1","198.51.100.2"],"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}}})")),
      (V{"198.51.100.1", "198.51.100.2"}));
  EXPECT_EQ(found(gd(R"({"kubernetesApiCallAction":{"sourceIps":["203.0.113.5"]}})")),
            (V{"203.0.113.5"}));
  EXPECT_EQ(
      found(gd(
          R"({"rdsLoginAttemptAction":{"LoginAttributes":[{"user":"admin"}],"remoteIpDetails":{"ipAddressV4":"203.0.113.6"}}})")),
      (V{"203.0.113.6"}));
  EXPECT_EQ(
      found(gd(
          R"({"portProbeAction":{"blocked":false,"portProbeDetails":[{"localPortDetails":{"port":22},"localIpDetails":{"ipAddressV4":"10.0.0.12"},"remoteIpDetails":{"ipAddressV4":"198.51.100.8"}},{"remoteIpDetails":{"ipAddressV4":"198.51.100.9","ipAddressV6":"2001:db8::9"}},{"remoteIpDetails":{"ipAddressV4":"198.51.100.8"}}]}})")),
      (V{"198.51.100.8", "198.51.100.9", "2001:db8::9"}));
  // DNS_REQUEST: a domain, no address.
  EXPECT_EQ(
      found(gd(
          R"({"actionType":"DNS_REQUEST","dnsRequestAction":{"domain":"198.51.100.10","protocol":"UDP","blocked":false,"domainWithSuffix":"x"}})")),
      V{});
  // Several actions in one finding, in document order, each address once.
  EXPECT_EQ(
      found(gd(
          R"({"awsApiCallAction":{"remoteIpDetails":{"ipAddressV4":"203.0.113.2"}},"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"203.0.113.1"}},"portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":"203.0.113.2"}}]}})")),
      (V{"203.0.113.2", "203.0.113.1"}));
}

TEST(Extract, OnlyTheDocumentedPaths) {
  // Local details, the resource's own addresses, and look-alikes elsewhere are not read.
  EXPECT_EQ(
      found(
          R"({"detail":{"resource":{"instanceDetails":{"networkInterfaces":[{"privateIpAddress":"10.0.0.1","publicIp":"54.0.0.1","remoteIpDetails":{"ipAddressV4":"198.51.100.1"}}]}},"service":{"action":{"networkConnectionAction":{"localIpDetails":{"ipAddressV4":"10.0.0.2"}}},"remoteIpDetails":{"ipAddressV4":"198.51.100.2"}}},"remoteIpDetails":{"ipAddressV4":"198.51.100.3"}})"),
      V{});
  EXPECT_EQ(
      found(
          R"({"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"198.51.100.4"}}}}})"),
      V{});  // a bare finding: the engine matches envelopes
  EXPECT_EQ(
      found(
          R"({"detail":{"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"IpAddressV4":"198.51.100.5","ipaddressv4":"198.51.100.6"}}}}}})"),
      V{});  // names are case-sensitive
}

TEST(Extract, SecurityHubFindings) {
  // Network by Direction.
  EXPECT_EQ(
      found(asff(
          R"({"Network":{"Direction":"IN","SourceIpV4":"198.51.100.7","DestinationIpV4":"10.0.0.12","SourceIpV6":"2001:db8::7","DestinationIpV6":"fd00::12"}})")),
      (V{"198.51.100.7", "2001:db8::7"}));
  EXPECT_EQ(
      found(asff(
          R"({"Network":{"SourceIpV4":"10.0.0.12","DestinationIpV4":"203.0.113.9","Direction":"OUT"}})")),
      (V{"203.0.113.9"}));
  EXPECT_EQ(
      found(asff(R"({"Network":{"SourceIpV4":"10.0.0.12","DestinationIpV4":"203.0.113.9"}})")),
      (V{"10.0.0.12", "203.0.113.9"}));
  EXPECT_EQ(
      found(asff(
          R"({"Network":{"Direction":"SIDEWAYS","SourceIpV4":"10.0.0.12","DestinationIpV6":"2001:db8::1"}})")),
      (V{"10.0.0.12", "2001:db8::1"}));
  // Action.
  EXPECT_EQ(
      found(asff(
          R"({"Action":{"ActionType":"NETWORK_CONNECTION","NetworkConnectionAction":{"ConnectionDirection":"INBOUND","RemoteIpDetails":{"IpAddressV4":"198.51.100.20","Country":{"CountryCode":"EX"}}}}})")),
      (V{"198.51.100.20"}));
  EXPECT_EQ(
      found(asff(
          R"({"Action":{"AwsApiCallAction":{"Api":"ListBuckets","RemoteIpDetails":{"IpAddressV4":"198.51.100.21"}}}})")),
      (V{"198.51.100.21"}));
  EXPECT_EQ(
      found(asff(
          R"({"Action":{"PortProbeAction":{"PortProbeDetails":[{"LocalIpDetails":{"IpAddressV4":"10.0.0.1"},"RemoteIpDetails":{"IpAddressV4":"198.51.100.22"}},{"RemoteIpDetails":{"IpAddressV4":"198.51.100.23"}}]}}})")),
      (V{"198.51.100.22", "198.51.100.23"}));
  EXPECT_EQ(found(asff(R"({"Action":{"DnsRequestAction":{"Domain":"example.com"}}})")), V{});
  // Several findings in one event.
  EXPECT_EQ(
      found(asff(
          R"({"Network":{"Direction":"IN","SourceIpV4":"198.51.100.30"}},{"Id":"x"},{"Network":{"Direction":"IN","SourceIpV4":"198.51.100.31"}})")),
      (V{"198.51.100.30", "198.51.100.31"}));
}

TEST(Extract, InvalidValuesAreSkippedAndCounted) {
  std::string e = gd(
      R"({"portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":"not-an-ip"}},{"remoteIpDetails":{"ipAddressV4":"0.0.0.0/0"}},{"remoteIpDetails":{"ipAddressV4":42}},{"remoteIpDetails":{"ipAddressV4":{"a":1}}},{"remoteIpDetails":{"ipAddressV4":null}},{"remoteIpDetails":{"ipAddressV4":"01.2.3.4"}},{"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}},{"remoteIpDetails":"198.51.100.2"},"str",7,null]}})");
  EXPECT_EQ(found(e), (V{"198.51.100.1"}));
  EXPECT_EQ(skipped(e), 5u);
  std::string k8s = gd(
      R"({"kubernetesApiCallAction":{"sourceIPs":["x",null,true,"203.0.113.1"],"sourceIps":"203.0.113.2"}})");
  EXPECT_EQ(found(k8s), (V{"203.0.113.1"}));
  EXPECT_EQ(skipped(k8s), 3u);
  // An unused end of a flow is not counted; a used one is.
  EXPECT_EQ(
      skipped(asff(R"({"Network":{"Direction":"IN","SourceIpV4":"bad","DestinationIpV4":"bad"}})")),
      1u);
  EXPECT_EQ(skipped(asff(R"({"Network":{"SourceIpV4":"bad","DestinationIpV4":"bad"}})")), 2u);
}

TEST(Extract, UnexpectedShapesAreIgnored) {
  for (
      const char* action :
      {R"("a string")", "null", "[]", R"({"networkConnectionAction":[]})",
       R"({"networkConnectionAction":{"remoteIpDetails":[{"ipAddressV4":"198.51.100.1"}]}})",
       R"({"portProbeAction":{"portProbeDetails":{"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}}}})",
       R"({"portProbeAction":{"portProbeDetails":[[{"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}}]]}})"}) {
    EXPECT_EQ(found(gd(action)), V{}) << action;
  }
  EXPECT_EQ(found(R"({"detail":"x"})"), V{});
  EXPECT_EQ(found(R"({"detail":{"findings":{"Network":{"SourceIpV4":"198.51.100.1"}}}})"), V{});
  EXPECT_EQ(found(R"({"detail":{"findings":["x",1,null,{"Network":[]}]}})"), V{});
  EXPECT_EQ(found("{}"), V{});
  EXPECT_EQ(found(" {\n} \n"), V{});
}

TEST(Extract, EscapesAreRead) {
  EXPECT_EQ(
      found(
          R"({"det\u0061il":{"service":{"action":{"networkConnectionAction":{"remoteIpDetails":{"ipAddress\u00564":"\u0031\u0039\u0038.51.100.7"}}}}}})"),
      (V{"198.51.100.7"}));
  // Strings with escaped quotes and brackets around the fields read.
  EXPECT_EQ(
      found(
          R"({"a":"\"{[\\","detail":{"x":"\\\"]}","service":{"y":["\"}",{"z":"\\"}],"action":{"networkConnectionAction":{"remoteIpDetails":{"note":"}]\"","ipAddressV4":"198.51.100.8"}}}}}})"),
      (V{"198.51.100.8"}));
}

TEST(Extract, WhitespaceAnywhere) {
  std::string pretty =
      "{\n  \"detail\" : {\n    \"service\" : {\n      \"action\" : {\n"
      "        \"portProbeAction\" : { \"portProbeDetails\" : [ { \"remoteIpDetails\" :\r\n"
      "          { \"ipAddressV4\" : \"198.51.100.9\" } } , { } ]\t}\n      }\n    }\n  }\n}\n";
  EXPECT_EQ(found(pretty), (V{"198.51.100.9"}));
}

TEST(Extract, MalformedEventsAreErrors) {
  for (const char* bad :
       {"", "[]", "\"x\"", "42", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1 \"b\":2}",
        "{\"a\":1}x", "{\"a\":1}{}",
        "{\"detail\":{\"service\":{\"action\":{\"awsApiCallAction\":"
        "{\"remoteIpDetails\":{\"ipAddressV4\":\"198.51.100.1\"}}}}}",
        "{\"a\":\"unclosed}", "{\"a\":[1,2}", "{\"\\uD800\":1}", "{\"\\u12\":1}"}) {
    auto r = extractRemoteAddresses(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "InvalidEvent") << bad;
  }
}

TEST(Extract, FromTheDom) {
  auto dom = parseJson(gd(
      R"({"portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":"198.51.100.8"}},{"remoteIpDetails":{"ipAddressV4":"bad","ipAddressV6":"2001:db8::9"}},{"remoteIpDetails":{"ipAddressV4":"198.51.100.8"}}]}})"));
  auto a = remoteAddressesOf(*dom);
  EXPECT_EQ(strings(a.remote.addresses), (std::set<std::string>{"198.51.100.8", "2001:db8::9"}));
  EXPECT_EQ(a.remote.addresses.size(), 2u);
  EXPECT_EQ(a.remote.skipped, 1u);
  EXPECT_FALSE(a.root_riposte);
  EXPECT_TRUE(remoteAddressesOf(*parseJson(R"({"riposte":1,"detail":{}})")).root_riposte);
  EXPECT_TRUE(remoteAddressesOf(json::value("x")).remote.addresses.empty());
}

TEST(Extract, FieldTableNamesEveryPath) {
  std::set<std::string> paths;
  for (const auto& f : remoteAddressFields()) paths.insert(f.path);
  for (const char* p :
       {"detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4",
        "detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV6",
        "detail.service.action.awsApiCallAction.remoteIpDetails.ipAddressV4",
        "detail.service.action.kubernetesApiCallAction.remoteIpDetails.ipAddressV6",
        "detail.service.action.kubernetesApiCallAction.sourceIPs[]",
        "detail.service.action.rdsLoginAttemptAction.remoteIpDetails.ipAddressV4",
        "detail.service.action.portProbeAction.portProbeDetails[].remoteIpDetails.ipAddressV4",
        "detail.findings[].Network.SourceIpV4", "detail.findings[].Network.DestinationIpV6",
        "detail.findings[].Action.AwsApiCallAction.RemoteIpDetails.IpAddressV4",
        "detail.findings[].Action.PortProbeAction.PortProbeDetails[].RemoteIpDetails."
        "IpAddressV4"}) {
    EXPECT_EQ(paths.count(p), 1u) << p;
  }
  for (const auto& f : remoteAddressFields()) {
    EXPECT_EQ(f.path.find("localIpDetails"), std::string::npos);
    EXPECT_EQ(f.path.find("dnsRequestAction"), std::string::npos);
  }
}

// Every sample type, as the EventBridge event and as its Security Hub form: the cursor agrees
// with the DOM reading, and finds the sample's remote address where the type has one.
TEST(Extract, EverySampleFindingTypeInBothForms) {
  int with_remote = 0;
  for (const auto& type : sources::sampleTypes()) {
    SCOPED_TRACE(type.type);
    sources::SampleOptions o;
    o.seed = 11;
    o.now_ms = 1'795'000'000'000;
    auto f = sources::sampleFinding(type.type, o);
    ASSERT_TRUE(f) << f.error().message;
    std::string event = toJson(sources::sampleEvent(*f));
    auto got = extractRemoteAddresses(event);
    ASSERT_TRUE(got) << got.error().message;
    auto dom = parseJson(event);
    ASSERT_TRUE(dom);
    auto want = oracle::remoteAddresses(*dom);
    EXPECT_EQ(strings(got->addresses), strings(want.addresses));
    EXPECT_EQ(got->skipped, 0u);
    EXPECT_EQ(strings(remoteAddressesOf(*dom).remote.addresses), strings(want.addresses));
    // The types whose action names a remote IP: the sample's one address is found, and the
    // resource's own addresses are not.
    const json::value finding = *f;
    const json::value* action = findPath(finding, "service.action");
    std::string remote;
    if (action) {
      for (const char* k :
           {"networkConnectionAction", "awsApiCallAction", "kubernetesApiCallAction"}) {
        if (auto ip = stringAt(*action, std::string(k) + ".remoteIpDetails.ipAddressV4"))
          remote = *ip;
      }
      if (const auto* p = findPath(*action, "portProbeAction.portProbeDetails"); p && p->is_array())
        remote = stringAt(p->get_array()[0], "remoteIpDetails.ipAddressV4").value_or("");
    }
    if (!remote.empty()) {
      ++with_remote;
      EXPECT_EQ(strings(got->addresses), (std::set<std::string>{remote}));
    } else {
      EXPECT_TRUE(got->addresses.empty()) << type.action_type;
    }
    // The Security Hub form.
    json::object a = sources::toAsff(*f);
    std::string sh =
        toJson(sources::wrapAsffFindings(json::array{a}, "id-1", "2026-11-18T00:00:00Z"));
    auto got_sh = extractRemoteAddresses(sh);
    ASSERT_TRUE(got_sh) << got_sh.error().message;
    auto sh_dom = parseJson(sh);
    auto want_sh = oracle::remoteAddresses(*sh_dom);
    EXPECT_EQ(strings(got_sh->addresses), strings(want_sh.addresses));
    EXPECT_EQ(strings(remoteAddressesOf(*sh_dom).remote.addresses), strings(want_sh.addresses));
    if (findPath(finding, "service.action.networkConnectionAction")) {
      EXPECT_EQ(strings(got_sh->addresses), (std::set<std::string>{remote}));
    }
  }
  EXPECT_GT(with_remote, 30);
}

// Random documents: the fields at random depths among random noise (escapes, nesting,
// brackets in strings, blocks crossing 64-byte boundaries), against the DOM reading.
class Noise {
 public:
  explicit Noise(uint64_t seed) : rng_(seed) {}

  std::string str() {
    static const char* kParts[] = {"a",
                                   "\\\"",
                                   "\\\\",
                                   "{",
                                   "}",
                                   "[",
                                   "]",
                                   ",",
                                   ":",
                                   "\\u0041",
                                   "\\/",
                                   " ",
                                   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                   "\\n",
                                   "é",
                                   "\\ud83d\\ude00"};
    std::string s = "\"";
    int n = static_cast<int>(rng_() % 12);
    for (int i = 0; i < n; ++i) s += kParts[rng_() % (sizeof kParts / sizeof *kParts)];
    return s + "\"";
  }
  std::string value(int depth) {
    switch (rng_() % (depth > 4 ? 3 : 6)) {
      case 0:
        return str();
      case 1:
        return std::to_string(static_cast<int64_t>(rng_() % 100000) - 50000);
      case 2:
        return rng_() % 2 ? "true" : "null";
      case 3: {
        std::string s = "[";
        int n = static_cast<int>(rng_() % 5);
        for (int i = 0; i < n; ++i) s += (i ? "," : "") + value(depth + 1);
        return s + "]";
      }
      default: {
        std::string s = "{";
        int n = static_cast<int>(rng_() % 5);
        // Names unique within the object (a duplicate is no JSON riposte reads): each starts
        // with its index.
        for (int i = 0; i < n; ++i)
          s += (i ? ",\"" : "\"") + std::to_string(i) + "|" + str().substr(1) + ":" +
               value(depth + 1);
        return s + "}";
      }
    }
  }
  // An object holding `inner` under `key` among noise members.
  std::string around(const std::string& key, const std::string& inner) {
    std::string s = "{";
    int before = static_cast<int>(rng_() % 3), after = static_cast<int>(rng_() % 3);
    bool first = true;
    auto sep = [&] {
      if (!first) s += rng_() % 2 ? "," : " ,\n ";
      first = false;
    };
    for (int i = 0; i < before; ++i) {
      sep();
      s += "\"n" + std::to_string(i) + "\":" + value(1);
    }
    sep();
    s += "\"" + key + "\":" + inner;
    for (int i = 0; i < after; ++i) {
      sep();
      s += "\"m" + std::to_string(i) + "\":" + value(1);
    }
    return s + "}";
  }
  std::string address() {
    switch (rng_() % 5) {
      case 0:
        return "\"198.51.100." + std::to_string(rng_() % 256) + "\"";
      case 1:
        return "\"2001:db8::" + std::to_string(rng_() % 1000) + "\"";
      case 2:
        return "\"bad-" + std::to_string(rng_() % 10) + "\"";
      case 3:
        return "null";
      default:
        return "\"203.0.113." + std::to_string(rng_() % 256) + "\"";
    }
  }
  std::string event() {
    // Built from the inside out; each level among noise.
    std::string remote = "{\"ipAddressV4\":" + address() + ",\"organization\":" + value(2) +
                         ",\"ipAddressV6\":" + address() + "}";
    std::string k = rng_() % 2 ? "awsApiCallAction" : "rdsLoginAttemptAction";
    std::string probes = "[" + around("remoteIpDetails", "{\"ipAddressV4\":" + address() + "}") +
                         "," + value(2) + "]";
    std::string probe = around("portProbeDetails", probes);
    std::string a = "{\"" + k + "\":" + around("remoteIpDetails", remote) +
                    ",\"portProbeAction\":" + probe + ",\"x\":" + value(1) + "}";
    std::string service = around("action", a);
    std::string net = "{\"Direction\":\"" + std::string(rng_() % 2 ? "IN" : "OUT") +
                      "\",\"SourceIpV4\":" + address() + ",\"DestinationIpV4\":" + address() + "}";
    std::string findings = "[" + around("Network", net) + "," + value(2) + "]";
    std::string detail =
        "{\"service\":" + service + ",\"findings\":" + findings + ",\"noise\":" + value(1) + "}";
    return around("detail", detail);
  }

 private:
  std::mt19937_64 rng_;
};

TEST(Extract, RandomDocumentsAgreeWithTheDomReading) {
  Noise n(5);
  for (int i = 0; i < 3000; ++i) {
    std::string e = n.event();
    auto dom = parseJson(e);
    ASSERT_TRUE(dom) << dom.error().message << "\n" << e;
    auto want = oracle::remoteAddresses(*dom);
    auto got = extractRemoteAddresses(e);
    ASSERT_TRUE(got) << got.error().message << "\n" << e;
    ASSERT_EQ(strings(got->addresses), strings(want.addresses)) << e;
    ASSERT_EQ(got->skipped, want.skipped) << e;
    // The DOM reading of the same field table.
    auto of = remoteAddressesOf(*dom);
    ASSERT_EQ(strings(of.remote.addresses), strings(want.addresses)) << e;
    ASSERT_EQ(of.remote.skipped, want.skipped) << e;
    ASSERT_FALSE(of.root_riposte);
    // And through the serialisation the store keeps.
    auto canon = extractRemoteAddresses(toJson(*dom));
    ASSERT_TRUE(canon);
    ASSERT_EQ(strings(canon->addresses), strings(want.addresses));
  }
}

}  // namespace
}  // namespace riposte::policy
