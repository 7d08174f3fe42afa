// `riposte:approval`: a person decides before the states after it run (the approval gate).
#include "actions/registry.h"

namespace riposte::actions {

namespace {

class Approval final : public Action {
 public:
  Approval() {
    d_.name = "approval";
    d_.description =
        "Asks people to approve what follows before it runs: opens an approval request (who "
        "may decide: riposte.yaml approvals.groups; quorum N of M; deadline and on_timeout; a "
        "deny needs a reason; the plan: the Tasks that may run after it, unless Parameters "
        "give `plan`) and waits, without a thread or a lease, for its decision. "
        "Approved: the result is {\"approved\": true, \"approvers\": [...]}; denied: the Task "
        "fails with riposte.ApprovalDenied and the reason. Decided through GET/POST "
        "/v1/approvals and `riposte approvals`.";
    d_.role = Role::kRead;
    d_.undo_note = "Nothing to undo: it changes no resource.";
    d_.replay = Replay::kRerun;  // the same attempt finds the request it opened
  }
  const Descriptor& descriptor() const override { return d_; }
  Result<ActionOutcome> run(const json::value& input, ActionContext& ctx) const override {
    if (!ctx.approvals)
      return fail(kNotConfigured,
                  "riposte:approval needs the engine's approval gate (riposte serve / process); "
                  "nothing here can decide it");
    if (ctx.task_token_digest.empty())
      return fail(kInvalidInput, "riposte:approval runs only as a waiting Task (no task token)");
    auto opened = ctx.approvals->open(input, ctx);
    if (!opened) return fail(opened.error());
    ActionOutcome o;
    o.output = *opened;
    o.changed = false;
    o.summary = "approval " + std::string(opened->at("approvalId").as_string()) + " requested";
    return o;
  }

 private:
  Descriptor d_;
};

}  // namespace

std::shared_ptr<const Action> makeApproval() {
  return std::make_shared<Approval>();
}

}  // namespace riposte::actions
