// riposte: automated security incident response.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "cli/approvals_command.h"
#include "cli/asl_commands.h"
#include "cli/breaker_command.h"
#include "cli/coverage_command.h"
#include "cli/docs_command.h"
#include "cli/findings_commands.h"
#include "cli/iam_policy_command.h"
#include "cli/pattern_commands.h"
#include "cli/release_command.h"
#include "cli/serve_command.h"
#include "cli/suppress_command.h"
#include "cli/token_command.h"
#include "cli/validate_command.h"
#include "core/log.h"

namespace {

// The first argument when it names no subcommand (a typo, a command of another version): CLI11
// would only say "A subcommand is required". "" when it is a subcommand or an option.
std::string unknownCommand(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return {};
  std::string word = argv[1];
  auto subs = app.get_subcommands([](CLI::App*) { return true; });
  for (const auto* sub : subs)
    if (sub->check_name(word)) return {};
  return word;
}

}  // namespace

int main(int argc, char** argv) {
  riposte::setupLogging("info", "json");
  CLI::App app{"riposte — automated security incident response"};
  app.require_subcommand(1);
  const std::string version = std::string("riposte ") + RIPOSTE_VERSION;
  app.set_version_flag("--version", version);
  riposte::cli::addServeCommand(app);
  riposte::cli::addValidateCommand(app);
  riposte::cli::addReleaseCommand(app);
  riposte::cli::addBreakerCommand(app);
  riposte::cli::addSuppressCommand(app);
  riposte::cli::addApprovalsCommand(app);
  riposte::cli::addCoverageCommand(app);
  riposte::cli::addTokenCommand(app);
  app.add_subcommand("version", "Print the version")->callback([version] {
    std::cout << version << "\n";
  });
  riposte::cli::addPatternCommands(app);
  riposte::cli::addAslCommands(app);
  riposte::cli::addFindingsCommands(app);
  riposte::cli::addDocsCommands(app);
  riposte::cli::addIamPolicyCommands(app);
  if (std::string word = unknownCommand(app, argc, argv); !word.empty()) {
    std::string names;
    for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
      names += (names.empty() ? "" : ", ") + sub->get_name();
    std::cerr << "riposte: unknown command '" << word << "' (commands: " << names
              << ")\nRun with --help for more information.\n";
    return 2;
  }
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
