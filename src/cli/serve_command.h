#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte serve`, `riposte validate`, `riposte version`.
void addServeCommands(CLI::App& app);

}  // namespace riposte::cli
