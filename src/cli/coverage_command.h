#pragma once
// `riposte coverage --config DIR [--events FILE.jsonl] [--json]`: the GuardDuty finding types of
// the catalogue (sources/samples.h) that no enabled rule handles (each type's sample event
// matched against the enabled rules' patterns; a suppression that silences a type everywhere
// makes it unhandled too: policy/coverage.h), and with --events, which of the given events
// arrived unhandled, by type and count (matched against the rules and the configuration's
// suppressions, scopes included, as the engine matches them). Exit 0; 2 for an invalid
// configuration or event file.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "engine/config.h"
#include "policy/coverage.h"

namespace riposte::cli {

void addCoverageCommand(CLI::App& app);

// The catalogue of GuardDuty finding types with their sample events (sources::catalogueEvent).
std::vector<policy::CatalogueType> guardDutyCatalogue();

// The enabled rules' patterns.
std::vector<policy::CoverageRule> enabledRules(const engine::Config& cfg);

// The report `coverage --json` prints: {"types", "handled", "unhandled": [{type, family,
// suppressedBy?, partlySuppressedBy?}], "events"?: {"file", "total", "handled", "suppressed",
// "unhandled", "unhandledByType": [{type, source, count}], "suppressedBy": {name: count}}}.
// `events_file` "" = no events.
Result<json::object> coverageReport(const engine::Config& cfg, const std::string& events_file,
                                    int64_t now_ms);

}  // namespace riposte::cli
