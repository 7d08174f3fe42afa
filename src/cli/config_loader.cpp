#include "cli/config_loader.h"

#include <cstdlib>

#include "actions/registry.h"
#include "core/log.h"
#include "sinks/sink.h"
#include "sources/config.h"

namespace riposte::cli {

const config::Registry& configRegistry() {
  static const config::Registry registry = [] {
    config::Registry r;
    // Built-in types under distinct names: a failure here is a programming error.
    if (auto s = sinks::registerConfig(r); !s) {
      logError("configuration registry", {{"error", s.error().message}});
      std::abort();
    }
    if (auto s = sources::registerConfig(r); !s) {
      logError("configuration registry", {{"error", s.error().message}});
      std::abort();
    }
    return r;
  }();
  return registry;
}

Result<engine::Config> loadConfigChecked(const std::string& dir, std::ostream& err) {
  static const actions::Registry actions = actions::Registry::builtins();
  engine::Checkers c;
  c.registry = &configRegistry();
  c.known_resource = [](std::string_view r) { return actions.find(r) != nullptr; };
  std::vector<engine::Problem> problems;
  auto cfg = engine::loadConfig(dir, c, problems);
  for (const auto& p : problems) {
    // The directory's own problem (not found) names it already.
    err << (p.file == dir ? std::string() : dir + "/") << p.str() << "\n";
  }
  return cfg;
}

}  // namespace riposte::cli
