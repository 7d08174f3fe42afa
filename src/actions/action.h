#pragma once
// A response action: a named, documented, idempotent unit that changes (or reports on) a
// customer's cloud, reachable from playbooks as Task Resource "riposte:<name>".
//
//   const Action* a = Registry::builtins().find("riposte:aws.ec2.isolateInstance");
//   ActionContext ctx{.incident_id = "inc-1", .region = "us-east-1", .aws = &client};
//   Result<ActionOutcome> r = a->run(json::parse(R"({"instanceId":"i-0abc"})"), ctx);
//   // r->before holds what undoing it needs; r->changed is false on an idempotent repeat.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actions/connection.h"
#include "actions/descriptor.h"
#include "aws/client.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace riposte::actions {

struct ActionContext;

// The approval gate (the engine's): `riposte:approval` asks it to open the request of one Task
// attempt. The Task waits for the request's decision on its task token, which the gate keeps
// as a digest (ActionContext::task_token_digest) and never shows.
class ApprovalDesk {
 public:
  virtual ~ApprovalDesk() = default;
  // Opens the request (the same attempt run again finds the one it opened) and returns what
  // the Task submits: {"approvalId", "approvers", "quorum", "deadline"}. "InvalidInput" for
  // bad Parameters (policy::parseApprovalRequest).
  virtual Result<json::value> open(const json::value& parameters, const ActionContext& ctx) = 0;
};

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
  // The Task attempt's callback token as a digest (a `.waitForTaskToken` attempt or
  // `riposte:approval`; "" otherwise), its TimeoutSeconds, and the approval gate (null outside
  // the engine).
  std::string task_token_digest;
  std::optional<double> timeout_seconds;
  ApprovalDesk* approvals = nullptr;
  // http:invoke: riposte.yaml's connections and the HTTP client (null outside the engine and
  // `riposte execute`: the action then fails with NotConfigured).
  const Connections* connections = nullptr;
  aws::HttpTransport* http = nullptr;
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
  // What the action is (descriptor.h): the same object for the action's whole life.
  virtual const Descriptor& descriptor() const = 0;
  std::string_view name() const { return descriptor().name; }  // "aws.ec2.isolateInstance"
  // AWS errors → Error{code = AWS error code, message}; bad input → Error{"InvalidInput", …}.
  virtual Result<ActionOutcome> run(const json::value& input, ActionContext& ctx) const = 0;
};

// The input of the undo action (Descriptor::undo) of a recorded outcome: output ∪ {"before":
// before}.
inline json::value undoInput(const json::value& output, const json::value& before) {
  json::object in = output.is_object() ? output.as_object() : json::object();
  in["before"] = before;
  return in;
}

}  // namespace riposte::actions
