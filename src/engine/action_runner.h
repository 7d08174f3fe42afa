#pragma once
// Runs the Task states of a playbook by calling riposte's built-in actions. When given a store,
// each call is recorded before it acts and after (status, before/after, error, duration).

#include <functional>
#include <optional>
#include <string>

#include "actions/action.h"
#include "actions/registry.h"
#include "asl/asl.h"
#include "engine/config.h"
#include "engine/guard.h"
#include "engine/metrics.h"
#include "policy/threat_intel.h"
#include "store/store.h"

namespace riposte::engine {

struct ActionRunnerContext {
  const actions::Registry* registry = nullptr;  // required
  store::Store* store = nullptr;                // null: do not record (riposte execute)
  aws::Client* aws = nullptr;                   // null: AWS actions fail with NoCredentials
  std::optional<Error> aws_error;  // set: every action fails with it (no client for the account)
  const Clock* clock = nullptr;    // required
  Metrics* metrics = nullptr;      // optional
  std::string incident_id, execution_id;
  std::string playbook;         // the execution's playbook (a riposte:approval request's plan)
  std::string account, region;  // of the finding: where the actions act
  bool dry_run = false;
  std::string protected_tag = "riposte:protected";
  // Blast-radius guard rails (guard.h): checked before every destructive action when set and
  // the execution is not a dry run. `config` holds the rails and the alert's topic.
  Guard* guard = nullptr;
  std::shared_ptr<const Config> config;
  std::optional<policy::OnLimit> rule_on_limit;  // the incident's rule's on_limit
  actions::ApprovalDesk* approvals = nullptr;    // the approval gate (riposte:approval)
  // The rule's (else the playbook's) require_approval: the gate's request Parameters (groups,
  // quorum, timeout_seconds, on_timeout). nullopt: destructive actions need no approval.
  std::optional<json::object> require_approval;
  // Who decides an on_limit approve: riposte.yaml approvals.groups, all of them (quorum 1,
  // the default deadline, on_timeout deny), unless require_approval names groups.
  std::vector<std::string> approver_groups;
  aws::HttpTransport* http = nullptr;  // http:invoke's client (its connections: config)
  bool simulation = false;  // EngineOptions::simulation: the guard rails decide dry runs too
  // Threat intelligence (threat_feeds.h): a Task that blocks addresses (actions::blocksOf: the
  // built-ins' blocked_address, the direct network ACL deny entries) refuses one that overlaps
  // a trusted list, and refuses to act while a trusted list has never been read
  // (`trusted_unavailable` names them). Null: no lists.
  std::shared_ptr<const policy::ThreatIntel> intel;
  std::vector<std::string> trusted_unavailable;
  // Called after an action that blocks an address changed something (the publisher's cue).
  std::function<void()> on_blocked;
};

// The trusted-list check of a Task that blocks addresses (actions::blockedAddresses reads
// which), before it acts: nullopt when it may act, else why not. Refused when any address or
// CIDR it blocks overlaps a trusted list (contains a trusted address or lies within a trusted
// range: ResourceProtected). Fails closed: an address it cannot read (InvalidInput), or a
// trusted list not read yet (riposte.TrustedListUnavailable), refuses. Public for simulate and
// tests.
struct TrustedRefusal {
  std::string code;  // actions::kResourceProtected, kTrustedListUnavailable, kInvalidInput
  std::string reason;
  std::vector<std::string> lists;  // the trusted lists holding the address
};
inline constexpr const char* kTrustedListUnavailable = "riposte.TrustedListUnavailable";
std::optional<TrustedRefusal> checkTrusted(const actions::Descriptor& d, const json::value& input,
                                           const policy::ThreatIntel* intel,
                                           const std::vector<std::string>& trusted_unavailable);

// The id of the action record of one Task attempt: derived from the execution, the state and
// the attempt's TaskScheduled event id (asl::TaskRequest::scheduled_event_id), so the same
// attempt run again after a restart has the same record.
std::string attemptActionId(const std::string& execution_id, const std::string& state_name,
                            int64_t scheduled_event_id);

class ActionRunner final : public asl::TaskRunner {
 public:
  explicit ActionRunner(ActionRunnerContext ctx) : ctx_(std::move(ctx)) {}
  // Unknown resources fail with States.TaskFailed; an action's error fails the Task with the
  // action's error code (AWS's, e.g. "InvalidInstanceID.NotFound"). Fails closed: an action
  // that cannot be recorded beforehand is not run.
  //
  // Exactly once per attempt (with a store, an execution id and req.scheduled_event_id): the
  // record's id is attemptActionId(…), looked up before running. A finished record (succeeded,
  // unchanged, dry_run, failed, released) is the attempt's result: its output (or error) is
  // returned and the action is not called. A record still "running" is an attempt a crash
  // interrupted: the action runs again when its Replay policy allows it (its state check, or
  // the same ActionContext::action_id as deduplication id, decides), else the Task fails with
  // riposte.ActionInterrupted. A Retry is a new attempt (a new TaskScheduled event): it runs.
  // Without that identity (release, `riposte execute`) every call gets a fresh id.
  //
  // Guard rails (ctx.guard): before a destructive action acts, the scope, the limits and the
  // breaker decide. Out of scope (or what the scope needs cannot be read): the Task fails with
  // riposte.OutOfScope. Refused by a limit or the breaker, per on_limit: fail → the Task fails
  // with riposte.LimitExceeded; dry_run → the action runs as a dry run (plans, changes
  // nothing), recorded "dry_run" with error_code riposte.LimitExceeded and the reason, and its
  // output carries "limited": {"reason", "onLimit"}; approve → the approval gate, below.
  //
  // The approval gate (require_approval, on_limit approve), for a destructive action of an
  // execution that is not a dry run: the attempt does not act; it opens an approval request
  // (store::ApprovalRecord, "apr-<action id>") whose plan is this action, its parameters and
  // why, records the action "awaiting_approval", and waits on the request's task token
  // (asl::TaskResult::gate_token). Approved, the same attempt runs again
  // (TaskRequest::approved) and acts — over the limit for on_limit approve. Denied (or the
  // deadline's deny): the Task fails with riposte.ApprovalDenied, which nothing catches: the
  // execution stops and the incident ends denied. require_approval asks once per execution:
  // once its request is approved, the execution's later destructive actions act; once denied,
  // they fail the same way without asking. Scope, protected tags and trusted lists are checked
  // before and again after the approval (a person cannot approve what they forbid).
  asl::TaskResult run(const asl::TaskRequest& req) override;

  // The records written so far (also when no store is set), oldest first.
  const std::vector<store::ActionRecord>& records() const { return records_; }

 private:
  // The gate of one attempt: act (nullopt: approved already for this execution), or the
  // Task's result (waiting on a token, or failed).
  std::optional<asl::TaskResult> gate(const asl::TaskRequest& req, store::ActionRecord& rec,
                                      const actions::ActionContext& ac, bool over_limit,
                                      const std::string& limit_reason);

  ActionRunnerContext ctx_;
  std::vector<store::ActionRecord> records_;
};

}  // namespace riposte::engine
