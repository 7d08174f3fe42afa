#pragma once
// The approval gate's decisions (issue 12 "Approval gates"), pure: what an approval request
// asks (parsed from a `riposte:approval` Task's Parameters and riposte.yaml `approvals:`), and
// how each vote moves it — quorum N of M distinct approvers, each counted once, a reason
// required to deny, the deadline's `on_timeout`. The engine keeps the state in the store and
// turns a decision into the waiting Task's callback.
//
//   ApprovalSettings s; s.groups["soc"] = {"alice", "bob"};
//   auto spec = parseApprovalRequest(params, s, std::nullopt);   // groups, quorum, deadline
//   ApprovalState st{*spec};
//   auto v = castVote(st, "alice", "approve", "", now);          // decided when quorum met

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace riposte::policy {

// riposte.yaml `approvals.links` (policy/approval_link.h): signed one-time links in what the
// approvers are notified with. Off while `key` is empty.
struct ApprovalLinkSettings {
  std::string secret_env;  // the variable the key was read from (for messages; never the key)
  std::string key;         // the HMAC-SHA256 key (that variable's value, at least 32 bytes)
  std::string base_url;    // what links start with: "https://riposte.example.com"
  int64_t ttl_ms = 0;      // how long a link lasts; 0: until the approval's deadline
  bool enabled() const { return !key.empty(); }
};

// riposte.yaml `approvals:`.
struct ApprovalSettings {
  std::map<std::string, std::vector<std::string>> groups;  // group name → approver names
  int64_t default_timeout_ms = 3'600'000;                  // `default_timeout_seconds`
  ApprovalLinkSettings links;                              // `links`
};

enum class OnTimeout { kDeny, kApprove };

// What one request asks, from the Task's Parameters:
//   groups           [string]  required: the groups whose members may decide (each configured)
//   quorum           integer   approvals needed (1 ..= the distinct approvers), default 1
//   timeout_seconds  integer   the deadline after the request opens, default the settings'
//   on_timeout       "deny" | "approve", default "deny"
//   summary          string    what is asked, in words (shown to the approvers)
//   plan             any       what will be done once approved (the gate of require_approval
//                              and on_limit: approve writes {"origin", "state", "action",
//                              "parameters", "reason"}), shown to the approvers
// Any other key is an error.
struct ApprovalSpec {
  std::vector<std::string> groups;
  std::vector<std::string> approvers;  // the groups' members, sorted, distinct
  int quorum = 1;
  int64_t timeout_ms = 0;
  OnTimeout on_timeout = OnTimeout::kDeny;
  std::string summary;
  json::value plan = nullptr;
};

// Errors "InvalidInput" naming the parameter. `state_timeout_s` is the Task's TimeoutSeconds
// (Step Functions' hard limit, raised as States.Timeout): the approval's deadline must come
// before it, else on_timeout could never apply.
Result<ApprovalSpec> parseApprovalRequest(const json::value& parameters,
                                          const ApprovalSettings& settings,
                                          std::optional<double> state_timeout_s);

struct Vote {
  std::string approver;
  std::string decision;  // approve | deny
  std::string reason;
  int64_t at_ms = 0;
  std::string via;  // "link": cast with a signed link (approval_link.h); "" otherwise
};

struct ApprovalState {
  ApprovalSpec spec;
  int64_t created_ms = 0, deadline_ms = 0;
  std::string status = "pending";  // pending | approved | denied
  std::vector<Vote> votes;
  std::string decided_by;  // "quorum", "deny", "timeout"
  std::string reason;      // the deny's reason, or why the deadline decided
  int64_t decided_ms = 0;
};

// Error codes of castVote (the API maps them to HTTP statuses).
inline constexpr const char* kApprovalDecided = "ApprovalDecided";        // 409
inline constexpr const char* kNotAnApprover = "NotAnApprover";            // 403
inline constexpr const char* kAlreadyVoted = "AlreadyVoted";              // 409
inline constexpr const char* kReasonRequired = "ReasonRequired";          // 400
inline constexpr const char* kInvalidDecision = "InvalidDecision";        // 400
inline constexpr const char* kApprovalDenied = "riposte.ApprovalDenied";  // the Task's error

// One approver's vote at `now_ms`. A pending request past its deadline is decided by
// on_timeout first (and the vote refused as kApprovalDecided). Approve: counted once per
// approver; the request is approved when `quorum` distinct approvers approved. Deny: needs a
// non-blank reason and denies at once. Returns true when this call decided the request.
Result<bool> castVote(ApprovalState& st, const std::string& approver, const std::string& decision,
                      const std::string& reason, int64_t now_ms, const std::string& via = "");

// Applies on_timeout when `now_ms` is at or past the deadline of a pending request. True when
// it decided it.
bool expire(ApprovalState& st, int64_t now_ms);

// The approvers who approved, in vote order.
std::vector<std::string> approvedBy(const ApprovalState& st);

// The state as JSON (the store keeps it; GET /v1/approvals shows it) and back.
json::object approvalJson(const ApprovalState& st);
Result<ApprovalState> approvalFromJson(const json::value& v);

}  // namespace riposte::policy
