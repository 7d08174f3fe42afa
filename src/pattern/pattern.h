#pragma once
// EventBridge event patterns: validation, a compiled multi-rule matcher and one-off matching.
// Semantics follow Amazon EventBridge (Event Ruler); see docs/patterns.md.
//
//   riposte::pattern::RuleSetBuilder b;
//   b.add("ssh-brute-force",
//   R"({"source":["aws.guardduty"],"detail":{"type":[{"prefix":"UnauthorizedAccess:EC2/SSH"}]}})");
//   std::shared_ptr<const RuleSet> rules = b.build();   // swap into place atomically
//   auto hits = rules->match(event_json);                // indexes of matching rules

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace riposte::pattern {

// Validates one pattern. Error.code = "InvalidEventPattern", Error.message = Event Ruler's
// exact reason text (e.g. "Empty arrays are not allowed"), without the "Event pattern is not
// valid. Reason: " prefix. Malformed JSON gives a Jackson-style message naming line and
// column. Limits: 4096 characters, nesting 64, 1000 $or combinations, wildcard complexity.
// Thread-safe.
Result<void> validatePattern(std::string_view pattern_json);

// One problem of a pattern: where inside it ("detail.severity[0]", "detail.$or[1].type";
// "" = the pattern as a whole) and Event Ruler's reason text.
struct PatternProblem {
  std::string path;
  std::string message;
};

// Every problem of a pattern, each with its path: where validatePattern stops at the first,
// this goes on with the next member or array item. Empty exactly when validatePattern
// succeeds. Thread-safe.
std::vector<PatternProblem> checkPattern(std::string_view pattern_json);

// Immutable compiled set of rules. match() is thread-safe and may run on many threads at
// once (each thread keeps its own scratch space).
class RuleSet {
 public:
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // Indexes (builder insertion order) of the rules that match, ascending, each at most once.
  // An event that is not a JSON object, or is malformed where the matcher reads it, gives
  // Error{code "InvalidEvent"}. Parts of the event no rule names are skipped unparsed.
  Result<std::vector<uint32_t>> match(std::string_view event_json) const;

  // Bytes that must be allocated (any content) after an event for matchPadded().
  static constexpr std::size_t kPadding = 64;
  // As match(), without first copying the event into a padded buffer (about 10 % of the cost
  // of matching a small event). Precondition: at least kPadding allocated bytes follow
  // event_json.data() + size(), e.g. a std::string after reserve(size() + kPadding).
  Result<std::vector<uint32_t>> matchPadded(std::string_view event_json) const;
  // An event in a string: parsed in place (matchPadded) when its capacity leaves kPadding
  // spare bytes after it, else copied first (match).
  Result<std::vector<uint32_t>> matchString(const std::string& event_json) const;
  std::size_t size() const;
  // Precondition: index < size().
  const std::string& ruleName(uint32_t index) const;

  // Counters of the compiled matcher (for --stats and benchmarks).
  struct Shape {
    std::size_t fields = 0;     // distinct flattened field paths
    std::size_t sub_rules = 0;  // rules after $or expansion
    std::size_t clauses = 0;    // (sub-rule, field) pairs
  };
  Shape shape() const;

  struct Impl;  // internal (rule_set.cpp)

 private:
  Result<std::vector<uint32_t>> matchBuffer(const char* data, std::size_t len,
                                            std::size_t capacity) const;
  friend class RuleSetBuilder;
  explicit RuleSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class RuleSetBuilder {
 public:
  RuleSetBuilder();
  ~RuleSetBuilder();
  // Compiles and adds one rule; returns its index, or the validation error (as
  // validatePattern) if the pattern is invalid (nothing is added then). The same name may
  // be added several times (each is its own index).
  Result<uint32_t> add(std::string name, std::string_view pattern_json);
  // Builds an immutable RuleSet of every rule added so far. The builder may be reused (add
  // more, build again). Not thread-safe (one builder per thread).
  std::shared_ptr<const RuleSet> build();
  std::size_t size() const;

 private:
  struct Entry;
  std::vector<Entry> rules_;
};

// One pattern against one event (test-pattern, TestEventPattern). Errors: the pattern's
// validation error, or "InvalidEvent".
Result<bool> matches(std::string_view pattern_json, std::string_view event_json);

}  // namespace riposte::pattern
