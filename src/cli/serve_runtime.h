#pragma once
// What `riposte serve` runs — the store, the engine, the SIEM sinks, the SQS pollers and the
// HTTP API — as services for a Supervisor (started in that order, stopped in reverse), and the
// configuration reload that SIGHUP and POST /v1/reload trigger.
//
//   ServeRuntime rt(options, *loaded.config);
//   Supervisor sup;
//   rt.addServices(sup);
//   sup.start();                  // then: rt.reload("SIGHUP") on every SIGHUP
//
// A reload loads the whole directory and swaps it in only when all of it is valid and can be
// applied to the running process; otherwise nothing changes, and every problem is logged and
// returned. What it swaps: rules, playbooks, safety (dry run, protected tag), per-playbook
// settings, notifications, accounts, AWS defaults and log level (Engine::reload); the sinks
// and SQS queues whose configuration changed are restarted (a sink's durable cursor keeps its
// place), the others keep running. A changed store or listen address cannot be applied to a
// running process: it is a problem, and the reload is refused. Executions already running keep
// the definition they started with.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "cli/supervisor.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/text.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "server/api.h"
#include "sinks/runner.h"

namespace riposte::cli {

// A configuration directory, loaded with every check.
struct LoadResult {
  std::optional<engine::Config> config;  // set only when the directory is entirely valid
  std::vector<std::string> problems;     // every problem: "<dir>/file:line:column: path: message"
};
using ConfigLoader = std::function<LoadResult(const std::string& dir)>;

// The loader of `serve` and `release`: cli::loadConfigChecked (patterns, playbooks against the
// built-in actions), and the sinks of riposte.yaml built as serve builds them. Problems name
// their file under `dir` ("<dir>/rules/x.yaml:3:7: playbook: …"); a directory that does not
// exist is one problem naming it ("<dir>: configuration directory not found").
LoadResult loadChecked(const std::string& dir);

// "postgresql://user:secret@host/db?password=x" → "postgresql://user:***@host/db?password=***":
// what may be logged of a store URL (core/text.h).
using ::riposte::text::redactUrl;

struct ServeOptions {
  std::string config_dir;
  // --listen / --store: override riposte.yaml's at start and at every reload ("" = the file's).
  std::string listen;
  std::string store_url;
  // --credentials: files of more API tokens and access keys (server/auth.h), read at start.
  std::vector<std::string> credentials;
  ConfigLoader loader = loadChecked;
  std::shared_ptr<aws::Client> aws;  // null: no AWS credentials (actions calling AWS fail)
  const Clock* clock = &SystemClock::instance();
  engine::EngineOptions engine;
  sinks::SinkRunnerOptions sinks;
  // Replaces the engine's built-in actions (tests); called before the engine starts.
  std::function<void(engine::Engine&)> prepare_engine;
};

class ServeRuntime {
 public:
  // `initial` is the configuration loaded at start (the overrides are applied here).
  ServeRuntime(ServeOptions options, engine::Config initial);
  ~ServeRuntime();
  ServeRuntime(const ServeRuntime&) = delete;
  ServeRuntime& operator=(const ServeRuntime&) = delete;

  // Adds the services, in their order: store → engine → sinks → pollers → http.
  void addServices(Supervisor& supervisor);

  // Loads options.config_dir again and swaps it in if, and only if, all of it can be applied
  // (see the top of this file). `trigger` ("SIGHUP", "api") is logged. Logs
  // "configuration reloaded" with what runs now, or "configuration reload refused" and one
  // "reload problem" line per problem. Thread-safe: one reload at a time.
  server::ReloadReport reload(const std::string& trigger);

  // What runs now: {"config", "rules", "rulesEnabled", "playbooks", "dryRun",
  // "dryRunPlaybooks", "dryRunRules", "store" (redacted), "listen", "sinks", "sqs"}.
  json::object running() const;
  // Logs `message` with `trigger` ("start", "SIGHUP", "api") and running()'s fields: the line
  // `serve` writes at start, and reload() after a swap.
  void logRunning(const std::string& message, const std::string& trigger) const;

  uint16_t port() const;           // the HTTP port bound (0 before the http service started)
  engine::Engine* engine() const;  // null outside engine start … stop

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace riposte::cli
