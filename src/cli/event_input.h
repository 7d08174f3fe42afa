#pragma once
// Findings and events read from files, for the commands that take them (simulate, replay,
// coverage): EventBridge events, bare GuardDuty findings and Security Hub ASFF findings alike.

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "sources/ingest.h"

namespace riposte::cli {

// One JSON object (EventBridge event, bare GuardDuty finding or ASFF finding) → event; `where`
// names it in errors ("file:12").
Result<sources::NormalizedEvent> toEvent(const json::object& o, const Clock& clock,
                                         const std::string& where);

// The whole file ("-" = stdin). Error "NotFound".
Result<std::string> readAll(const std::string& path);

// A file holding one JSON document (an object or an array of them) or JSON lines. Errors name
// the line or index.
Result<std::vector<sources::NormalizedEvent>> readEvents(const std::string& path,
                                                         const Clock& clock);

}  // namespace riposte::cli
