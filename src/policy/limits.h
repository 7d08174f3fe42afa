#pragma once
// Blast-radius guard rails, decided here and enforced by the engine at action time, before a
// destructive action acts (ARCHITECTURE.md: policy decides, the engine acts). Pure: no I/O,
// no AWS, no store; the engine reads the AWS state a decision needs and passes it in, and
// keeps the counters in the store (store::Store::reserveLimits).
//
// Three checks, in this order, for every destructive action (actions::Descriptor::
// isDestructive(), role "contain") of every playbook:
//   1. scope: allow and deny lists of accounts, regions, VPCs, resource tags and resource ids,
//      held against the resource's CURRENT state. What the lists need and cannot be read
//      (the tags of an instance AWS refused to describe) refuses the action: fail closed.
//   2. limits: rate limits ("at most 10 per 10 minutes per account") and share caps ("at most
//      5 % of the account's running instances per hour"), each selecting the actions it
//      counts by role or by action name, and counting per account, per region, per both or
//      globally.
//   3. the breaker: when more than `threshold` executions attempted a destructive action in
//      `window`, it opens, and every destructive action goes to its on_limit until a person
//      closes it.
// A refused action goes to its `on_limit`: the rule's when the rule sets one, else the limit's
// (or the breaker's): approve (park for a person), dry_run (plan and record, change nothing)
// or fail (the Task fails with riposte.LimitExceeded, which a playbook can Catch).
//
// Configuration (`policies/*.yaml` of the configuration directory; each key at most once
// across the files):
//
//   limits:
//     - name: contain-per-account       # [A-Za-z0-9_.-], unique
//       role: contain                   # what it counts: a role, or `action: aws.ec2.…`
//       per: account                    # global | account | region | [account, region]
//       max: 10                         # a rate limit: at most `max` in any `window` …
//       window: 10m                     # … ("30s", "10m", "1h", "1d")
//       on_limit: approve               # approve | dry_run | fail
//     - name: share-cap
//       role: contain
//       per: [account, region]          # a share cap counts per account and region
//       max_percent: 5                  # … at most 5 % of the running instances there
//       window: 1h
//       on_limit: fail
//   breaker:
//     threshold: 20                     # opens when more than 20 executions …
//     window: 10m                       # … attempted a destructive action in 10 minutes
//     on_limit: approve
//   scope:
//     allow: {accounts: [...], regions: [...], vpcs: [...], tags: {env: [prod]}, resource_ids:
//     [...]} deny:  {tags: {"riposte:scope": [exclude]}}
//
// Every setting is read strictly (common.md): unknown keys are errors naming the closest known
// key, numbers must be whole and in range, windows and enums exact; nothing falls back to a
// default silently. A limit counts only destructive actions: its role must be "contain" or
// its action name one the engine knows to be destructive (the engine checks the name).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "policy/problem.h"

namespace riposte::policy {

enum class OnLimit { kApprove, kDryRun, kFail };
// "approve", "dry_run", "fail".
std::string_view onLimitName(OnLimit o);
// Exactly one of the names above; nullopt otherwise.
std::optional<OnLimit> onLimitFromName(std::string_view name);

// The Task error a refused action fails with under on_limit: fail.
inline constexpr const char* kLimitExceeded = "riposte.LimitExceeded";
// The Task error of an action on a resource out of scope, or whose scope cannot be read.
inline constexpr const char* kOutOfScope = "riposte.OutOfScope";

// A whole number of seconds, minutes, hours or days: "30s", "10m", "1h", "7d" (no sign, no
// zero, no spaces, at most 366 days). Milliseconds; nullopt when not exactly that form.
std::optional<int64_t> parseWindow(std::string_view text);
// 600'000 → "10m", 90'000 → "90s": the largest unit that divides it.
std::string windowName(int64_t ms);

struct Limit {
  std::string name;
  std::string role;    // "contain" … ("" when `action` selects)
  std::string action;  // "aws.ec2.isolateInstance" ("" when `role` selects)
  bool per_account = false, per_region = false;  // both false: one global counter
  int64_t max = 0;                               // a rate limit: at most max per window (>= 1)
  std::optional<double> max_percent;  // a share cap instead: (0, 100] % of running instances
  int64_t window_ms = 0;
  OnLimit on_limit = OnLimit::kDryRun;

  // "10 actions of role contain per 10m per account", "actions of role contain on 5% of the
  // running instances per 1h per account and region".
  std::string describe() const;
};

struct Breaker {
  int64_t threshold = 0;  // opens when more than this many executions attempted … (>= 1)
  int64_t window_ms = 0;  // … a destructive action within this window
  OnLimit on_limit = OnLimit::kDryRun;
  std::string describe() const;  // "more than 20 executions with a destructive action in 10m"
};

// One side of the scope (allow or deny). An empty list says nothing.
struct ScopeList {
  std::vector<std::string> accounts, regions, vpcs, resource_ids;
  std::map<std::string, std::vector<std::string>> tags;  // key → accepted values
  bool empty() const {
    return accounts.empty() && regions.empty() && vpcs.empty() && resource_ids.empty() &&
           tags.empty();
  }
};

struct Scope {
  ScopeList allow, deny;
  bool empty() const { return allow.empty() && deny.empty(); }
  // Whether a decision needs the resource's VPC / tags read from AWS.
  bool needsVpc() const { return !allow.vpcs.empty() || !deny.vpcs.empty(); }
  bool needsTags() const { return !allow.tags.empty() || !deny.tags.empty(); }
  bool needsResourceId() const { return !allow.resource_ids.empty() || !deny.resource_ids.empty(); }
};

// The settings of `limits:`, `breaker:` and `scope:` (each section optional).
struct GuardRails {
  std::vector<Limit> limits;
  std::optional<Breaker> breaker;
  Scope scope;
  bool empty() const { return limits.empty() && !breaker && scope.empty(); }
};

// Section parsers over the parsed value of one key of a policies/*.yaml file. Problems are
// appended with paths starting at the key ("limits[1].window"); what parses is returned.
std::vector<Limit> parseLimits(const json::value& v, std::vector<Problem>& problems);
std::optional<Breaker> parseBreaker(const json::value& v, std::vector<Problem>& problems);
Scope parseScope(const json::value& v, std::vector<Problem>& problems);

// ----- decisions

// The action about to act, as the engine describes it.
struct ActionFacts {
  std::string action;  // "aws.ec2.isolateInstance"
  std::string role;    // actions::roleName(descriptor.role): "contain"
  std::string account, region;
};

// One counter an action must take a place in: the limit, the counter's key, the window and
// the most it may hold (for a share cap, computed from the running instances).
struct LimitCheck {
  const Limit* limit = nullptr;
  std::string key;  // "account=123456789012", "account=…/region=us-east-1", "global"
  bool share_cap() const { return limit->max_percent.has_value(); }
};

// The limits that count this action, in configuration order, each with its counter key.
std::vector<LimitCheck> checksFor(const GuardRails& rails, const ActionFacts& facts);
// A share cap's most: floor(percent × running / 100) ("never more than 5 %": 19 running
// instances at 5 % allow 0).
int64_t shareCapMax(double percent, int64_t running);

// What the engine read of the resource for the scope check. A field the resource kind does
// not have (an IAM user has no VPC) is not applicable; one it has but riposte could not read
// carries why (`*_error`), and a scope that needs it refuses the action.
struct ResourceFacts {
  std::string account, region;
  std::string resource_id;        // "i-0abc…", "alice"; "" when the action names none
  std::string resource_id_error;  // why the id is not known (an aws-sdk call)
  bool has_vpc = false;           // the kind of resource lives in a VPC
  std::optional<std::string> vpc;
  std::string vpc_error;
  bool has_tags = false;  // the kind of resource carries tags
  std::optional<std::map<std::string, std::string>> tags;
  std::string tags_error;
};

struct ScopeDecision {
  bool allowed = true;
  std::string reason;  // why not: "account 1234… is not in scope.allow.accounts", "cannot read …"
};
ScopeDecision checkScope(const Scope& scope, const ResourceFacts& facts);

// The on_limit that applies: the rule's when it sets one, else the limit's (or breaker's).
inline OnLimit effectiveOnLimit(std::optional<OnLimit> rule, OnLimit own) {
  return rule ? *rule : own;
}

}  // namespace riposte::policy
