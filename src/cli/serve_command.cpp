#include "cli/serve_command.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "aws/client.h"
#include "aws/credential_chain.h"
#include "cli/serve_runtime.h"
#include "cli/supervisor.h"
#include "core/log.h"

namespace riposte::cli {

void addServeCommand(CLI::App& app) {
  auto* serve = app.add_subcommand("serve", "Run the response engine and its HTTP API");
  static std::string config_dir = "config/default", listen, store_url;
  static std::vector<std::string> credentials;
  serve->add_option("--config", config_dir, "Configuration directory")->capture_default_str();
  serve->add_option("--listen", listen, "HOST:PORT to listen on (overrides riposte.yaml)");
  serve->add_option("--store", store_url,
                    "Store URL: sqlite:///path.db or postgresql://… (overrides riposte.yaml)");
  serve->add_option("--credentials", credentials,
                    "A file of API tokens and SigV4 access keys (YAML tokens: / access_keys:, "
                    "as in riposte.yaml api:), kept apart from the configuration (repeatable)");
  serve->callback([] {
    // First, before any thread exists: these signals are then taken by the signal thread only.
    SignalWatcher signals({SIGHUP, SIGINT, SIGTERM});
    ServeOptions opt;
    opt.config_dir = config_dir;
    opt.listen = listen;
    opt.store_url = store_url;
    opt.credentials = credentials;
    LoadResult loaded = opt.loader(config_dir);
    for (const auto& p : loaded.problems) std::cerr << p << "\n";
    if (!loaded.config) throw CLI::RuntimeError("invalid configuration: " + config_dir, 2);
    setupLogging(loaded.config->log_level, loaded.config->log_format);
    if (auto creds = aws::resolveCredentialsChain(); creds) {
      opt.aws = std::make_shared<aws::Client>(*creds);
    } else {
      logWarn("no AWS credentials: actions that call AWS will fail",
              {{"error", creds.error().str()}});
    }
    ServeRuntime runtime(std::move(opt), std::move(*loaded.config));
    Supervisor supervisor;
    runtime.addServices(supervisor);
    if (auto r = supervisor.start(); !r) throw CLI::RuntimeError(r.error().message, 1);
    runtime.logRunning("riposte serving", "start");
    // The signal thread runs until the services are stopped: a reload while they stop is
    // ignored, and a second stop signal exits at once (nothing is lost: every accepted event
    // and every step is in the store, and a restarted riposte resumes from it).
    std::atomic<int> stop_signals{0};
    auto watching = signals.start([&](int sig) {
      if (sig == SIGHUP) {
        if (stop_signals > 0) {
          logWarn("reload ignored: riposte is stopping", {{"signal", "SIGHUP"}});
          return;
        }
        logInfo("reloading the configuration", {{"signal", "SIGHUP"}});
        runtime.reload("SIGHUP");
        return;
      }
      if (stop_signals++ > 0) {
        logWarn("second stop signal: exiting without waiting for the services",
                {{"signal", signalName(sig)}});
        std::_Exit(1);
      }
      supervisor.requestStop(signalName(sig));
    });
    if (!watching) {
      supervisor.stop();
      throw CLI::RuntimeError(watching.error().str(), 1);
    }
    std::string why = supervisor.wait();
    logInfo("shutting down", {{"signal", why}});
    supervisor.stop();
    signals.stop();
    logInfo("riposte stopped");
  });
}

}  // namespace riposte::cli
