#pragma once
// One walk over the states of an Amazon States Language definition (JSON), into Parallel
// branches and Map item processors, for tools that read playbooks as written (the runbook, the
// IAM policy) rather than run them.
//
//   asl::forEachState(definition, [&](const asl::VisitedState& s) {
//     if (s.type == "Task") resources.push_back(stringAt(s.json(), "Resource").value_or(""));
//   });
//
// Pure and thread-safe. It reads what is there: a definition that does not validate is walked
// as far as it has a shape (a "States" object, object-valued states); the validator reports the
// rest.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace riposte::asl {

struct VisitedState {
  std::string_view name;      // the state's name in its state list
  const json::object* state;  // the state's object
  std::string_view type;      // its "Type" ("" when missing or not a string)
  // 0 for the top-level states; one more inside each Parallel branch or Map processor.
  int depth = 0;
  // Where it is, as a JSONPath into the definition: "$.States.P.Branches[0].States.X".
  std::string path;

  const json::object& json() const { return *state; }
};

// Calls `visit` for every state of `definition` in document order; the states of a Parallel's
// branches and of a Map's item processor ("ItemProcessor", or the older "Iterator") follow
// right after their state, depth first.
void forEachState(const json::value& definition,
                  const std::function<void(const VisitedState&)>& visit);

// The state lists nested in one state, in order: each Parallel branch, then a Map's
// "ItemProcessor" and "Iterator" (whichever are objects). Empty for the other types.
std::vector<const json::value*> nestedStateLists(const json::object& state);

}  // namespace riposte::asl
