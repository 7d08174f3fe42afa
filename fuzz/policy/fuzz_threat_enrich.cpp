// libFuzzer target: enrichment of arbitrary bytes (the forward cursor reads untrusted
// events). Invariants: no crash or hang; on a JSON object (as Boost.JSON reads it) the
// result is a JSON object equal to the event without its root "riposte" members plus
// riposte.threatIntel, and the addresses read from the event's serialisation are the DOM
// reading's (fuzz/policy/remote_oracle.h); threatIntel is the union of their look-ups.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "core/json.h"
#include "fuzz/policy/remote_oracle.h"
#include "policy/threat_intel.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

namespace {

using namespace riposte;
using namespace riposte::policy;

const ThreatIntel& intel() {
  static const auto t = [] {
    ThreatIntelBuilder b;
    auto add = [&](const char* name, Verdict v, std::initializer_list<const char*> l) {
      std::vector<Cidr> c;
      for (const char* s : l) c.push_back(*Cidr::make(s));
      if (!b.add(name, v, c)) std::abort();
    };
    add("tor", Verdict::kMalicious, {"198.51.100.0/25", "2001:db8::/33", "1.0.0.0/8"});
    add("c2", Verdict::kMalicious, {"198.51.100.7", "203.0.113.0/24", "0.0.0.0/32"});
    add("ok", Verdict::kTrusted, {"203.0.113.128/25", "::/1", "10.0.0.0/8"});
    return b.build();
  }();
  return *t;
}

json::value expected(const json::value& dom) {
  std::set<std::string> mal, tr;
  for (const auto& a : oracle::remoteAddresses(dom).addresses) {
    const auto& m = intel().lookup(a);
    mal.insert(m.malicious.begin(), m.malicious.end());
    tr.insert(m.trusted.begin(), m.trusted.end());
  }
  json::array jm, jt;
  for (const auto& s : mal) jm.push_back(json::value(s));
  for (const auto& s : tr) jt.push_back(json::value(s));
  return json::object{{"malicious", jm}, {"trusted", jt}};
}

}  // namespace

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string out;
  auto r = intel().enrich(text, out);
  if (!r && (r.error().code != "InvalidEvent" || !out.empty())) std::abort();
  auto dom = parseJson(text, 64);
  if (!dom || !dom->is_object()) return 0;
  if (!r) std::abort();  // a JSON object the cursor could not read
  auto got = parseJson(out, 66);
  if (!got || !got->is_object()) std::abort();
  json::object rest = got->as_object();
  json::object want = dom->as_object();
  want.erase("riposte");
  auto it = rest.find("riposte");
  if (it == rest.end() || !it->value().is_object()) std::abort();
  const json::object& member = it->value().get_object();
  if (member.size() != 1 || !member.contains("threatIntel")) std::abort();
  rest.erase("riposte");
  if (!(json::value(rest) == json::value(want))) std::abort();
  // The serialisation (what the store keeps) has no duplicate keys: cursor == DOM there.
  std::string canon = toJson(*dom);
  auto c = intel().enrich(canon);
  if (!c) std::abort();
  auto cdom = parseJson(*c, 66);
  if (!cdom) std::abort();
  const json::value* cti = findPath(*cdom, "riposte.threatIntel");
  if (!cti || !(*cti == expected(*dom))) std::abort();
  auto addrs = extractRemoteAddresses(canon);
  if (!addrs) std::abort();
  auto want_addrs = oracle::remoteAddresses(*dom);
  std::set<IpAddress> a(addrs->addresses.begin(), addrs->addresses.end());
  std::set<IpAddress> b(want_addrs.addresses.begin(), want_addrs.addresses.end());
  if (a != b || addrs->skipped != want_addrs.skipped) std::abort();
  return 0;
}
