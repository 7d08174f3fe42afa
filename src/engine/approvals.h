#pragma once
// The approval gate (issue 12): `riposte:approval` Tasks open requests here (the store keeps
// them: store::ApprovalRecord; policy/approval.h decides). The Task waits on its task token,
// which the gate knows only as a digest; a decision — the quorum's approvals, a deny, or the
// deadline's on_timeout — becomes that token's callback (SendTaskSuccess with {"approved":
// true, "approvers": [...]}, or SendTaskFailure riposte.ApprovalDenied with the reason), applied
// by the engine exactly once like any other. Every request, vote and decision is in the audit
// log (approval.requested, approval.vote, approval.decided) and the incident's timeline.
// With riposte.yaml approvals.links, every approver gets signed one-time links to decide
// (linksOf). They are bearer credentials: they are made again from the approval.requested
// record when a notification is rendered (sinks/notify.h) and written nowhere — not the audit
// log, the SIEM sinks, the views (GET /v1/approvals, the timeline) or the Task's output.

#include <functional>
#include <memory>

#include "actions/action.h"
#include "core/clock.h"
#include "engine/config.h"
#include "policy/approval.h"
#include "store/store.h"

namespace riposte::engine {

class ApprovalGate final : public actions::ApprovalDesk {
 public:
  // `accept` hands a decided request's callback to the engine's callback inbox
  // (store::Store::acceptTaskCallback with the token's digest) and wakes the worker.
  using Accept = std::function<Result<void>(store::TaskCallbackRecord)>;
  ApprovalGate(store::Store& store, const Clock& clock,
               std::function<std::shared_ptr<const Config>()> config, Accept accept);

  Result<json::value> open(const json::value& parameters,
                           const actions::ActionContext& ctx) override;

  // GET /v1/approvals: {"approvals": [view...]}, oldest first; `status` "" (all), "pending" or
  // "decided" (else InvalidInput).
  Result<json::value> list(const std::string& status);
  Result<json::value> get(const std::string& id);
  // POST /v1/approvals/{id}: one approver's vote (policy::castVote's errors; NotFound). Returns
  // the request as it stands after it.
  // `via` "link": the vote of a signed link (decideByLink), refused as kLinkUsed when that
  // approver's link vote with this decision is recorded already.
  Result<json::value> decide(const std::string& id, const std::string& decision,
                             const std::string& reason, const std::string& approver,
                             const std::string& via = "");
  // A signed link (policy/approval_link.h; riposte.yaml approvals.links), for its confirmation
  // page: {"approval": view, "approver", "decision", "expires", "used": true when its vote is
  // recorded}. Decides nothing. Errors: "LinksNotConfigured", policy::kLinkForged /
  // kLinkMismatch / kLinkExpired (checked before the request is looked up), NotFound.
  Result<json::value> link(const std::string& id, const std::string& token);
  // The vote a signed link casts, as its approver (decide with via "link"): link()'s errors,
  // policy::kLinkUsed, and decide()'s.
  // Every approver's links ({"alice": {"approve": URL, "deny": URL}}) of the request an
  // approval.requested audit record (its JSON object) describes; empty when links are off or the
  // record is not one. The same links each time (the expiry comes from the request).
  json::object linksOf(const json::object& requested) const;
  Result<json::value> decideByLink(const std::string& id, const std::string& token,
                                   const std::string& reason);
  // What an execution's requests need now: those past their deadline decided by on_timeout,
  // decided ones whose callback was not yet accepted handed to the task. Returns the earliest
  // deadline still pending (INT64_MAX: none): when the execution must wake next.
  int64_t settle(const std::string& execution_id);

  // The view of one stored request (no token, no digest).
  static json::object view(const store::ApprovalRecord& rec, const policy::ApprovalState& st);

 private:
  // Writes `rec` with state `st` (version check) and the audit record; then, when decided,
  // hands the callback over and marks it delivered.
  Result<void> write(store::ApprovalRecord& rec, const policy::ApprovalState& st,
                     const std::string& kind, const json::object& audit);
  void deliver(store::ApprovalRecord& rec, const policy::ApprovalState& st);

  store::Store& store_;
  const Clock& clock_;
  std::function<std::shared_ptr<const Config>()> config_;
  Accept accept_;
};

}  // namespace riposte::engine
