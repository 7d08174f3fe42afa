#include "cli/validate_command.h"

#include <iostream>

#include "cli/config_loader.h"
#include "sinks/sink.h"

namespace riposte::cli {

void addValidateCommand(CLI::App& app) {
  auto* validate = app.add_subcommand("validate", "Check a configuration directory");
  static std::string vdir;
  validate->add_option("dir", vdir, "Configuration directory")->required();
  validate->callback([] {
    auto cfg = loadConfigChecked(vdir, std::cerr, true);
    if (!cfg) throw CLI::RuntimeError(1);
    if (auto it = cfg->settings.find("sinks"); it != cfg->settings.end()) {
      if (auto s = sinks::makeSinks(it->value()); !s) {
        std::cerr << vdir << "/riposte.yaml: error: sinks: " << s.error().message << "\n";
        throw CLI::RuntimeError(1);
      }
    }
    std::cout << vdir << ": OK (" << cfg->rules.size() << " rules, " << cfg->playbooks.size()
              << " playbooks)\n";
  });
}

}  // namespace riposte::cli
