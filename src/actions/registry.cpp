#include "actions/registry.h"

#include <mutex>

#include "actions/sdk_call.h"

namespace riposte::actions {

Registry Registry::builtins() {
  static const Registry kBuiltins = [] {
    Registry r;
    for (auto a : {makeIsolateInstance(),
                   makeReleaseInstance(),
                   makeBlockIp(),
                   makeUnblockIp(),
                   makeSnapshotVolumes(),
                   makeTagResource(),
                   makeDisableAccessKey(),
                   makeEnableAccessKey(),
                   makeRevokeSessions(),
                   makeRestoreSessions(),
                   makeWafBlockIp(),
                   makeWafUnblockIp(),
                   makeStopInstance(),
                   makeStartInstance(),
                   makeSuspendUser(),
                   makeUnsuspendUser(),
                   makeSnsPublish(),
                   makeHttpInvoke(),
                   makeApproval(),
                   makeSecurityHubImportFindings(),
                   makeSecurityHubArchiveFindings(),
                   makeSecurityHubUpdateFindings()}) {
      (void)r.add(std::move(a));
    }
    return r;
  }();
  return kBuiltins;
}

Result<void> Registry::add(std::shared_ptr<const Action> action) {
  std::string name(action->name());
  if (name.empty()) return fail("InvalidAction", "an action has no name");
  if (actions_.count(name))
    return fail("DuplicateAction", "action " + name + " is already registered");
  actions_.emplace(std::move(name), std::move(action));
  return {};
}

const Action* Registry::find(std::string_view resource) const {
  constexpr std::string_view kPrefix = "riposte:";
  // A Task's Resource as written: the callback pattern's suffix names the same action.
  constexpr std::string_view kWaitForTaskToken = ".waitForTaskToken";
  if (resource.ends_with(kWaitForTaskToken)) resource.remove_suffix(kWaitForTaskToken.size());
  if (resource.substr(0, kPrefix.size()) == kPrefix) resource.remove_prefix(kPrefix.size());
  // Step Functions' HTTP Task is the built-in http.invoke.
  if (resource == "arn:aws:states:::http:invoke") resource = "http.invoke";
  auto it = actions_.find(resource);
  if (it != actions_.end()) return it->second.get();
  if (resource.rfind("arn:aws:states:::", 0) != 0) return nullptr;
  // Integrations live for the whole process (like the built-ins), shared by all registries.
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Action>, std::less<>> sdk;
  std::lock_guard lock(mu);
  auto it_sdk = sdk.find(resource);
  if (it_sdk != sdk.end()) return it_sdk->second.get();
  auto made = makeSdkCall(resource);
  if (!made) return nullptr;
  const Action* a = made.get();
  sdk.emplace(std::string(resource), std::move(made));
  return a;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : actions_) out.push_back(k);
  return out;
}

std::string Registry::undoOf(std::string_view name) const {
  for (const auto& [k, a] : actions_) {
    if (a->descriptor().undo == name) return k;
  }
  return "";
}

}  // namespace riposte::actions
