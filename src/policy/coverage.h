#pragma once
// Coverage: which finding types of a catalogue no enabled rule handles, and which events of an
// archive arrived unhandled. A type is handled when its sample event matches an enabled rule's
// pattern and no suppression silences it; a suppression counts here only when it applies to
// the type everywhere (it has no resource scope: a scoped one silences some resources only and
// is reported beside the type as partial).
//
//   std::vector<policy::CoverageRule> rules = …;           // the enabled rules' patterns
//   auto c = policy::typeCoverage(catalogue, rules, *suppressions, now_ms);
//   for (const auto& t : *c) if (!t.handled()) …            // the gaps
//
// Pure: no I/O, no clock (`now_ms` decides which suppressions have expired). Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "policy/suppression.h"

namespace riposte::policy {

// One finding type of the catalogue and an event that carries it (the EventBridge form).
struct CatalogueType {
  std::string type;    // "Recon:EC2/Portscan"
  std::string family;  // "EC2", "IAM", …
  std::string event_json;
};

struct CoverageRule {
  std::string name;
  std::string pattern_json;
};

struct TypeCoverage {
  std::string type, family;
  std::vector<std::string> rules;      // the enabled rules its sample matches
  std::string suppressed_by;           // a scope-less suppression that silences it
  std::vector<std::string> partly_by;  // scoped suppressions whose pattern matches it
  bool handled() const { return !rules.empty() && suppressed_by.empty(); }
};

// One entry per catalogue type, in catalogue order. Errors: "InvalidEventPattern" naming the
// rule; "InvalidEvent" naming the type whose sample the matcher cannot read.
Result<std::vector<TypeCoverage>> typeCoverage(const std::vector<CatalogueType>& catalogue,
                                               const std::vector<CoverageRule>& rules,
                                               const SuppressionSet& suppressions, int64_t now_ms);

}  // namespace riposte::policy
