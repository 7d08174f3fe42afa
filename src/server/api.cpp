#include "server/api.h"

#include <algorithm>
#include <map>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/text.h"
#include "pattern/pattern.h"
#include "policy/approval_link.h"
#include "sources/ingest.h"

namespace riposte::server {

namespace {

// --- the pages of signed approval links (GET/POST /v1/approvals/{id}/link) ---

// Text made inert in HTML (element content and quoted attribute values).
std::string html(std::string_view s) {
  return text::htmlEscape(s);
}

// A page: every value in `body` escaped by its builder; no script, nothing loaded from
// elsewhere, never framed, never cached, no Referer (it holds the token) sent on.
HttpResponse page(int status, const std::string& title, const std::string& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex, nofollow\"><title>" +
      html(title) +
      " · riposte</title><style>body{font-family:system-ui,sans-serif;max-width:44em;"
      "margin:2em auto;padding:0 1em;color:#222}th{text-align:left;vertical-align:top;"
      "padding-right:1em;white-space:nowrap}td{white-space:pre-wrap;word-break:break-word}"
      "textarea{width:100%;min-height:4em}button{font-size:1.1em;padding:.4em 1.2em;"
      "margin-top:1em}.error{color:#a00}</style></head><body><h1>" +
      html(title) + "</h1>\n" + body + "</body></html>\n";
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

int linkStatus(const std::string& code) {
  if (code == policy::kLinkForged || code == policy::kLinkMismatch || code == "NotAnApprover")
    return 403;
  if (code == policy::kLinkExpired) return 410;
  if (code == policy::kLinkUsed || code == "AlreadyVoted" || code == "ApprovalDecided") return 409;
  if (code == "ReasonRequired" || code == "InvalidInput") return 400;
  if (code == "NotFound" || code == "LinksNotConfigured") return 404;
  return 500;
}

HttpResponse linkError(const Error& e) {
  const int status = linkStatus(e.code);
  std::string title = "This link cannot be used";
  if (e.code == policy::kLinkExpired) title = "This link has expired";
  if (e.code == policy::kLinkUsed) title = "This link was used already";
  if (e.code == "ApprovalDecided") title = "This approval is decided already";
  if (e.code == "AlreadyVoted") title = "You voted on this approval already";
  if (status == 500) title = "Something went wrong";
  return page(status, title,
              "<p class=\"error\">" + html(e.message) +
                  "</p>\n<p>Nothing was decided with this request.</p>\n");
}

std::string member(const json::value& v, std::string_view key) {
  const json::value* m = v.is_object() ? v.get_object().if_contains(key) : nullptr;
  if (!m) return "";
  if (m->is_string()) return std::string(m->get_string());
  return json::serialize(*m);
}

std::string names(const json::value& v, std::string_view key) {
  std::string out;
  const json::value* m = v.is_object() ? v.get_object().if_contains(key) : nullptr;
  if (m && m->is_array())
    for (const auto& e : m->get_array())
      out += (out.empty() ? "" : ", ") + (e.is_string() ? std::string(e.get_string()) : "");
  return out.empty() ? "none yet" : out;
}

// The request a link is for, as a table (every value escaped).
std::string approvalTable(const json::value& a) {
  std::string rows;
  auto row = [&](const char* name, const std::string& value) {
    rows += "<tr><th>" + html(name) + "</th><td>" + html(value) + "</td></tr>\n";
  };
  row("What is asked", member(a, "summary").empty() ? "(no summary)" : member(a, "summary"));
  row("Approval", member(a, "approvalId"));
  row("Asked by", "incident " + member(a, "incidentId") + ", execution " +
                      member(a, "executionId") + ", state " + member(a, "state"));
  row("Status", member(a, "status"));
  row("Deadline", member(a, "deadline") + " (then: " + member(a, "onTimeout") + ")");
  row("Quorum", member(a, "quorum") + " of " + names(a, "approvers"));
  row("Approved by", names(a, "approvedBy"));
  return "<table>\n" + rows + "</table>\n";
}

// The confirmation page of a link (GET, or a POST refused for want of a reason).
HttpResponse confirmation(int status, const json::value& link, const std::string& token,
                          const std::string& note) {
  const json::value& a = link.at("approval");
  const std::string approver = member(link, "approver"), decision = member(link, "decision");
  const bool deny = decision == "deny";
  std::string body = approvalTable(a);
  body += "<p>This link lets <strong>" + html(approver) + "</strong> " +
          (deny ? "deny" : "approve") + " it once; it expires " + html(member(link, "expires")) +
          ". Opening it decided nothing.</p>\n";
  if (!note.empty()) body += "<p class=\"error\">" + html(note) + "</p>\n";
  if (link.at("used").as_bool()) {
    status = status == 200 ? 409 : status;
    body += "<p class=\"error\">This link was used already.</p>\n";
  } else if (member(a, "status") != "pending") {
    status = status == 200 ? 409 : status;
    body += "<p class=\"error\">The approval is " + html(member(a, "status")) +
            " already: there is nothing left to decide.</p>\n";
  } else {
    body += "<form method=\"post\" action=\"link\">\n<input type=\"hidden\" name=\"t\" value=\"" +
            html(token) + "\">\n<label for=\"reason\">Reason" +
            std::string(deny ? " (required to deny)" : " (optional)") +
            "</label>\n<textarea id=\"reason\" name=\"reason\" maxlength=\"4096\"" +
            (deny ? " required" : "") + "></textarea>\n<button type=\"submit\">" +
            (deny ? "Deny" : "Approve") + " as " + html(approver) + "</button>\n</form>\n";
  }
  return page(status,
              std::string(deny ? "Deny" : "Approve") + " approval " + member(a, "approvalId") + "?",
              body);
}

// application/x-www-form-urlencoded (the WHATWG URL standard): '&'-separated name=value, '+' a
// space, %XX a byte. nullopt when malformed (a bad escape) or a name is repeated.
std::optional<std::map<std::string, std::string>> formFields(std::string_view body) {
  auto decode = [](std::string_view s) -> std::optional<std::string> {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out += ' ';
      } else if (s[i] == '%') {
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = text::hexDigit(s[i + 1]), lo = text::hexDigit(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      auto name = decode(pair.substr(0, eq));
      auto value = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!name || !value || !out.emplace(*name, *value).second) return std::nullopt;
    }
    start = end + 1;
  }
  return out;
}

HttpResponse fromError(const Error& e) {
  int status = 500;
  if (e.code == "NotFound") status = 404;
  if (e.code == "InvalidInput" || e.code == "InvalidJson") status = 400;
  if (e.code == "TooLarge") status = 413;
  if (e.code == "InvalidSuppression") status = 400;
  if (e.code == "Conflict" || e.code == "NotDeletable") status = 409;
  if (e.code == "ApprovalDecided" || e.code == "AlreadyVoted") status = 409;
  if (e.code == "NotAnApprover") status = 403;
  if (e.code == "ReasonRequired" || e.code == "InvalidDecision") status = 400;
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
  if (!auth_) return route(req, Principal{"", "none"});
  auto who = auth_->check(req);
  if (auto* refused = std::get_if<HttpResponse>(&who)) return std::move(*refused);
  return route(req, std::get<Principal>(who));
}

HttpResponse Api::route(const HttpRequest& req, const Principal& who) {
  const std::string& p = req.path;
  if (req.method == "POST" && p == "/" && !req.header("x-amz-target").empty()) {
    return awsJson(req);
  }
  if (req.method == "POST" && p == "/v1/events") return postEvents(req);
  if (req.method == "POST" && p == "/v1/reload") return reload(req, who);
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
    if (auth_) r.body += auth_->renderMetrics();
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
  if (req.method == "POST" && p.starts_with(inc_prefix) && p.ends_with("/release"))
    return release(req, who, p.substr(inc_prefix.size(), p.size() - inc_prefix.size() - 8));
  const std::string ev_prefix = "/v1/events/";
  if (req.method == "GET" && p.starts_with(ev_prefix) && p.size() > ev_prefix.size() &&
      p.find('/', ev_prefix.size()) == std::string::npos) {
    auto r = engine_.event(p.substr(ev_prefix.size()));
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  if (p == "/v1/suppressions" || p.starts_with("/v1/suppressions/")) return suppressions(req, who);
  if (p == "/v1/approvals" || p.starts_with("/v1/approvals/")) return approvals(req, who);
  if (req.method == "GET" && p == "/v1/policy") {
    auto r = engine_.policyView();
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  if (req.method == "POST" && p == "/v1/breaker/close") return closeBreaker(req, who);
  const std::string exec_prefix = "/v1/executions/";
  if (req.method == "GET" && p.starts_with(exec_prefix) && p.size() > exec_prefix.size()) {
    auto r = engine_.execution(p.substr(exec_prefix.size()));
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  return HttpResponse::error(404, "NotFound", "no route for " + req.method + " " + p);
}

// POST /v1/incidents/{id}/release [{"reason": "why"}]: undoes what riposte changed.
HttpResponse Api::release(const HttpRequest& req, const Principal& who, const std::string& id) {
  std::string reason;
  if (!req.body.empty()) {
    auto body = parseJson(req.body, 8);
    if (!body || !body->is_object())
      return HttpResponse::error(400, "InvalidInput",
                                 "the body must be empty or a JSON object {\"reason\": \"why\"}");
    for (const auto& kv : body->as_object()) {
      if (kv.key() != "reason" || !kv.value().is_string())
        return HttpResponse::error(400, "InvalidInput",
                                   "the body's only member is \"reason\", a string");
      reason = std::string(kv.value().as_string());
    }
  }
  auto r = engine_.release(id, actorOf(req, who), reason);
  if (!r) return fromError(r.error());
  bool ok = r->at("failed").as_array().empty();
  return HttpResponse::json(ok ? 200 : 502, json::serialize(*r));
}

// {"by": "who", "reason": "why"}: both required, recorded in the audit log. With a credential,
// `by` is its subject (a different one given is refused).
HttpResponse Api::closeBreaker(const HttpRequest& req, const Principal& who) {
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
  if (!who.subject.empty()) {
    if (!by.empty() && by != who.subject)
      return HttpResponse::error(403, "Forbidden",
                                 "you are authenticated as " + who.subject + ", not " + by);
    by = who.subject;
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

// Who asks, for the audit log, with the client's address: the credential's subject; with
// `auth: none`, the X-Riposte-Actor header the scripts send (or "api").
std::string Api::actorOf(const HttpRequest& req, const Principal& who) {
  if (!who.subject.empty()) return who.actor(req);
  std::string actor = req.header("x-riposte-actor");
  if (actor.size() > 256) actor.resize(256);
  return (actor.empty() ? std::string("api") : actor) + " via " + req.remote;
}

HttpResponse Api::suppressions(const HttpRequest& req, const Principal& who) {
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
      auto r = engine_.createSuppression(*body, actorOf(req, who));
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
  auto r = engine_.deleteSuppression(name, actorOf(req, who), reason);
  if (!r) return fromError(r.error());
  return HttpResponse::json(200, json::serialize(json::object{{"deleted", name}}));
}

// GET /v1/approvals[?status=]; GET /v1/approvals/{id}; POST /v1/approvals/{id} {"decision":
// "approve"|"deny", "reason", "approver"}: the approver is the X-Riposte-Actor header's, else
// the body's (one of them is required; both must agree when both are given).
HttpResponse Api::approvals(const HttpRequest& req, const Principal& who) {
  const std::string prefix = "/v1/approvals/";
  if (req.path == "/v1/approvals") {
    if (req.method != "GET")
      return HttpResponse::error(405, "MethodNotAllowed", "GET /v1/approvals");
    auto r = engine_.listApprovals(req.queryParam("status"));
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  std::string id = req.path.substr(prefix.size());
  if (id.ends_with("/link") && id.size() > 5 && id.find('/') == id.size() - 5)
    return approvalLink(req, id.substr(0, id.size() - 5));
  if (id.empty() || id.find('/') != std::string::npos)
    return HttpResponse::error(404, "NotFound", "no route for " + req.method + " " + req.path);
  if (req.method == "GET") {
    auto r = engine_.approval(id);
    if (!r) return fromError(r.error());
    return HttpResponse::json(200, json::serialize(*r));
  }
  if (req.method != "POST")
    return HttpResponse::error(405, "MethodNotAllowed", "GET or POST /v1/approvals/{id}");
  auto body = parseJson(req.body, 8);
  if (!body || !body->is_object())
    return HttpResponse::error(400, "InvalidInput",
                               "the body must be a JSON object {\"decision\": \"approve\" | "
                               "\"deny\", \"reason\": \"why\", \"approver\": \"who\"}");
  auto text = [&](const char* k) -> std::optional<std::string> {
    const json::value* v = body->get_object().if_contains(k);
    if (!v) return std::string();
    if (!v->is_string()) return std::nullopt;
    return std::string(v->get_string());
  };
  auto decision = text("decision"), reason = text("reason"), named = text("approver");
  if (!decision || !reason || !named)
    return HttpResponse::error(400, "InvalidInput", "decision, reason and approver are strings");
  for (const auto& [k, v] : body->get_object()) {
    (void)v;
    if (k != "decision" && k != "reason" && k != "approver")
      return HttpResponse::error(
          400, "InvalidInput",
          "unknown member '" + std::string(k) + "' (decision, reason, approver)");
  }
  // With a credential the approver is its subject: a different name given is refused.
  if (!who.subject.empty()) {
    for (const std::string& claimed : {req.header("x-riposte-actor"), *named}) {
      if (!claimed.empty() && claimed != who.subject)
        return HttpResponse::error(403, "Forbidden",
                                   "you are authenticated as " + who.subject + ", not " + claimed);
    }
  }
  std::string approver = who.subject.empty() ? req.header("x-riposte-actor") : who.subject;
  if (!approver.empty() && !named->empty() && approver != *named)
    return HttpResponse::error(400, "InvalidInput",
                               "the approver in the body differs from X-Riposte-Actor");
  if (approver.empty()) approver = *named;
  if (approver.empty())
    return HttpResponse::error(400, "InvalidInput",
                               "who decides is required: X-Riposte-Actor or \"approver\"");
  auto r = engine_.decideApproval(id, *decision, *reason, approver);
  if (!r) return fromError(r.error());
  return HttpResponse::json(200, json::serialize(*r));
}

// GET /v1/approvals/{id}/link?t=TOKEN: the confirmation page (decides nothing: mail and chat
// link scanners fetch it). POST /v1/approvals/{id}/link, form t=TOKEN&reason=…: the link's vote
// as its approver, and the result page. The token is the credential (policy/approval_link.h).
HttpResponse Api::approvalLink(const HttpRequest& req, const std::string& id) {
  if (req.method == "GET") {
    const std::string token = req.queryParam("t");
    auto r = engine_.approvalLink(id, token);
    if (!r) return linkError(r.error());
    return confirmation(200, *r, token, "");
  }
  if (req.method != "POST") {
    HttpResponse r =
        page(405, "Method not allowed",
             "<p>Open the link (GET) to see the approval; its form decides (POST).</p>\n");
    r.headers.emplace_back("Allow", "GET, POST");
    return r;
  }
  std::string type = req.header("content-type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (type != "application/x-www-form-urlencoded")
    return page(415, "Unsupported form",
                "<p class=\"error\">The form is sent as application/x-www-form-urlencoded.</p>\n");
  auto form = formFields(req.body);
  if (!form)
    return page(400, "Malformed form",
                "<p class=\"error\">The form could not be read (a bad escape or a field named "
                "twice). Nothing was decided.</p>\n");
  for (const auto& [k, v] : *form) {
    (void)v;
    if (k != "t" && k != "reason")
      return page(400, "Malformed form",
                  "<p class=\"error\">Unknown field '" + html(k) +
                      "' (the form has t and reason). Nothing was decided.</p>\n");
  }
  const std::string token = (*form)["t"];
  const std::string reason = (*form)["reason"];
  auto r = engine_.decideApprovalByLink(id, token, reason);
  if (!r) {
    if (r.error().code == "ReasonRequired") {
      // The form again, saying what it lacks.
      if (auto l = engine_.approvalLink(id, token))
        return confirmation(400, *l, token, "A deny needs a reason: nothing was decided.");
    }
    return linkError(r.error());
  }
  std::string approver, decision;
  if (auto l = engine_.approvalLink(id, token)) {
    approver = member(*l, "approver");
    decision = member(*l, "decision");
  }
  logInfo(
      "approval link used",
      {{"approval", id}, {"approver", approver}, {"decision", decision}, {"remote", req.remote}});
  const std::string status = member(*r, "status");
  std::string body = "<p>" + html(approver) + " " + (decision == "deny" ? "denied" : "approved") +
                     " approval " + html(id) + ". It is now <strong>" + html(status) + "</strong>" +
                     (status == "pending" ? " (" + html(names(*r, "approvedBy")) + " of quorum " +
                                                html(member(*r, "quorum")) + ")"
                                          : std::string()) +
                     ".</p>\n" + approvalTable(*r);
  return page(200, "Recorded", body);
}

HttpResponse Api::reload(const HttpRequest& req, const Principal& who) {
  logInfo("configuration reload requested", {{"by", actorOf(req, who)}, {"via", who.via}});
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
