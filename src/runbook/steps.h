#pragma once
// A playbook's steps in words, for the runbook's procedures: what each state does, the AWS calls
// (IAM permissions) a Task makes and how it is undone, all from the action descriptors.

#include <string>
#include <utility>
#include <vector>

#include "actions/registry.h"
#include "core/json.h"
#include "runbook/document.h"

namespace riposte::runbook {

// What a Task resource runs.
struct TaskInfo {
  std::string kind;  // "action", "integration" (both registered), "aws-sdk", "http", "unknown"
  const actions::Action* action = nullptr;  // registered resources only
  std::string what;                         // one paragraph
  std::vector<std::string> permissions;     // the IAM actions it calls, in order
  std::string undo;                         // how it is undone, one sentence
};

// A Task resource with its Parameters (null: none) in words: a registered resource from its
// descriptor; the others (which riposte cannot run: a configuration being written) from their
// Step Functions name.
TaskInfo taskInfo(const std::string& resource, const json::object* parameters,
                  const actions::Registry& registry);

// How an action is undone, from its descriptor: "release runs riposte:<undo>, which <note>", or
// why there is no undo; an undo is itself never undone.
std::string undoText(const actions::Descriptor& d, const actions::Registry& registry);

// Every Task state of a definition, nested ones too (asl::forEachState), as (name, state).
std::vector<std::pair<std::string, const json::object*>> tasksOf(const json::value& definition);

// The states of a state list as list items in execution order (nested Parallel branches and
// Map processors as sub-items).
std::vector<Item> stateListItems(const json::value& definition, const actions::Registry& registry);

}  // namespace riposte::runbook
