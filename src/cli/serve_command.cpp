#include "cli/serve_command.h"

#include <csignal>
#include <iostream>

#include "asl/asl.h"
#include "aws/client.h"
#include "cli/config_loader.h"
#include "core/log.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "pattern/pattern.h"
#include "server/api.h"
#include "server/http_server.h"
#include "sinks/runner.h"
#include "sinks/sink.h"
#include "sources/sqs_poller.h"

namespace riposte::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) {
  g_stop = 1;
}

}  // namespace

void addServeCommand(CLI::App& app) {
  auto* serve = app.add_subcommand("serve", "Run the response engine and its HTTP API");
  static std::string config_dir = "config/default", listen, store_url;
  serve->add_option("--config", config_dir, "Configuration directory")->capture_default_str();
  serve->add_option("--listen", listen, "HOST:PORT to listen on (overrides riposte.yaml)");
  serve->add_option("--store", store_url,
                    "Store URL: sqlite:///path.db or postgresql://… (overrides riposte.yaml)");
  serve->callback([] {
    auto cfg = loadConfigChecked(config_dir, std::cerr, true);
    if (!cfg) throw CLI::RuntimeError("invalid configuration: " + cfg.error().message, 2);
    if (!listen.empty()) cfg->listen = listen;
    if (!store_url.empty()) cfg->store_url = store_url;
    setupLogging(cfg->log_level, cfg->log_format);
    auto store = store::openStore(cfg->store_url);
    if (!store) throw CLI::RuntimeError("cannot open store: " + store.error().str(), 1);
    std::shared_ptr<aws::Client> aws;
    if (auto creds = aws::credentialsFromEnvironment(); creds) {
      aws = std::make_shared<aws::Client>(*creds);
    } else {
      logWarn("no AWS credentials: actions that call AWS will fail",
              {{"error", creds.error().str()}});
    }
    auto addr = server::parseListen(cfg->listen);
    if (!addr) throw CLI::RuntimeError(addr.error().message, 2);
    engine::Engine eng(*cfg, std::move(*store), aws, SystemClock::instance());
    // SIEM sinks (riposte.yaml `sinks:`), fed from the store's audit log by durable cursors.
    json::value sinks_cfg;
    if (auto it = cfg->settings.find("sinks"); it != cfg->settings.end()) sinks_cfg = it->value();
    auto sink_list = sinks::makeSinks(sinks_cfg);
    if (!sink_list) throw CLI::RuntimeError("invalid sinks: " + sink_list.error().message, 2);
    sinks::SinkManager sink_manager(eng.store(), std::move(*sink_list));
    if (auto r = eng.start(); !r) throw CLI::RuntimeError(r.error().str(), 1);
    sink_manager.start();
    server::Api api(eng);
    api.addMetrics([&sink_manager] { return sinks::renderSinkMetrics(sink_manager.status()); });
    server::HttpServerOptions opt;
    opt.host = addr->first;
    opt.port = addr->second;
    server::HttpServer http(opt, [&api](const server::HttpRequest& r) { return api.handle(r); });
    if (auto r = http.start(); !r) throw CLI::RuntimeError(r.error().message, 1);
    std::string bound = opt.host + ":" + std::to_string(http.port());
    logInfo("riposte serving", {{"listen", bound},
                                {"store", cfg->store_url},
                                {"rules", std::to_string(cfg->rules.size())},
                                {"playbooks", std::to_string(cfg->playbooks.size())}});
    // SQS sources: each queue is long-polled by its own thread into the durable inbox.
    std::atomic<bool> polling{true};
    std::vector<std::unique_ptr<sources::SqsPoller>> pollers;
    std::vector<std::thread> poll_threads;
    for (const auto& q : cfg->sqs_sources) {
      if (!aws) throw CLI::RuntimeError("sources.sqs needs AWS credentials", 2);
      sources::SqsSourceConfig sc;
      sc.queue_url = q.queue_url;
      sc.region = q.region;
      sc.wait_seconds = q.wait_seconds;
      pollers.push_back(std::make_unique<sources::SqsPoller>(
          sc, *aws,
          [&eng](const std::vector<sources::NormalizedEvent>& evs) {
            return eng.ingest(evs, "sqs");
          },
          SystemClock::instance()));
      poll_threads.emplace_back([p = pollers.back().get(), &polling] { p->run(polling); });
      logInfo("polling SQS queue", {{"queue", q.queue_url}});
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    logInfo("shutting down");
    polling = false;
    http.stop();
    for (auto& t : poll_threads) t.join();
    eng.stop();
    sink_manager.stop();
  });
}

}  // namespace riposte::cli
