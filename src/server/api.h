#pragma once
// riposte's HTTP API (README "API"), on top of the engine:
//   POST /v1/events                     one event, an array, or a bare GuardDuty or ASFF finding
//   POST /  X-Amz-Target: AWSEvents.PutEvents | AWSEvents.TestEventPattern   (JSON 1.1)
//   GET  /v1/incidents[?limit=&offset=]  GET /v1/incidents/{id}  GET /v1/executions/{id}
//   GET  /metrics  GET /healthz  GET /readyz

#include <functional>
#include <vector>

#include "engine/engine.h"
#include "server/http_server.h"

namespace riposte::server {

class Api {
 public:
  explicit Api(engine::Engine& engine);
  HttpResponse handle(const HttpRequest& req);
  // Adds more Prometheus text to GET /metrics (for example the sinks' backlog).
  void addMetrics(std::function<std::string()> render) {
    extra_metrics_.push_back(std::move(render));
  }

 private:
  HttpResponse postEvents(const HttpRequest& req);
  HttpResponse awsJson(const HttpRequest& req);
  HttpResponse putEvents(const HttpRequest& req);
  HttpResponse testEventPattern(const HttpRequest& req);

  engine::Engine& engine_;
  std::vector<std::function<std::string()>> extra_metrics_;
};

}  // namespace riposte::server
