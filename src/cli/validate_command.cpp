#include "cli/validate_command.h"

#include <iostream>

#include "cli/config_loader.h"

namespace riposte::cli {

void addValidateCommand(CLI::App& app) {
  auto* validate = app.add_subcommand(
      "validate",
      "Check a configuration directory: every problem of every file, one a line, as "
      "file:line:column: path: message");
  static std::string vdir;
  validate->add_option("dir", vdir, "Configuration directory")->required();
  validate->callback([] {
    auto cfg = loadConfigChecked(vdir, std::cerr);
    if (!cfg) throw CLI::RuntimeError(1);
    std::cout << vdir << ": OK (" << cfg->rules.size() << " rules, " << cfg->playbooks.size()
              << " playbooks)\n";
  });
}

}  // namespace riposte::cli
