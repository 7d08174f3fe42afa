// riposte_sink_driver: drives the sinks end to end without the server, for
// tests/integration/test_sinks.py. Loads `sinks:` from <config>/riposte.yaml, opens the store,
// appends --incidents incidents (each: opened, then status "contained"), runs a SinkManager
// until every backlog is 0 or --wait-ms passes, and prints the status of each sink as JSON.
// Exit status: 0 when every backlog reached 0, 3 when some did not, 2 on a setup error.

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "core/log.h"
#include "sinks/runner.h"
#include "sinks/sink.h"

using namespace riposte;

int main(int argc, char** argv) {
  CLI::App app("riposte sink driver");
  std::string config_dir, store_url;
  int incidents = 0;
  int64_t wait_ms = 10000;
  std::string prefix = "drv";
  app.add_option("--config", config_dir)->required();
  app.add_option("--store", store_url)->required();
  app.add_option("--incidents", incidents);
  app.add_option("--prefix", prefix, "dedup-key prefix of the incidents written");
  app.add_option("--wait-ms", wait_ms);
  CLI11_PARSE(app, argc, argv);
  setupLogging("warn", "json");

  auto cfg = sinks::loadSinksConfig(config_dir);
  if (!cfg) return std::cerr << cfg.error().str() << "\n", 2;
  auto made = sinks::makeSinks(*cfg);
  if (!made) return std::cerr << made.error().str() << "\n", 2;
  auto opened = store::openStore(store_url);
  if (!opened) return std::cerr << opened.error().str() << "\n", 2;
  std::shared_ptr<store::Store> st(std::move(*opened));
  for (int i = 0; i < incidents; ++i) {
    store::IncidentRecord r;
    r.dedup_key = prefix + "/" + std::to_string(i);
    r.account = "123456789012";
    r.region = "eu-west-1";
    r.resource_type = "Instance";
    r.resource_id = "i-" + prefix + std::to_string(i);
    r.finding_type = "UnauthorizedAccess:EC2/SSHBruteForce";
    r.severity = 8;
    r.title = "SSH brute force " + std::to_string(i) + " a=b|c";
    r.rule = "guardduty-high";
    r.created_ms = 1700000000000 + i;
    auto u = st->upsertIncident(r, "");
    if (!u) return std::cerr << u.error().str() << "\n", 2;
    if (auto s = st->setIncidentStatus(u->incident.id, "contained", r.created_ms + 1); !s) {
      return std::cerr << s.error().str() << "\n", 2;
    }
  }
  sinks::SinkRunnerOptions opts;
  opts.initial_backoff = std::chrono::milliseconds(50);
  opts.max_backoff = std::chrono::milliseconds(400);
  opts.poll_interval = std::chrono::milliseconds(50);
  sinks::SinkManager manager(st, std::move(*made), opts);
  manager.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    done = true;
    for (const auto& s : manager.status()) done = done && s.backlog == 0;
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  manager.stop();
  json::array out;
  for (const auto& s : manager.status()) {
    json::object o;
    o["name"] = s.name;
    o["cursor"] = s.cursor;
    o["backlog"] = s.backlog;
    o["delivered"] = s.counters.delivered;
    o["failures"] = s.counters.failures;
    o["rejected"] = s.counters.rejected;
    o["last_error"] = s.counters.last_error;
    out.push_back(std::move(o));
  }
  std::cout << toJson(out) << "\n";
  return done ? 0 : 3;
}
