// libFuzzer target: the `threat_intel:` section parser and list sources over arbitrary JSON
// (the bytes as a JSON document; non-JSON bytes as a source string). Invariants: no crash or
// hang; every problem has a path under "threat_intel" and a message; every list returned has
// a valid name, unique, a refresh within bounds and a source that parses again to itself; a
// publish location is an S3 object; the same value parses the same way twice (pure).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "core/json.h"
#include "policy/threat_config.h"

#ifndef RIPOSTE_FUZZ_ENTRY
#define RIPOSTE_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

using namespace riposte;
using namespace riposte::policy;

extern "C" int RIPOSTE_FUZZ_ENTRY(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = parseJson(text, 32);
  if (!v) {
    auto s = parseListSource(text);
    if (s) {
      auto again = parseListSource(s->text);
      if (!again || !(*again == *s)) std::abort();
      if (s->kind == ListSource::Kind::kS3 && (s->bucket.empty() || s->key.empty())) std::abort();
      (void)s->shown();
    } else if (s.error().code != "InvalidSource" || s.error().message.empty()) {
      std::abort();
    }
    return 0;
  }
  Problems problems;
  auto c = parseThreatIntel(*v, problems);
  for (const auto& p : problems) {
    if (p.path.rfind("threat_intel", 0) != 0 || p.message.empty()) std::abort();
  }
  std::set<std::string> names;
  for (const auto& l : c.lists) {
    if (l.name.empty() || l.name.size() > 128 || !names.insert(l.name).second) std::abort();
    if (l.refresh_ms < ThreatListConfig::kMinRefreshMs ||
        l.refresh_ms > ThreatListConfig::kMaxRefreshMs)
      std::abort();
    if (l.source.remote() && l.refresh_ms < ThreatListConfig::kMinRemoteRefreshMs) std::abort();
    if (l.max_entries == 0 || l.max_entries > ThreatListConfig::kMaxEntries) std::abort();
    auto again = parseListSource(l.source.text);
    if (!again || !(*again == l.source)) std::abort();
    (void)l.describe();
  }
  if (c.publish) {
    if (c.publish->location.kind != ListSource::Kind::kS3 || c.publish->detector_id.empty())
      std::abort();
    (void)c.publish->describe();
  }
  Problems second;
  auto d = parseThreatIntel(*v, second);
  if (second.size() != problems.size() || d.lists.size() != c.lists.size() ||
      d.publish.has_value() != c.publish.has_value())
    std::abort();
  return 0;
}
