#pragma once
// A suppression as a GuardDuty filter (`guardduty: archive`, issue 11): the same findings,
// archived by GuardDuty itself. Pure: the engine (engine/guardduty_filters.h) creates, updates
// and deletes the filters.
//
//   auto f = policy::guardDutyFilterOf(suppression);   // {name, description, criterion}
//   // CreateFilter {"name": f->name, "action": "ARCHIVE", "findingCriteria":
//   //               {"criterion": f->criterion}, "description": f->description}
//
// The mapping is exact or refused, never approximate: a filter wider than the suppression
// would archive findings nobody decided to silence. What maps (the pattern is over the
// EventBridge event, GuardDuty's criteria over the finding, which is the event's `detail`):
//   source       must list "aws.guardduty" (then implied: a filter only sees GuardDuty findings)
//   detail-type  must list "GuardDuty Finding" (implied likewise)
//   region       → region            (scope.regions too; both: their intersection)
//   detail.F     → F, when F is a field GuardDuty filters on (guardduty_fields.inc, from the
//                  API reference) and not a timestamp (criteria take epoch ms, findings text):
//     ["a", "b"] (exact strings, booleans, or integers of an integer field) → equals
//     [{"numeric": [">=", 7, "<", 9]}] (integer bounds)                    → greaterThanOrEqual…
//     a single exact number of a double field (severity 8)                 → ≥ 8 and ≤ 8
// Refused, each with the pattern path and why: prefix, suffix, wildcard, equals-ignore-case,
// exists, cidr, $or, anything-but (GuardDuty's notEquals also matches findings without the
// field, which the pattern does not), null, several numeric ranges or a mix of kinds in one
// list, fractional bounds, more than 50 values, `account` and scope.accounts (the event's
// account can be the administrator's, the finding's accountId the member's: say
// detail.accountId), scope.resource_ids and scope.tags (riposte reads them across several
// resource kinds, which one criterion cannot say), and a suppression that would leave no
// criterion (it would archive every finding).

#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "policy/suppression.h"

namespace riposte::policy {

struct GuardDutyFilter {
  std::string name;         // "riposte-<suppression name>"
  std::string description;  // the reason, in the characters GuardDuty accepts, ≤ 512 bytes
  json::object criterion;   // findingCriteria.criterion
};

inline constexpr std::string_view kGuardDutyFilterPrefix = "riposte-";

// policies/*.yaml `guardduty:` — the detector the filters are made on.
//   guardduty:
//     detector_id: 12abc34d567e8fa901bc2d34e56789f0
//     region: eu-west-1            # default: riposte.yaml aws.region
struct GuardDutySettings {
  std::string detector_id;
  std::string region;  // "" = the default region
};
// nullopt with problems ("guardduty.detector_id: is required") when it does not read.
std::optional<GuardDutySettings> parseGuardDutySettings(const json::value& v, Problems& problems);

// Error "UnmappableSuppression": "match.pattern.detail.type: prefix cannot be a GuardDuty
// criterion (GuardDuty matches whole values)".
Result<GuardDutyFilter> guardDutyFilterOf(const Suppression& s);

// The type of a field in GuardDuty's filter criteria: 'S', 'N', 'D', 'B', 'T' (epoch ms), or
// 0 when GuardDuty cannot filter on it.
char guardDutyFieldType(std::string_view field);

}  // namespace riposte::policy
