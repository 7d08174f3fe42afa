// libFuzzer target: the pattern compiler (JSON reader, validation, $or expansion, wildcard
// complexity) and matching with whatever it accepts. Invariants checked: no crash, no hang,
// and a rule set of one pattern agrees with matches().

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pattern/pattern.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  using namespace riposte::pattern;
  std::string_view pattern(reinterpret_cast<const char*>(data), size);
  auto valid = validatePattern(pattern);
  if (!valid) {
    if (valid.error().code != "InvalidEventPattern" || valid.error().message.empty()) std::abort();
    return 0;
  }
  RuleSetBuilder b;
  if (!b.add("fuzz", pattern)) std::abort();  // validate and add must agree
  auto rs = b.build();
  static const char* kEvents[] = {
      R"({"a":"x","b":1,"c":{"d":[1,"y",null,true]},"detail":{"state":"running"}})",
      R"({"a":[{"b":"x","c":2},{"b":"y"}],"d":[],"e":{}})",
      R"({"source":"aws.guardduty","detail":{"severity":7.5,"ip":"10.0.0.1","name":"ÉTÉ"}})",
  };
  for (const char* e : kEvents) {
    auto m = rs->match(e);
    auto one = matches(pattern, e);
    if (!m || !one || (!m->empty()) != *one) std::abort();
  }
  return 0;
}
