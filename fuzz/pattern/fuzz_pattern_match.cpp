// libFuzzer target: the event flattener (simdjson On-Demand walk) and the compiled matcher,
// with a fixed rule set that uses every operator. Invariants checked: no crash, and on
// well-formed JSON the multi-rule answer equals matching each rule on its own, and equals the
// answer on the same event with a trailing member no rule names (which turns off the walk's
// "stop at an unvisited last container" shortcut).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "pattern/pattern.h"
#include "pattern/pattern_json.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

namespace {
const std::vector<std::string>& rules() {
  static const std::vector<std::string> r = {
      R"({"a":["x",1,true,null]})",
      R"({"a":[{"prefix":"x"},{"suffix":"y"}]})",
      R"({"a":[{"equals-ignore-case":"XÉ"}],"b":[{"exists":true}]})",
      R"({"a":[{"wildcard":"*x*y"}]})",
      R"({"a":[{"anything-but":["x","y"]}],"c":{"d":[{"exists":false}]}})",
      R"({"b":[{"numeric":[">",0,"<=",10]}]})",
      R"({"b":[{"anything-but":[1,2]}]})",
      R"({"ip":[{"cidr":"10.0.0.0/8"},"2001:db8::1"]})",
      R"({"arr":{"k":["a"],"v":["b"]}})",
      R"({"arr":{"k":["a"],"v":[{"exists":false}]}})",
      R"({"$or":[{"a":["x"]},{"c":{"d":[{"prefix":{"equals-ignore-case":"Q"}}]}}]})",
      R"({"c.d":[{"suffix":{"equals-ignore-case":"z"}}]})",
  };
  return r;
}
std::shared_ptr<const riposte::pattern::RuleSet> ruleSet() {
  static auto rs = [] {
    riposte::pattern::RuleSetBuilder b;
    for (const auto& p : rules())
      if (!b.add(p, p)) std::abort();
    return b.build();
  }();
  return rs;
}

// The event with `"zz~":0` as its last root member (no rule names "zz~"); empty if the event
// does not end with its root object's closing brace.
std::string withTrailingMember(std::string_view event) {
  auto isSpace = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  std::size_t end = event.size();
  while (end > 0 && isSpace(event[end - 1])) --end;
  if (end == 0 || event[end - 1] != '}') return {};
  std::size_t before = end - 1;
  while (before > 0 && isSpace(event[before - 1])) --before;
  bool empty = before > 0 && event[before - 1] == '{';
  std::string out(event.substr(0, end - 1));
  out += empty ? R"("zz~":0)" : R"(,"zz~":0)";
  out += event.substr(end - 1);
  return out;
}
}  // namespace

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  using namespace riposte::pattern;
  std::string_view event(reinterpret_cast<const char*>(data), size);
  auto m = ruleSet()->match(event);
  if (!m && m.error().code != "InvalidEvent") std::abort();
  // The matcher validates only the parts of an event it reads (On-Demand parsing), so
  // rule sets naming different fields may disagree on malformed input: compare answers on
  // well-formed JSON only.
  if (!m || !parsePatternJson(event, 1024)) return 0;
  std::size_t k = 0;
  for (uint32_t i = 0; i < rules().size(); ++i) {
    auto one = matches(rules()[i], event);
    if (!one) std::abort();  // the same event was readable above
    bool in = k < m->size() && (*m)[k] == i;
    if (in) ++k;
    if (in != *one) std::abort();
  }
  std::string longer = withTrailingMember(event);
  if (longer.empty() || !parsePatternJson(longer, 1024)) std::abort();  // a well-formed object
  auto m2 = ruleSet()->match(longer);
  if (!m2 || *m2 != *m) std::abort();
  return 0;
}
