#include "cli/config_loader.h"

#include "actions/registry.h"
#include "asl/asl.h"
#include "pattern/pattern.h"

namespace riposte::cli {

Result<engine::Config> loadConfigChecked(const std::string& dir, std::ostream& err,
                                         bool print_warnings) {
  static const actions::Registry registry = actions::Registry::builtins();
  engine::Checkers c;
  c.pattern = [](const std::string& p) -> std::string {
    auto r = pattern::validatePattern(p);
    return r ? std::string() : r.error().message;
  };
  c.playbook = [](const json::value& def) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& d :
         asl::validate(def, [](std::string_view r) { return registry.find(r) != nullptr; })) {
      out.emplace_back(d.path, d.message);
    }
    return out;
  };
  std::vector<engine::Problem> problems;
  auto cfg = engine::loadConfig(dir, c, problems);
  for (const auto& p : problems) {
    if (!p.warning || print_warnings) err << dir << "/" << p.str() << "\n";
  }
  return cfg;
}

}  // namespace riposte::cli
