#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte validate DIR`: checks a configuration directory, printing every problem.
void addValidateCommand(CLI::App& app);

}  // namespace riposte::cli
