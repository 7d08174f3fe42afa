#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte approvals`: the approval gate's requests, in the store the configuration names (the
// store `riposte serve` runs on, as `suppress` and `breaker` use it; a running server's worker
// applies a decision within a second). The same records, checks and audit entries as
// GET/POST /v1/approvals (engine/approvals.h).
//
//   riposte approvals list [--status pending|decided] [--json]
//   riposte approvals approve ID [--by WHO]
//   riposte approvals deny ID --reason WHY [--by WHO]
// each with [--config DIR] [--store URL]; WHO defaults to $USER and must be in an approver
// group. Exit 0; 1 when the gate refuses (not an approver, voted already, decided, not found);
// 2 for invalid arguments or configuration.
void addApprovalsCommand(CLI::App& app);

}  // namespace riposte::cli
