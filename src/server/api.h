#pragma once
// riposte's HTTP API (README "API"), on top of the engine:
//   POST /v1/events                     one event, an array, or a bare GuardDuty or ASFF finding
//   POST /  X-Amz-Target: AWSEvents.PutEvents | AWSEvents.TestEventPattern   (JSON 1.1)
//   POST /  X-Amz-Target: AWSStepFunctions.SendTaskSuccess | SendTaskFailure | SendTaskHeartbeat
//                                       (JSON 1.0: the callbacks of `.waitForTaskToken` Tasks)
//   GET  /v1/incidents[?limit=&offset=]  GET /v1/incidents/{id}  GET /v1/executions/{id}
//   POST /v1/reload                     loads the configuration again (see ReloadReport)
//   GET /v1/approvals[?status=pending|decided]  GET|POST /v1/approvals/{id}   (engine/approvals.h)
//   GET|POST /v1/approvals/{id}/link    a signed one-time link's confirmation page (GET) and
//                                       vote (POST, form t=&reason=): text/html
//                                       (policy/approval_link.h)
//   GET|POST /v1/suppressions  DELETE /v1/suppressions/{name}[?reason=]   (engine/suppressions.h)
//   GET  /v1/policy                     the guard rails now: breaker state, limit levels, scope
//   POST /v1/breaker/close {by, reason} a person closes the breaker (409 when it was not open)
//   GET  /metrics  GET /healthz  GET /readyz

#include <functional>
#include <vector>

#include "engine/engine.h"
#include "server/auth.h"
#include "server/http_server.h"

namespace riposte::server {

// What a configuration reload did, for POST /v1/reload (`riposte serve` provides the reload).
struct ReloadReport {
  bool ok = false;  // true: the new configuration runs now; false: the previous one still does
  // When !ok, every problem that kept the new configuration out, one line each:
  // "file:line:column: path: message" (line, column and path when known).
  std::vector<std::string> problems;
  // What runs now (after the reload, or still): {"rules", "playbooks", "dryRun", "store",
  // "listen", …}.
  json::object running;
  // When ok, what the reload restarted: {"sinksStarted", "sinksStopped", "sqsStarted",
  // "sqsStopped"} (names and queue URLs; a changed sink or queue is in both).
  json::object restarted;
};
// Runs one reload and says what happened. Called on an HTTP I/O thread; must be thread-safe.
using ReloadHook = std::function<ReloadReport()>;

class Api {
 public:
  explicit Api(engine::Engine& engine);
  HttpResponse handle(const HttpRequest& req);
  // Adds more Prometheus text to GET /metrics (for example the sinks' backlog).
  void addMetrics(std::function<std::string()> render) {
    extra_metrics_.push_back(std::move(render));
  }
  // POST /v1/reload runs `hook`: 200 {"reloaded": true, "running": {…}, "restarted": {…}} when
  // the new configuration was swapped in, 422 {"error": "InvalidConfig", "message", "problems":
  // […], "running": {…}} when it was not (the running one stays). Without a hook: 501. Call before
  // the server starts.
  void setReloadHook(ReloadHook hook) { reload_ = std::move(hook); }
  // Who may call what (server/auth.h): every request is checked by `auth` first, and what it
  // changes is recorded as its principal's. `riposte serve` always sets one; without one (unit
  // tests of the routes) every request is let through as with `auth: none`. Call before the
  // server starts.
  void setAuthenticator(std::unique_ptr<Authenticator> auth) { auth_ = std::move(auth); }

 private:
  HttpResponse route(const HttpRequest& req, const Principal& who);
  HttpResponse postEvents(const HttpRequest& req);
  HttpResponse awsJson(const HttpRequest& req);
  HttpResponse putEvents(const HttpRequest& req);
  HttpResponse testEventPattern(const HttpRequest& req);
  HttpResponse stepFunctions(const HttpRequest& req, const std::string& op);
  HttpResponse reload(const HttpRequest& req, const Principal& who);
  HttpResponse release(const HttpRequest& req, const Principal& who, const std::string& id);
  HttpResponse suppressions(const HttpRequest& req, const Principal& who);
  HttpResponse approvals(const HttpRequest& req, const Principal& who);
  HttpResponse approvalLink(const HttpRequest& req, const std::string& id);
  static std::string actorOf(const HttpRequest& req, const Principal& who);
  HttpResponse closeBreaker(const HttpRequest& req, const Principal& who);

  engine::Engine& engine_;
  std::vector<std::function<std::string()>> extra_metrics_;
  ReloadHook reload_;
  std::unique_ptr<Authenticator> auth_;
};

}  // namespace riposte::server
