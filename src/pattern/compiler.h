#pragma once
// Pattern compiler: JSON pattern text -> validated list of sub-rules (one per $or
// expansion), each a map from a flattened field path to the list of matchers OR-ed on it.
// Follows Event Ruler's JsonRuleCompiler: errors are found in document order and use its
// exact reason texts; a later duplicate key overrides an earlier one.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pattern/values.h"

namespace riposte::pattern {

// Limits on one pattern (docs/patterns.md "Limits").
inline constexpr std::size_t kMaxPatternChars = 4096;  // AWS API maximum (UTF-16 units)
inline constexpr int kMaxPatternDepth = 64;            // JSON nesting
inline constexpr std::size_t kMaxOrCombinations = 1000;
// Automaton states one wildcard can keep active at once (docs/patterns.md, "Limits").
inline constexpr int kMaxWildcardComplexity = 10;
// Clauses in one sub-rule. Each is a distinct `"key":[value]` of the pattern text, 6
// characters at least (`"":[0]`), so a pattern within kMaxPatternChars has at most this many;
// compilePattern checks it all the same (the matcher's clause sets are this wide).
inline constexpr std::size_t kMaxSubRuleClauses = kMaxPatternChars / 6 + 1;

// One leaf of an event: a scalar at a flattened path.
struct Leaf {
  enum class Type : uint8_t { kString, kNumber, kTrue, kFalse, kNull };
  Type type = Type::kNull;
  bool comparable = false;  // kNumber: an exactly representable float64 (see values.h)
  double num = 0;           // kNumber and comparable
  std::string_view text;    // kString: unescaped bytes; kNumber: literal token text
};

struct AnythingBut {
  enum class Kind : uint8_t { kStrings, kNumbers, kPrefix, kSuffix, kIgnoreCase, kWildcard };
  Kind kind = Kind::kStrings;
  std::vector<std::string> strings;  // kStrings, kPrefix, kSuffix
  std::vector<double> numbers;       // kNumbers
  std::vector<IgnoreCase> ignore_case;
  std::vector<Wildcard> wildcards;
  // True when the leaf is one of the excluded values.
  bool excludes(const Leaf& leaf) const;
};

struct Matcher {
  enum class Kind : uint8_t {
    kString,  // exact string (also "exactly")
    kNumber,  // exact number: float64 equality when comparable, and the literal text
    kTrue,
    kFalse,
    kNull,
    kIp,  // an IP literal or a cidr: the event string must parse as an IP in range
    kPrefix,
    kSuffix,
    kPrefixIc,
    kSuffixIc,
    kEqualsIc,
    kWildcard,
    kNumeric,
    kExists,  // exists: true (any leaf)
    kAbsent,  // exists: false (no leaf; not a per-leaf matcher)
    kAnythingBut,
  };
  Kind kind = Kind::kNull;
  std::string text;
  double num = 0;
  bool comparable = false;
  bool has_lo = false, lo_incl = false, has_hi = false, hi_incl = false;
  double lo = 0, hi = 0;
  IpRange ip;
  std::shared_ptr<const IgnoreCase> ic;
  std::shared_ptr<const Wildcard> wildcard;
  std::shared_ptr<const AnythingBut> anything_but;

  // Per-leaf test (not meaningful for kAbsent, which is judged on the field as a whole).
  bool matches(const Leaf& leaf) const;
};

using MatcherList = std::shared_ptr<const std::vector<Matcher>>;

struct Clause {
  std::string path;  // dot-joined field path
  MatcherList matchers;
};
using SubRule = std::vector<Clause>;  // AND of clauses, distinct paths

struct CompiledPattern {
  std::vector<SubRule> sub_rules;  // OR of sub-rules
};

// Compiles one pattern. Errors: code "InvalidEventPattern" with Event Ruler's reason text.
Result<CompiledPattern> compilePattern(std::string_view pattern_json);

}  // namespace riposte::pattern
