#pragma once
// Loading a configuration directory for the subcommands, with every check: EventBridge
// patterns, and playbooks validated against the built-in actions.

#include <ostream>
#include <string>

#include "engine/config.h"

namespace riposte::cli {

// Loads `dir`, writing each problem to `err` as "dir/file:line: error: path: message"
// (warnings too when `print_warnings`). The result is an error if any problem is an error.
Result<engine::Config> loadConfigChecked(const std::string& dir, std::ostream& err,
                                         bool print_warnings);

}  // namespace riposte::cli
