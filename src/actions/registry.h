#pragma once
// Maps Task Resource strings ("riposte:aws.ec2.isolateInstance") to actions.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "actions/action.h"

namespace riposte::actions {

class Registry {
 public:
  // Every built-in action. The actions live for the whole process, so a pointer from
  // Registry::builtins().find(…) stays valid after the temporary registry is gone.
  static Registry builtins();

  // Adds an action; error "DuplicateAction" if its name is taken.
  Result<void> add(std::shared_ptr<const Action> action);
  // Accepts "riposte:aws.ec2.isolateInstance" or "aws.ec2.isolateInstance"; also Step
  // Functions' "arn:aws:states:::aws-sdk:<ec2|iam|sns|sts>:<apiAction>" and
  // "arn:aws:states:::sns:publish" (see sdk_call.h; "arn:aws:states:::http:invoke" is the
  // built-in http.invoke; made on first use and kept for the whole
  // process). A ".waitForTaskToken" suffix (the callback pattern, run by the interpreter)
  // names the same action. nullptr if unknown. Thread-safe.
  const Action* find(std::string_view resource) const;
  // Sorted names.
  std::vector<std::string> names() const;
  // The registered action whose Descriptor::undo is `name` ("" when `name` undoes none).
  std::string undoOf(std::string_view name) const;

 private:
  std::map<std::string, std::shared_ptr<const Action>, std::less<>> actions_;
};

// Built-in action factories (also used by tests).
std::shared_ptr<const Action> makeIsolateInstance();
std::shared_ptr<const Action> makeBlockIp();
std::shared_ptr<const Action> makeSnsPublish();
std::shared_ptr<const Action> makeHttpInvoke();  // arn:aws:states:::http:invoke
std::shared_ptr<const Action> makeApproval();
std::shared_ptr<const Action> makeSecurityHubImportFindings();
std::shared_ptr<const Action> makeSecurityHubUpdateFindings();
std::shared_ptr<const Action> makeSecurityHubArchiveFindings();
std::shared_ptr<const Action> makeReleaseInstance();
std::shared_ptr<const Action> makeUnblockIp();
std::shared_ptr<const Action> makeSnapshotVolumes();
std::shared_ptr<const Action> makeTagResource();
std::shared_ptr<const Action> makeDisableAccessKey();
std::shared_ptr<const Action> makeEnableAccessKey();
std::shared_ptr<const Action> makeRevokeSessions();
std::shared_ptr<const Action> makeRestoreSessions();
std::shared_ptr<const Action> makeWafBlockIp();
std::shared_ptr<const Action> makeWafUnblockIp();
std::shared_ptr<const Action> makeStopInstance();
std::shared_ptr<const Action> makeStartInstance();
std::shared_ptr<const Action> makeSuspendUser();
std::shared_ptr<const Action> makeUnsuspendUser();

}  // namespace riposte::actions
