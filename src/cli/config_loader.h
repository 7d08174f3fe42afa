#pragma once
// Loading a configuration directory for the subcommands, with every check: the sink and source
// types their modules register, EventBridge patterns, and playbooks validated against the
// built-in actions.

#include <ostream>
#include <string>

#include "config/registry.h"
#include "engine/config.h"

namespace riposte::cli {

// The registry of the program's configuration: the built-in sinks' and sources' types.
const config::Registry& configRegistry();

// Loads `dir`, writing each problem to `err` as "<dir>/<file>:<line>:<column>: <path>:
// <message>", one a line. The result is an error if there is any problem.
Result<engine::Config> loadConfigChecked(const std::string& dir, std::ostream& err);

}  // namespace riposte::cli
