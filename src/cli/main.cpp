// riposte: automated security incident response.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/asl_commands.h"
#include "cli/docs_command.h"
#include "cli/findings_commands.h"
#include "cli/iam_policy_command.h"
#include "cli/pattern_commands.h"
#include "cli/release_command.h"
#include "cli/serve_command.h"
#include "cli/validate_command.h"
#include "core/log.h"

int main(int argc, char** argv) {
  riposte::setupLogging("info", "json");
  CLI::App app{"riposte — automated security incident response"};
  app.require_subcommand(1);
  riposte::cli::addServeCommand(app);
  riposte::cli::addValidateCommand(app);
  riposte::cli::addReleaseCommand(app);
  app.add_subcommand("version", "Print the version")->callback([] {
    std::cout << "riposte " << RIPOSTE_VERSION << "\n";
  });
  riposte::cli::addPatternCommands(app);
  riposte::cli::addAslCommands(app);
  riposte::cli::addFindingsCommands(app);
  riposte::cli::addDocsCommands(app);
  riposte::cli::addIamPolicyCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    // Subcommands report their own failures; a message here is the reason.
    std::string what = e.what();
    if (!what.empty() && what != "Runtime error") std::cerr << "riposte: " << what << "\n";
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
