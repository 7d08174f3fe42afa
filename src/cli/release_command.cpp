#include "cli/release_command.h"

#include <iostream>

#include "aws/client.h"
#include "aws/credential_chain.h"
#include "cli/serve_runtime.h"
#include "core/clock.h"
#include "engine/engine.h"

namespace riposte::cli {

void addReleaseCommand(CLI::App& app) {
  auto* release = app.add_subcommand("release", "Undo an incident's actions, newest first");
  static std::string rel_incident, rel_config = "config/default", rel_store, rel_by, rel_reason;
  release->add_option("incident", rel_incident, "Incident id (inc-…)")->required();
  release->add_option("--config", rel_config, "Configuration directory")->capture_default_str();
  release->add_option("--store", rel_store, "Store URL (overrides riposte.yaml)");
  release->add_option("--by", rel_by, "Who releases it (the audit log's actor)")->required();
  release->add_option("--reason", rel_reason, "Why (the audit log keeps it)")->required();
  release->callback([] {
    // The loader `serve` uses: a directory that is not there is named once, as given (run
    // from another directory, the default config/default is not found: say so, do not double
    // the path).
    LoadResult loaded = loadChecked(rel_config);
    for (const auto& p : loaded.problems) std::cerr << p << "\n";
    if (!loaded.config) {
      throw CLI::RuntimeError("invalid configuration in '" + rel_config +
                                  "' (pass --config DIR: the directory riposte serve runs with)",
                              2);
    }
    auto cfg = &*loaded.config;
    if (!rel_store.empty()) cfg->store_url = rel_store;
    auto store = store::openStore(cfg->store_url);
    if (!store) throw CLI::RuntimeError("cannot open store: " + store.error().str(), 1);
    std::shared_ptr<aws::Client> aws;
    if (auto creds = aws::resolveCredentialsChain()) aws = std::make_shared<aws::Client>(*creds);
    engine::EngineOptions opt;
    opt.background = false;
    engine::Engine eng(*cfg, std::move(*store), aws, SystemClock::instance(), opt);
    if (auto r = eng.start(); !r) throw CLI::RuntimeError(r.error().str(), 1);
    auto r = eng.release(rel_incident, rel_by + " via cli", rel_reason);
    if (!r) throw CLI::RuntimeError(r.error().str(), 1);
    std::cout << toPrettyJson(*r) << "\n";
    if (!r->at("failed").as_array().empty()) throw CLI::RuntimeError(1);
  });
}

}  // namespace riposte::cli
