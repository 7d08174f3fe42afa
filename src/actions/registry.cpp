#include "actions/registry.h"

namespace riposte::actions {

Registry Registry::builtins() {
  Registry r;
  for (auto a : {makeIsolateInstance(), makeReleaseInstance(), makeBlockIp(), makeUnblockIp(),
                 makeSnapshotVolumes(), makeTagResource(), makeDisableAccessKey(),
                 makeEnableAccessKey(), makeRevokeSessions(), makeRestoreSessions(),
                 makeSnsPublish(), makeSecurityHubImportFindings()}) {
    (void)r.add(std::move(a));
  }
  return r;
}

Result<void> Registry::add(std::shared_ptr<const Action> action) {
  std::string name(action->name());
  if (actions_.count(name))
    return fail("DuplicateAction", "action " + name + " is already registered");
  actions_.emplace(std::move(name), std::move(action));
  return {};
}

const Action* Registry::find(std::string_view resource) const {
  constexpr std::string_view kPrefix = "riposte:";
  if (resource.substr(0, kPrefix.size()) == kPrefix) resource.remove_prefix(kPrefix.size());
  auto it = actions_.find(resource);
  return it == actions_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : actions_) out.push_back(k);
  return out;
}

}  // namespace riposte::actions
