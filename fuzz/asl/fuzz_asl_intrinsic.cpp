// Fuzzes the intrinsic-function parser and evaluator: the input is "CALL\nJSON".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "asl/expr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace riposte;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto nl = text.find('\n');
  auto c = asl::parseIntrinsic(text.substr(0, nl));
  if (!c) return 0;
  json::value doc = json::object();
  if (nl != std::string_view::npos) {
    auto d = parseJson(text.substr(nl + 1), 64);
    if (d) doc = *d;
  }
  json::object vars;
  asl::Scope scope(
      doc, [] { return json::value(json::object()); }, &vars);
  (void)asl::evalIntrinsic(*c, scope);
  return 0;
}
