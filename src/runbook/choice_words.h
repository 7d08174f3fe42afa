#pragma once
// Amazon States Language Choice rules and error lists in words, for the runbook's steps and
// diagram labels.

#include <string>

#include "core/json.h"

namespace riposte::runbook {

// A Choice rule (the object with Variable/And/Or/Not/Condition) in words:
// "$.riposte.remoteIp is present and $.riposte.remoteIp is a string".
std::string describeChoiceRule(const json::value& rule);

// An ErrorEquals list: "States.TaskFailed, States.Timeout" ("" when not a list).
std::string errorNames(const json::value* error_equals);

}  // namespace riposte::runbook
