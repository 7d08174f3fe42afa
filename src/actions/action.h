#pragma once
// A response action: a named, documented, idempotent unit that changes (or reports on) a
// customer's cloud, reachable from playbooks as Task Resource "riposte:<name>".
//
//   const Action* a = Registry::builtins().find("riposte:aws.ec2.isolateInstance");
//   ActionContext ctx{.incident_id = "inc-1", .region = "us-east-1", .aws = &client};
//   Result<ActionOutcome> r = a->run(json::parse(R"({"instanceId":"i-0abc"})"), ctx);
//   // r->before holds what undoing it needs; r->changed is false on an idempotent repeat.

#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace riposte::actions {

struct ActionContext {
  std::string incident_id, execution_id, state_name;
  std::string account, region;  // from the finding (region decides the endpoint/signing region)
  bool dry_run = false;         // plan and record, change nothing
  aws::Client* aws = nullptr;
  const Clock* clock = nullptr;  // null → SystemClock
  // Resources carrying this tag with value "true" are never modified (ResourceProtected).
  std::string protection_tag = "riposte:protected";
  // The id of this call's action record. The engine derives it from (execution, state, Task
  // attempt), so it is the same when the attempt runs again after a crash: actions that send
  // something hand it to the receiver as a deduplication id. "" outside the engine.
  std::string action_id;
};

// What the engine does when it finds the record of an attempt that was interrupted: recorded
// "running" (about to act) but no outcome, because the process died during the call.
enum class Replay {
  // Run it again: the action reads the current state first and changes only what is not yet
  // as wanted, so a repeat cannot double an effect (every state-checking action).
  kRerun,
  // Run it again with the same ActionContext::action_id, which the action passes on as a
  // deduplication id (aws.sns.publish: MessageDeduplicationId on a FIFO topic, the
  // riposte-dedup-id message attribute on a standard one). Receivers may see it twice.
  kRerunDeduplicated,
  // Do not run it again: its effect cannot be checked and a repeat may duplicate it. The Task
  // fails with kActionInterrupted, which a playbook may Retry (accepting a repeat) or Catch.
  kFailInterrupted,
};

struct ActionOutcome {
  json::value output;         // the Task's result (goes to the playbook via ResultPath)
  json::value before, after;  // what it found / what it left (enough to undo it)
  bool changed = false;       // false: it was already in the wanted state (idempotent repeat)
  std::string summary;        // one line: "moved i-… from [sg-a, sg-b] to sg-q (quarantine)"
};

// Error codes actions return besides AWS's own codes ("InvalidInstanceID.NotFound", …):
inline constexpr const char* kInvalidInput = "InvalidInput";              // bad action input
inline constexpr const char* kResourceProtected = "ResourceProtected";    // protection tag set
inline constexpr const char* kVerificationFailed = "VerificationFailed";  // read-back mismatch
inline constexpr const char* kNotConfigured = "NotConfigured";  // no AWS client in the context
// An attempt interrupted by a crash whose action is Replay::kFailInterrupted.
inline constexpr const char* kActionInterrupted = "riposte.ActionInterrupted";

// Implementations are stateless and thread-safe: run() may be called concurrently.
class Action {
 public:
  virtual ~Action() = default;
  virtual std::string_view name() const = 0;                 // "aws.ec2.isolateInstance"
  virtual std::string_view description() const = 0;          // one paragraph, for the runbook
  virtual std::vector<std::string> permissions() const = 0;  // IAM actions it needs
  // AWS errors → Error{code = AWS error code, message}; bad input → Error{"InvalidInput", …}.
  virtual Result<ActionOutcome> run(const json::value& input, ActionContext& ctx) const = 0;
  // The action that undoes this one ("" when there is none). Its input is this action's
  // `output` object with "before" added: undoInput(outcome).
  virtual std::string_view undoName() const { return {}; }
  // See Replay. Every action that checks the state before it changes it is kRerun.
  virtual Replay replay() const { return Replay::kRerun; }
};

// The input of the undo action of a recorded outcome: output ∪ {"before": before}.
inline json::value undoInput(const json::value& output, const json::value& before) {
  json::object in = output.is_object() ? output.as_object() : json::object();
  in["before"] = before;
  return in;
}

}  // namespace riposte::actions
