#pragma once
// An EventBridge pattern in words, for the runbook's triggers.

#include <string>
#include <vector>

#include "core/json.h"

namespace riposte::runbook {

// One sentence: "GuardDuty findings where resourceType is "Instance" and severity ≥ 7." (plain
// text, UTF-8; every operator has its wording).
std::string describePattern(const json::value& pattern);

// The pattern's conditions as lines, one per field (full dotted paths), "any one of" groups
// for $or indented by two spaces per level: "detail.severity ≥ 7".
std::vector<std::string> describePatternConditions(const json::value& pattern);

}  // namespace riposte::runbook
