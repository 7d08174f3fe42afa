#pragma once
// Suppression: silencing what is known and accepted (a penetration test, a scanner, a noisy
// finding type) without editing a rule. A suppressed event is stored and marked `suppressed`
// with the suppression's name; no incident opens and no action runs (the engine enforces it).
//
//   # policies/*.yaml
//   suppressions:
//     - name: pentest-q4                      # 1-56 bytes of [A-Za-z0-9._-], unique
//       reason: Scheduled penetration test (change CHG-1234)
//       owner: secops@example.com
//       expires: 2026-12-31T00:00:00Z         # RFC 3339, or a duration (7d, 12h, 30m) from
//       created: 2026-12-01T09:00:00Z         #   `created` (required with a duration)
//       match:                                # a pattern and/or a scope (at least one)
//         pattern: {detail: {type: [{prefix: "Recon:EC2/"}]}}     # EventBridge, as rules
//         scope:
//           accounts: ["111122223333"]
//           regions: [eu-west-1]
//           resource_ids: [i-0123456789abcdef0]
//           tags: {Environment: pentest}
//       # guardduty: archive  (a GuardDuty filter with action ARCHIVE: refused until riposte syncs
//       filters)
//
//   policy::ParsedSuppressions p = policy::parseSuppressions(section, "suppressions",
//                                                            policy::Origin::kConfig, now_ms);
//   auto set = policy::SuppressionSet::build(p.suppressions);        // swap in atomically
//   const policy::Suppression* s = (*set)->match(event_json, facts, now_ms).value();
//
// Matching. A suppression applies to an event when it has not expired (expires > now) and
// its pattern matches the event (the same matcher and semantics as rules: pattern/pattern.h)
// and the event's resource is in its scope. A scope's dimensions are ANDed, the values of
// one dimension ORed: accounts (the event's `account`), regions (its `region`), resource_ids
// (any id of the resource the finding is about, as the engine reads it), tags (the resource
// carries any one of the key=value pairs). An expired suppression stops applying by itself;
// it stays listed (as expired) until it is deleted.
//
// Cost (bench/policy/suppression_bench.cpp, docs/performance.md): every pattern is compiled
// into ONE pattern::RuleSet, read once per event; scope-only suppressions are found by hash
// look-ups of the event's resource ids, account, region and tags. 10,000 suppressions cost
// ~6 µs on a 4 KB GuardDuty finding (1.7× matching it against 100 rules); the resource facts
// a scope of ids or tags needs cost a DOM parse of the event (~16 µs), the larger part.
//
// Thread-safety: SuppressionSet is immutable once built; match() may run on many threads.
// The parsers are pure (no I/O, no clock: `now_ms` is given).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "pattern/pattern.h"
#include "policy/problem.h"

namespace riposte::policy {

// Where a suppression comes from: the configuration directory (changed by editing it), or
// the store (created and deleted at run time through the API or the CLI).
enum class Origin : uint8_t { kConfig, kStore };
std::string_view originName(Origin o);  // "config", "store"

struct ResourceScope {
  std::vector<std::string> accounts;      // 12 digits each
  std::vector<std::string> regions;       // "us-east-1"
  std::vector<std::string> resource_ids;  // "i-0abc…", "AKIA…", a bucket name, …
  std::vector<std::pair<std::string, std::string>> tags;  // key, value
  bool empty() const {
    return accounts.empty() && regions.empty() && resource_ids.empty() && tags.empty();
  }
};

struct Suppression {
  std::string name;
  std::string reason;
  std::string owner;
  std::optional<int64_t> expires_ms;  // absolute (epoch ms); nullopt: until deleted
  std::string pattern_json;           // "" = no pattern (scope only)
  ResourceScope scope;
  bool guardduty_archive = false;  // `guardduty: archive`
  Origin origin = Origin::kConfig;
  int64_t created_ms = 0;  // config: `created` (0 when not given); store: when it was created
  std::string created_by;  // store: who created it ("" for config)

  bool expiredAt(int64_t now_ms) const { return expires_ms && *expires_ms <= now_ms; }
};

// The resource facts a scope is checked against (the engine reads them from the event).
struct EventFacts {
  std::string account;
  std::string region;
  std::vector<std::string> resource_ids;
  std::vector<std::pair<std::string, std::string>> tags;
};

// The tags of the resource an event is about: GuardDuty's resource.instanceDetails.tags,
// s3BucketDetails[].tags, eksClusterDetails.tags, ecsClusterDetails.tags (lists of
// {key, value}), and Security Hub's findings[].Resources[].Tags ({key: value}). Pure.
std::vector<std::pair<std::string, std::string>> resourceTagsOf(const json::object& event);

// --- strict values ---
// "7d", "12h", "30m": a positive whole number and one unit (d, h, m); at most 3650 days.
// Error "InvalidDuration" saying what is accepted.
Result<int64_t> parseDurationMs(std::string_view text);
// RFC 3339 with a time zone ("2026-12-31T00:00:00Z", "…+02:00", fractions allowed); the
// date must exist. Error "InvalidTime".
Result<int64_t> parseTimeMs(std::string_view text);
// A suppression name: 1-56 bytes of [A-Za-z0-9._-] (GuardDuty filter names are 3-64 bytes,
// riposte's are "riposte-<name>"; 3 bytes at least when synced). Error "InvalidName".
Result<void> checkSuppressionName(std::string_view name);

// --- parsers (over JSON values; YAML already converted; every problem with its path) ---
struct ParsedSuppressions {
  std::vector<Suppression> suppressions;  // the valid ones, in order
  std::vector<std::size_t> indexes;       // each one's index in the list
  Problems problems;                      // empty when every entry was valid
};
// The `suppressions:` list of a policies file. `path` is the list's path ("suppressions");
// problems are "suppressions[2].expires: …". Unknown keys are errors (with the closest known
// key), names must be unique within the list. `now_ms` is unused for config entries (a
// duration counts from `created`) and is the creation time for Origin::kStore.
ParsedSuppressions parseSuppressions(const json::value& list, const std::string& path,
                                     Origin origin, int64_t now_ms);
// One entry. For the API and the CLI (Origin::kStore): `expires` may be a duration counted
// from `now_ms`, `created` is not accepted (the store sets it), `owner` may be left out
// (then `default_owner`, the requester).
Result<Suppression> parseSuppression(const json::value& entry, const std::string& path,
                                     Origin origin, int64_t now_ms, Problems& problems,
                                     const std::string& default_owner = "");

// The suppression as JSON (for GET /v1/suppressions, the store and the runbook): {"name",
// "reason", "owner", "expires" (RFC 3339 or null), "match": {"pattern"?, "scope"?},
// "guardduty"?, "source": "config"|"store", "createdAt"?, "createdBy"?, "expired": bool at
// `now_ms`, "deletable": source == store}.
json::object suppressionJson(const Suppression& s, int64_t now_ms);
// What parseSuppression reads back from the store (suppressionJson's form, no "expired").
Result<Suppression> suppressionFromStored(const json::value& stored);

// A suppression in words, for the runbook: "GuardDuty findings where type starts with
// "Recon:EC2/", in account 111122223333".
// (The pattern's words are the runbook's; this gives the scope's.)
std::string describeScope(const ResourceScope& scope);

class SuppressionSet {
 public:
  ~SuppressionSet();
  SuppressionSet(const SuppressionSet&) = delete;
  SuppressionSet& operator=(const SuppressionSet&) = delete;

  // Compiles the suppressions (in precedence order: match() returns the first that applies).
  // Errors: "InvalidEventPattern" naming the suppression; "Conflict" for a name used twice.
  static Result<std::shared_ptr<const SuppressionSet>> build(std::vector<Suppression> all);
  static std::shared_ptr<const SuppressionSet> empty();

  // The first suppression that applies to the event at `now_ms`, or nullptr. `event_json` as
  // pattern::RuleSet::matchString (give it kPadding spare capacity to spare a copy).
  // `facts` are read only when needsFacts(). Error "InvalidEvent" from the matcher.
  Result<const Suppression*> match(const std::string& event_json, const EventFacts& facts,
                                   int64_t now_ms) const;
  // True when some scope names resource ids or tags (the caller must then fill them in).
  bool needsFacts() const { return needs_facts_; }

  const std::vector<Suppression>& suppressions() const { return all_; }
  const Suppression* find(std::string_view name) const;
  std::size_t size() const { return all_.size(); }

 private:
  SuppressionSet() = default;
  bool scopeMatches(const ResourceScope& s, const EventFacts& f) const;
  struct Index;
  std::vector<Suppression> all_;
  std::shared_ptr<const pattern::RuleSet> patterns_;
  std::vector<uint32_t> pattern_owner_;  // RuleSet index → all_ index
  std::unique_ptr<Index> index_;         // scope-only suppressions by their first dimension
  bool needs_facts_ = false;
};

}  // namespace riposte::policy
