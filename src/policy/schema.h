#pragma once
// The schema of policies/*.yaml: every key each policy section accepts, its type, default and
// one-line doc, as a config::Schema. It is the one list of those keys: the section parsers
// (suppression.cpp, limits.cpp, threat_config.cpp) take the keys they accept from keysAt(), the
// loader takes the section names from policySectionNames(), and the configuration reference
// (README.md, `riposte docs --config-reference`) renders policiesSchema(). The parsers keep the
// checks a schema cannot say (a share cap needs per: [account, region], a duration `expires`
// needs `created`, …); tests/policy/schema_test.cpp holds schema and parsers to each other.
//
//   const config::Schema& s = policy::policiesSchema();          // the whole file
//   const config::Schema* l = policy::policySchemaAt("limits[]");  // one limit
//   const auto& keys = policy::keysAt("threat_intel.lists[].csv");  // {"column", …}
//
// Paths: dotted member names, "[]" for the items of a list ("suppressions[].match.scope").
// Thread-safety: built once (function-local statics), then read-only.

#include <string>
#include <string_view>
#include <vector>

#include "config/schema.h"

namespace riposte::policy {

// A policies file: a mapping of the policy sections below (each optional).
const config::Schema& policiesSchema();
// The schema at `path` inside a policies file; nullptr when there is none.
const config::Schema* policySchemaAt(std::string_view path);
// The member names of the mapping at `path`, in schema order. Empty when `path` is no mapping
// (a programming error the schema test catches).
const std::vector<std::string>& keysAt(std::string_view path);
// "suppressions", "limits", "breaker", "scope", "threat_intel".
const std::vector<std::string>& policySectionNames();

}  // namespace riposte::policy
