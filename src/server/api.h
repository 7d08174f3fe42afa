#pragma once
// riposte's HTTP API (README "API"), on top of the engine:
//   POST /v1/events                     one event, an array, or a bare GuardDuty finding
//   POST /  X-Amz-Target: AWSEvents.PutEvents | AWSEvents.TestEventPattern   (JSON 1.1)
//   GET  /v1/incidents[?limit=&offset=]  GET /v1/incidents/{id}  GET /v1/executions/{id}
//   GET  /metrics  GET /healthz  GET /readyz

#include "engine/engine.h"
#include "server/http_server.h"

namespace riposte::server {

class Api {
 public:
  explicit Api(engine::Engine& engine);
  HttpResponse handle(const HttpRequest& req);

 private:
  HttpResponse postEvents(const HttpRequest& req);
  HttpResponse awsJson(const HttpRequest& req);
  HttpResponse putEvents(const HttpRequest& req);
  HttpResponse testEventPattern(const HttpRequest& req);

  engine::Engine& engine_;
};

}  // namespace riposte::server
