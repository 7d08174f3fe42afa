#pragma once
#include <CLI/CLI.hpp>

namespace riposte::cli {

// `riposte serve`: the engine, its HTTP API, SQS pollers and SIEM sinks.
void addServeCommand(CLI::App& app);

}  // namespace riposte::cli
