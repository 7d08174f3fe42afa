#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte findings sample|types`, `riposte simulate` and `riposte replay`:
//  - findings sample: realistic GuardDuty findings (guardduty | event | asff), one JSON a line;
//  - simulate: which rules fire on a finding, which playbook runs, every step and every action
//    in dry-run (no AWS needed; with --against ENDPOINT read-only calls are made for real);
//  - replay: a back-test over a JSON-lines archive, summarised per rule.
// Simulation and replay use an in-memory store and never change anything (dry-run forced).
void addFindingsCommands(CLI::App& app);

}  // namespace riposte::cli
