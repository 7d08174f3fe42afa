#include "cli/breaker_command.h"

#include <cstdlib>
#include <iostream>

#include "cli/serve_runtime.h"
#include "core/clock.h"
#include "engine/engine.h"

namespace riposte::cli {

namespace {

struct BreakerArgs {
  std::string config = "config/default", store, reason, by;
};

// The engine on the configuration's store, not started in the background: it only reads the
// breaker and the limits, or closes the breaker.
std::unique_ptr<engine::Engine> openEngine(const BreakerArgs& a) {
  LoadResult loaded = loadChecked(a.config);
  for (const auto& p : loaded.problems) std::cerr << p << "\n";
  if (!loaded.config) {
    throw CLI::RuntimeError("invalid configuration in '" + a.config +
                                "' (pass --config DIR: the directory riposte serve runs with)",
                            2);
  }
  auto cfg = *loaded.config;
  if (!a.store.empty()) cfg.store_url = a.store;
  auto store = store::openStore(cfg.store_url);
  if (!store) throw CLI::RuntimeError("cannot open store: " + store.error().str(), 1);
  engine::EngineOptions opt;
  opt.background = false;
  auto eng = std::make_unique<engine::Engine>(cfg, std::move(*store), nullptr,
                                              SystemClock::instance(), opt);
  if (auto r = eng->start(); !r) throw CLI::RuntimeError(r.error().str(), 1);
  return eng;
}

}  // namespace

void addBreakerCommand(CLI::App& app) {
  static BreakerArgs args;
  auto* breaker = app.add_subcommand("breaker", "The circuit breaker of the blast-radius limits");
  breaker->require_subcommand(1);
  auto common = [](CLI::App* sub) {
    sub->add_option("--config", args.config, "Configuration directory")->capture_default_str();
    sub->add_option("--store", args.store, "Store URL (overrides riposte.yaml)");
  };
  auto* status =
      breaker->add_subcommand("status", "Breaker state and limit levels (GET /v1/policy)");
  common(status);
  status->callback([] {
    auto eng = openEngine(args);
    auto r = eng->policyView();
    if (!r) throw CLI::RuntimeError(r.error().str(), 1);
    std::cout << toPrettyJson(*r) << "\n";
  });
  auto* close =
      breaker->add_subcommand("close", "Close the open breaker (audited: who, when, why)");
  common(close);
  close->add_option("--reason", args.reason, "Why it is safe to act again")->required();
  close->add_option("--by", args.by, "Who closes it (default: $USER)");
  close->callback([] {
    if (args.by.empty()) {
      const char* user = std::getenv("USER");
      if (!user || !*user) throw CLI::RuntimeError("who closes the breaker: pass --by NAME", 2);
      args.by = user;
    }
    auto eng = openEngine(args);
    auto r = eng->closeBreaker(args.by, args.reason);
    if (!r) throw CLI::RuntimeError(r.error().str(), 1);
    std::cout << toPrettyJson(*r) << "\n";
    if (!r->at("closed").as_bool()) {
      std::cerr << "riposte: the breaker was not open; nothing changed\n";
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace riposte::cli
