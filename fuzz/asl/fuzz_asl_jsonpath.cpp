// Fuzzes the JSONPath parser and evaluator: the input is "PATH\nJSON".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "asl/jsonpath.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace riposte;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto nl = text.find('\n');
  std::string_view path = text.substr(0, nl);
  auto p = asl::JsonPath::parse(path);
  if (!p) return 0;
  json::value doc = json::object();
  if (nl != std::string_view::npos) {
    auto d = parseJson(text.substr(nl + 1), 64);
    if (d) doc = *d;
  }
  (void)p->eval(doc);
  (void)p->find(doc);
  json::value copy = doc;
  (void)p->assign(copy, json::value(1));
  return 0;
}
