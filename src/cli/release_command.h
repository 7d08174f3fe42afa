#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte release INCIDENT`: undoes an incident's recorded actions, newest first.
void addReleaseCommand(CLI::App& app);

}  // namespace riposte::cli
