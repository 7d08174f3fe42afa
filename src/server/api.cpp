#include "server/api.h"

#include <algorithm>
#include <map>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "pattern/pattern.h"
#include "sources/ingest.h"

namespace riposte::server {

namespace {

HttpResponse fromError(const Error& e) {
  int status = 500;
  if (e.code == "NotFound") status = 404;
  if (e.code == "InvalidInput" || e.code == "InvalidJson") status = 400;
  if (e.code == "TooLarge") status = 413;
  if (e.code == "InvalidSuppression") status = 400;
  if (e.code == "Conflict" || e.code == "NotDeletable") status = 409;
  return HttpResponse::error(status, e.code, e.message);
}

// An AWS JSON 1.1 error: HTTP 400, body {"__type", "message"} and the error type header.
HttpResponse awsError(int status, const std::string& type, const std::string& message) {
  json::object o;
  o["__type"] = type;
  o["message"] = message;
  HttpResponse r = HttpResponse::json(status, json::serialize(o));
  r.content_type = "application/x-amz-json-1.1";
  r.headers.emplace_back("x-amzn-ErrorType", type);
  r.headers.emplace_back("x-amzn-RequestId", newUuid());
  return r;
}

// The region of a SigV4 credential scope: "Credential=AKID/20261123/us-east-1/events/…".
std::string regionFromAuthorization(const std::string& auth) {
  auto p = auth.find("Credential=");
  if (p == std::string::npos) return {};
  std::string cred = auth.substr(p + 11, auth.find_first_of(", ", p) - p - 11);
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= cred.size(); ++i) {
    if (i == cred.size() || cred[i] == '/') {
      parts.push_back(cred.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts.size() >= 5 ? parts[2] : std::string();
}

}  // namespace

Api::Api(engine::Engine& engine) : engine_(engine) {}

HttpResponse Api::handle(const HttpRequest& req) {
  const std::string& p = req.path;
  if (req.method == "POST" && p == "/" && !req.header("x-amz-target").empty()) {
    return awsJson(req);
  }
  if (req.method == "POST" && p == "/v1/events") return postEvents(req);
  if (req.method == "POST" && p == "/v1/reload") return reload();
  if (req.method == "GET" && p == "/healthz") return HttpResponse::json(200, R"({"status":"ok"})");
  if (req.method == "GET" && p == "/readyz") {
    auto r = engine_.store().ping();
    if (!r) return HttpResponse::error(503, "StoreUnavailable", r.error().str());
    return HttpResponse::json(200, R"({"status":"ready","store":"ok","config":"loaded"})");
  }
  if (req.method == "GET" && p == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = engine_.renderMetrics();
    for (const auto& f : extra_metrics_) r.body += f();
    return r;
  }
  if (req.method == "GET" && p == "/v1/incidents") {
    int limit = std::atoi(req.queryParam("limit", "100").c_str());
    int offset = std::atoi(req.queryParam("offset", "0").c_str());
    if (limit <= 0 || limit > 1000) limit = 100;
    if (offset < 0) offset = 0;
    auto r = engine_.listIncidents(limit, offset);
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  const std::string inc_prefix = "/v1/incidents/";
  if (req.method == "GET" && p.starts_with(inc_prefix) && p.size() > inc_prefix.size() &&
      p.find('/', inc_prefix.size()) == std::string::npos) {
    auto r = engine_.incident(p.substr(inc_prefix.size()));
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  if (req.method == "POST" && p.starts_with(inc_prefix) && p.ends_with("/release")) {
    std::string id = p.substr(inc_prefix.size(), p.size() - inc_prefix.size() - 8);
    auto r = engine_.release(id);
    if (!r) return fromError(r.error());
    bool ok = r->at("failed").as_array().empty();
    return HttpResponse::json(ok ? 200 : 502, json::serialize(*r));
  }
  const std::string ev_prefix = "/v1/events/";
  if (req.method == "GET" && p.starts_with(ev_prefix) && p.size() > ev_prefix.size() &&
      p.find('/', ev_prefix.size()) == std::string::npos) {
    auto r = engine_.event(p.substr(ev_prefix.size()));
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  if (p == "/v1/suppressions" || p.starts_with("/v1/suppressions/")) return suppressions(req);
  if (req.method == "GET" && p == "/v1/policy") {
    auto r = engine_.policyView();
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  if (req.method == "POST" && p == "/v1/breaker/close") return closeBreaker(req);
  const std::string exec_prefix = "/v1/executions/";
  if (req.method == "GET" && p.starts_with(exec_prefix) && p.size() > exec_prefix.size()) {
    auto r = engine_.execution(p.substr(exec_prefix.size()));
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  return HttpResponse::error(404, "NotFound", "no route for " + req.method + " " + p);
}

// {"by": "who", "reason": "why"}: both required, recorded in the audit log.
HttpResponse Api::closeBreaker(const HttpRequest& req) {
  auto body = parseJson(req.body, 8);
  if (!body || !body->is_object()) {
    return HttpResponse::error(
        400, "InvalidInput",
        "the body must be a JSON object {\"by\": \"who\", \"reason\": \"why\"}");
  }
  std::string by, reason;
  for (const auto& kv : body->as_object()) {
    if (kv.key() != "by" && kv.key() != "reason") {
      return HttpResponse::error(
          400, "InvalidInput",
          "unknown member '" + std::string(kv.key()) + "' (known: by, reason)");
    }
    if (!kv.value().is_string()) {
      return HttpResponse::error(400, "InvalidInput", std::string(kv.key()) + " must be a string");
    }
    (kv.key() == "by" ? by : reason) = std::string(kv.value().as_string());
  }
  auto r = engine_.closeBreaker(by, reason);
  if (!r) return fromError(r.error());
  logInfo("breaker close requested", {{"remote", req.remote}, {"by", by}, {"reason", reason}});
  return HttpResponse::json(r->at("closed").as_bool() ? 200 : 409, json::serialize(*r));
}

HttpResponse Api::postEvents(const HttpRequest& req) {
  auto parsed = sources::parseEventsBody(req.body, SystemClock::instance());
  if (!parsed) {
    engine_.metrics().inc("riposte_events_rejected_total", {{"reason", parsed.error().code}});
    logWarn("events rejected", {{"remote", req.remote}, {"error", parsed.error().str()}});
    return fromError(parsed.error());
  }
  auto stored = engine_.ingest(*parsed, "http");
  if (!stored) {
    logError("cannot store events", {{"error", stored.error().str()}});
    return HttpResponse::error(503, "StoreUnavailable", stored.error().str());
  }
  json::array entries;
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    json::object e;
    e["eventId"] = (*parsed)[i].id;
    e["status"] = (*stored)[i] ? "accepted" : "duplicate";
    entries.push_back(std::move(e));
  }
  json::object o;
  o["accepted"] = parsed->size();
  o["events"] = std::move(entries);
  return HttpResponse::json(202, json::serialize(o));
}

// Who asks, for the audit log: the X-Riposte-Actor header the CLI and scripts send, with the
// client's address (the API authenticates no user of its own yet).
std::string Api::actorOf(const HttpRequest& req) {
  std::string actor = req.header("x-riposte-actor");
  if (actor.size() > 256) actor.resize(256);
  return (actor.empty() ? std::string("api") : actor) + " via " + req.remote;
}

HttpResponse Api::suppressions(const HttpRequest& req) {
  const std::string prefix = "/v1/suppressions/";
  if (req.path == "/v1/suppressions") {
    if (req.method == "GET") {
      auto r = engine_.listSuppressions();
      if (!r) return fromError(r.error());
      return HttpResponse::json(200, json::serialize(*r));
    }
    if (req.method == "POST") {
      auto body = parseJson(req.body, 64);
      if (!body) return HttpResponse::error(400, "InvalidJson", body.error().message);
      auto r = engine_.createSuppression(*body, actorOf(req));
      if (!r) return fromError(r.error());
      return HttpResponse::json(201, json::serialize(*r));
    }
    return HttpResponse::error(405, "MethodNotAllowed", "GET or POST /v1/suppressions");
  }
  std::string name = req.path.substr(prefix.size());
  if (req.method != "DELETE" || name.empty() || name.find('/') != std::string::npos)
    return HttpResponse::error(405, "MethodNotAllowed", "DELETE /v1/suppressions/{name}");
  std::string reason = req.queryParam("reason");
  if (reason.empty() && !req.body.empty()) {
    auto body = parseJson(req.body, 8);
    if (!body || !body->is_object())
      return HttpResponse::error(400, "InvalidJson", "the body is {\"reason\": \"…\"} or empty");
    if (auto it = body->get_object().find("reason"); it != body->get_object().end()) {
      if (!it->value().is_string())
        return HttpResponse::error(400, "InvalidInput", "reason must be a string");
      reason = std::string(it->value().get_string());
    }
  }
  auto r = engine_.deleteSuppression(name, actorOf(req), reason);
  if (!r) return fromError(r.error());
  return HttpResponse::json(200, json::serialize(json::object{{"deleted", name}}));
}

HttpResponse Api::reload() {
  if (!reload_) {
    return HttpResponse::error(501, "NotImplemented",
                               "this riposte cannot reload its configuration");
  }
  ReloadReport r = reload_();
  json::object o;
  if (r.ok) {
    o["reloaded"] = true;
    o["running"] = std::move(r.running);
    o["restarted"] = std::move(r.restarted);
    return HttpResponse::json(200, json::serialize(o));
  }
  json::array problems;
  for (auto& p : r.problems) problems.push_back(json::string(p));
  o["error"] = "InvalidConfig";
  o["message"] = "the configuration was not reloaded (" + std::to_string(r.problems.size()) +
                 (r.problems.size() == 1 ? " problem" : " problems") +
                 "); the running configuration stays";
  o["problems"] = std::move(problems);
  o["running"] = std::move(r.running);
  return HttpResponse::json(422, json::serialize(o));
}

HttpResponse Api::awsJson(const HttpRequest& req) {
  std::string target = req.header("x-amz-target");
  if (target == "AWSEvents.PutEvents") return putEvents(req);
  if (target == "AWSEvents.TestEventPattern") return testEventPattern(req);
  if (target.starts_with("AWSStepFunctions.")) return stepFunctions(req, target.substr(17));
  return awsError(400, "UnknownOperationException",
                  "riposte does not implement " + target +
                      " (it serves AWSEvents.PutEvents, AWSEvents.TestEventPattern and "
                      "AWSStepFunctions.SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat)");
}

namespace {

// An error of the Step Functions API (AWS JSON 1.0): HTTP 400, {"__type", "message"}, the
// service's own error type prefix (the SDKs keep what follows '#').
HttpResponse sfnError(const std::string& type, const std::string& message) {
  HttpResponse r = awsError(400, "com.amazonaws.swf.service.v2.model#" + type, message);
  r.content_type = "application/x-amz-json-1.0";
  r.headers.clear();
  r.headers.emplace_back("x-amzn-ErrorType", type);
  r.headers.emplace_back("x-amzn-RequestId", newUuid());
  return r;
}

// The members of one SendTask* request: each a string, within the API reference's length
// constraints (characters; output in UTF-8 bytes), required ones present, no other member.
struct SfnMember {
  const char* name;
  bool required;
  std::size_t min_len, max_len;
};

}  // namespace

// AWSStepFunctions.SendTaskSuccess {taskToken, output} | SendTaskFailure {taskToken, error?,
// cause?} | SendTaskHeartbeat {taskToken}: 200 {} when the callback is accepted (it is stored:
// it applies exactly once, also after a crash). The request's SigV4 signature is not verified
// yet (riposte's own API authentication is issue 13): the task token, 256 random bits, is the
// bearer credential, as it is for any Step Functions caller holding it.
HttpResponse Api::stepFunctions(const HttpRequest& req, const std::string& op) {
  std::vector<SfnMember> members;
  if (op == "SendTaskSuccess") {
    members = {{"taskToken", true, 1, 2048}, {"output", true, 0, 262144}};
  } else if (op == "SendTaskFailure") {
    members = {{"taskToken", true, 1, 2048}, {"error", false, 0, 256}, {"cause", false, 0, 32768}};
  } else if (op == "SendTaskHeartbeat") {
    members = {{"taskToken", true, 1, 2048}};
  } else {
    return sfnError("UnknownOperationException",
                    "riposte serves AWSStepFunctions.SendTaskSuccess, SendTaskFailure and "
                    "SendTaskHeartbeat, not " +
                        op);
  }
  auto body = parseJson(req.body, 8);
  if (!body || !body->is_object())
    return sfnError("SerializationException", "the request body is not a JSON object");
  std::map<std::string, std::string> got;
  for (const auto& kv : body->get_object()) {
    const std::string key(kv.key());
    auto m = std::find_if(members.begin(), members.end(),
                          [&](const SfnMember& x) { return key == x.name; });
    if (m == members.end()) {
      return sfnError(
          "SerializationException",
          "unknown member '" + key + "' in " + op + " (the API reference names: " +
              [&] {
                std::string names;
                for (const auto& x : members)
                  names += (names.empty() ? "" : ", ") + std::string(x.name);
                return names;
              }() +
              ")");
    }
    if (kv.value().is_null()) continue;  // an SDK's absent member
    if (!kv.value().is_string())
      return sfnError("SerializationException", "member '" + key + "' must be a string");
    got[key] = std::string(kv.value().get_string());
  }
  for (const auto& m : members) {
    auto it = got.find(m.name);
    if (it == got.end()) {
      if (m.required) {
        return sfnError("ValidationException",
                        std::string("1 validation error detected: Value null at '") + m.name +
                            "' failed to satisfy constraint: Member must not be null");
      }
      continue;
    }
    // Characters for the strings; the output's limit is in UTF-8 bytes.
    std::size_t n = it->second.size();
    if (std::string_view(m.name) != "output") {
      n = 0;
      for (unsigned char c : it->second) n += (c & 0xC0) != 0x80;
    }
    if (n < m.min_len || n > m.max_len) {
      return sfnError("ValidationException",
                      std::string("1 validation error detected: Value at '") + m.name +
                          "' failed to satisfy constraint: Member must have length " +
                          (n < m.min_len ? "greater than or equal to " + std::to_string(m.min_len)
                                         : "less than or equal to " + std::to_string(m.max_len)));
    }
  }
  const std::string& token = got["taskToken"];
  Result<void> r;
  if (op == "SendTaskSuccess") {
    r = engine_.sendTaskSuccess(token, got["output"]);
  } else if (op == "SendTaskFailure") {
    auto opt = [&](const char* k) {
      auto it = got.find(k);
      return it == got.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    r = engine_.sendTaskFailure(token, opt("error"), opt("cause"));
  } else {
    r = engine_.sendTaskHeartbeat(token);
  }
  if (!r) {
    const std::string& code = r.error().code;
    if (code == "InvalidToken" || code == "InvalidOutput" || code == "TaskDoesNotExist" ||
        code == "TaskTimedOut") {
      return sfnError(code, r.error().message);
    }
    logError("task callback not stored", {{"operation", op}, {"error", r.error().str()}});
    HttpResponse e =
        sfnError("ServiceUnavailable", "the callback could not be stored: " + r.error().message);
    e.status = 503;
    return e;
  }
  HttpResponse ok = HttpResponse::json(200, "{}");
  ok.content_type = "application/x-amz-json-1.0";
  ok.headers.emplace_back("x-amzn-RequestId", newUuid());
  return ok;
}

HttpResponse Api::putEvents(const HttpRequest& req) {
  auto cfg = engine_.config();
  std::string region = regionFromAuthorization(req.header("authorization"));
  if (region.empty()) region = cfg->default_region;
  auto parsed =
      sources::parsePutEvents(req.body, SystemClock::instance(), cfg->default_account, region);
  if (!parsed) {
    engine_.metrics().inc("riposte_events_rejected_total", {{"reason", parsed.error().code}});
    return awsError(400, parsed.error().code, parsed.error().message);
  }
  std::vector<sources::NormalizedEvent> good;
  for (const auto& e : *parsed)
    if (e.event) good.push_back(*e.event);
  if (!good.empty()) {
    auto stored = engine_.ingest(good, "putevents");
    if (!stored) {
      // Nothing was stored: every entry is a retryable failure, as EventBridge reports it.
      json::array entries;
      for (std::size_t i = 0; i < parsed->size(); ++i) {
        json::object e;
        e["ErrorCode"] = "InternalFailure";
        e["ErrorMessage"] = "The event could not be stored: " + stored.error().message;
        entries.push_back(std::move(e));
      }
      json::object o;
      o["FailedEntryCount"] = parsed->size();
      o["Entries"] = std::move(entries);
      HttpResponse r = HttpResponse::json(200, json::serialize(o));
      r.content_type = "application/x-amz-json-1.1";
      return r;
    }
  }
  json::array entries;
  int failed = 0;
  for (const auto& e : *parsed) {
    json::object o;
    if (e.event) {
      o["EventId"] = e.event->id;
    } else {
      ++failed;
      o["ErrorCode"] = e.error_code;
      o["ErrorMessage"] = e.error_message;
    }
    entries.push_back(std::move(o));
  }
  if (failed) engine_.metrics().inc("riposte_events_rejected_total", {{"reason", "entry"}}, failed);
  json::object o;
  o["FailedEntryCount"] = failed;
  o["Entries"] = std::move(entries);
  HttpResponse r = HttpResponse::json(200, json::serialize(o));
  r.content_type = "application/x-amz-json-1.1";
  r.headers.emplace_back("x-amzn-RequestId", newUuid());
  return r;
}

HttpResponse Api::testEventPattern(const HttpRequest& req) {
  auto body = parseJson(req.body, 64);
  if (!body || !body->is_object())
    return awsError(400, "SerializationException", "request body is not a JSON object");
  const auto& o = body->get_object();
  auto pat = o.find("EventPattern");
  auto ev = o.find("Event");
  if (pat == o.end() || !pat->value().is_string() || ev == o.end() || !ev->value().is_string()) {
    return awsError(400, "ValidationException",
                    "1 validation error detected: EventPattern and Event are required strings");
  }
  std::string pattern(pat->value().get_string());
  std::string event(ev->value().get_string());
  if (auto v = pattern::validatePattern(pattern); !v) {
    return awsError(400, "InvalidEventPatternException",
                    "Event pattern is not valid. Reason: " + v.error().message);
  }
  auto evj = parseJson(event, 64);
  bool valid_event = evj && evj->is_object();
  if (valid_event) {
    for (const char* k : {"id", "account", "source", "time", "region", "detail-type"}) {
      if (!evj->get_object().contains(k)) valid_event = false;
    }
  }
  if (!valid_event) return awsError(400, "ValidationException", "Parameter Event is not valid.");
  auto m = pattern::matches(pattern, event);
  if (!m) return awsError(400, "ValidationException", m.error().message);
  json::object r;
  r["Result"] = *m;
  HttpResponse res = HttpResponse::json(200, json::serialize(r));
  res.content_type = "application/x-amz-json-1.1";
  return res;
}

}  // namespace riposte::server
