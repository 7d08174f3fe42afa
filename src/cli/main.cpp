// riposte: automated security incident response.
#include <CLI/CLI.hpp>

#include "cli/pattern_commands.h"
#include "cli/serve_command.h"
#include "core/log.h"

int main(int argc, char** argv) {
  riposte::setupLogging("info", "json");
  CLI::App app{"riposte — automated security incident response"};
  app.require_subcommand(1);
  riposte::cli::addServeCommands(app);
  riposte::cli::addPatternCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
