#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte execute --playbook FILE --input FILE|JSON [--history] [--dry-run]`: runs one
// execution locally, as Step Functions Local would, and prints {"status","output"} or
// {"status","error","cause"} (exit 0 on SUCCEEDED).
void addAslCommands(CLI::App& app);

}  // namespace riposte::cli
