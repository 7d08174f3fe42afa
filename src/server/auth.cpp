#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "aws/sigv4.h"
#include "config/document.h"
#include "core/digest.h"
#include "core/log.h"
#include "core/text.h"
#include "engine/config.h"
#include "policy/approval_link.h"

namespace riposte::server {

namespace {

constexpr int kFailuresPerWindow = 10;
constexpr int64_t kFailureWindowMs = 60'000;

std::vector<Scope> scopesOf(const json::value* v) {
  std::vector<Scope> out;
  if (v && v->is_array()) {
    for (const auto& s : v->get_array()) {
      if (!s.is_string()) continue;
      if (auto sc = scopeFromName(s.get_string())) out.push_back(*sc);
    }
  }
  return out;
}

std::string str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The tokens and access keys of a checked `api` object or credentials file.
Result<void> addCredentials(AuthSettings& s, const json::object& o, const EnvLookup& env,
                            const std::string& where) {
  if (const json::value* ts = o.if_contains("tokens"); ts && ts->is_array()) {
    for (const auto& t : ts->get_array()) {
      if (!t.is_object()) continue;
      const auto& to = t.get_object();
      s.tokens.push_back({str(to, "subject"), text::asciiLower(str(to, "sha256")),
                          scopesOf(to.if_contains("scopes"))});
    }
  }
  if (const json::value* ks = o.if_contains("access_keys"); ks && ks->is_array()) {
    for (const auto& k : ks->get_array()) {
      if (!k.is_object()) continue;
      const auto& ko = k.get_object();
      const std::string var = str(ko, "secret_env");
      auto secret = env(var);
      if (!secret || secret->empty()) {
        return fail("InvalidConfig", where + ": access key " + str(ko, "access_key_id") +
                                         ": the environment variable " + var +
                                         " (its secret) is not set");
      }
      s.access_keys.push_back({str(ko, "access_key_id"), *secret, str(ko, "subject"),
                               scopesOf(ko.if_contains("scopes"))});
    }
  }
  return {};
}

bool hasScope(const std::vector<Scope>& have, Scope want) {
  return std::find(have.begin(), have.end(), want) != have.end();
}

// The client's address without its port: "127.0.0.1:5123" → "127.0.0.1", "[::1]:80" → "::1".
std::string clientOf(const std::string& remote) {
  std::string r = remote;
  if (auto c = r.rfind(':'); c != std::string::npos) r = r.substr(0, c);
  if (r.size() > 1 && r.front() == '[') r = r.substr(1, r.size() - 2);
  return r;
}

bool awsEndpoint(const HttpRequest& req) {
  return req.path == "/" && !req.header("x-amz-target").empty();
}

std::string counterText(const std::string& name, const std::string& help,
                        const std::map<std::string, int64_t>& by_reason) {
  std::string out = "# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n";
  for (const auto& [reason, n] : by_reason)
    out += name + "{reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  return out;
}

}  // namespace

std::string_view scopeName(Scope s) {
  switch (s) {
    case Scope::kIngest:
      return "ingest";
    case Scope::kRead:
      return "read";
    case Scope::kRespond:
      return "respond";
    case Scope::kAdmin:
      return "admin";
  }
  return "";
}

std::optional<Scope> scopeFromName(std::string_view name) {
  for (Scope s : kScopes)
    if (scopeName(s) == name) return s;
  return std::nullopt;
}

Result<AuthSettings> authSettings(const json::object& api, const std::string& default_region,
                                  const EnvLookup& env) {
  AuthSettings s;
  s.none = str(api, "auth") == "none";
  if (auto r = addCredentials(s, api, env, "riposte.yaml api"); !r) return fail(r.error());
  if (const json::value* hs = api.if_contains("hosts"); hs && hs->is_array())
    for (const auto& h : hs->get_array())
      if (h.is_string()) s.hosts.push_back(text::asciiLower(h.get_string()));
  if (const json::value* rs = api.if_contains("regions"); rs && rs->is_array())
    for (const auto& r : rs->get_array())
      if (r.is_string()) s.regions.emplace_back(r.get_string());
  if (s.regions.empty()) s.regions.push_back(default_region);
  return s;
}

Result<void> addCredentialsFile(AuthSettings& s, const std::string& path, const EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("InvalidConfig", "cannot read the credentials file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<config::Located> problems;
  auto doc = config::readYaml(text, path, problems);
  if (doc) {
    std::vector<config::Problem> found;
    config::check(engine::apiCredentialsSchema(), doc->value, doc->root, "", found);
    for (const auto& p : found) problems.push_back(doc->locate(p));
    doc->unsetProblems(problems);
  }
  if (!problems.empty() || !doc) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "\n") + p.str();
    return fail("InvalidConfig", all.empty() ? path + ": not YAML" : all);
  }
  if (!doc->value.is_object()) return fail("InvalidConfig", path + ": must be a mapping");
  return addCredentials(s, doc->value.get_object(), env, path);
}

Result<void> checkListen(const AuthSettings& s, const std::string& host) {
  if (!s.none) return {};
  const std::string h = text::asciiLower(host);
  const bool loopback = h == "localhost" || h == "::1" || h == "[::1]" || h.starts_with("127.");
  if (loopback) return {};
  return fail("InsecureListen",
              "api.auth is none, so anyone who reaches " + host +
                  " could drive riposte: `none` is allowed on a loopback address only "
                  "(127.0.0.1, ::1, localhost); configure api.tokens instead");
}

Result<NewToken> newToken(const std::string& subject, const std::vector<Scope>& scopes) {
  if (subject.empty()) return fail("InvalidInput", "--subject is required");
  for (unsigned char c : subject) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != '@')
      return fail("InvalidInput", "a subject is letters, digits and - _ . @");
  }
  if (scopes.empty()) return fail("InvalidInput", "at least one --scope is required");
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return fail("RandomFailed", "no random bytes");
  NewToken t;
  t.token = "rpt_" + policy::base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), 32));
  t.sha256 = sha256Hex(t.token);
  std::string list;
  for (Scope s : scopes) list += (list.empty() ? "" : ", ") + std::string(scopeName(s));
  t.yaml = "- {subject: " + subject + ", sha256: " + t.sha256 + ", scopes: [" + list + "]}";
  return t;
}

std::string Principal::actor(const HttpRequest& req) const {
  return (subject.empty() ? std::string("api") : subject) + " via " + req.remote;
}

std::optional<Scope> requiredScope(const HttpRequest& req) {
  const std::string& p = req.path;
  const std::string& m = req.method;
  if (m == "GET" && (p == "/healthz" || p == "/readyz")) return std::nullopt;
  if (p.starts_with("/v1/approvals/") && p.ends_with("/link")) return std::nullopt;
  if (awsEndpoint(req)) {
    const std::string target = req.header("x-amz-target");
    if (target == "AWSEvents.PutEvents") return Scope::kIngest;
    if (target == "AWSEvents.TestEventPattern") return Scope::kRead;
    if (target.starts_with("AWSStepFunctions.")) return Scope::kRespond;
    return Scope::kAdmin;  // nothing else is served; the route answers what it is
  }
  if (m == "POST" && p == "/v1/events") return Scope::kIngest;
  if (m == "POST" && p == "/v1/reload") return Scope::kAdmin;
  if (m == "POST" && p == "/v1/breaker/close") return Scope::kAdmin;
  if (p == "/v1/suppressions" || p.starts_with("/v1/suppressions/"))
    return m == "GET" ? Scope::kRead : Scope::kAdmin;
  if (m == "POST" && p.starts_with("/v1/incidents/") && p.ends_with("/release"))
    return Scope::kRespond;
  if (m == "POST" && p.starts_with("/v1/approvals/")) return Scope::kRespond;
  if (m == "GET") return Scope::kRead;
  return Scope::kAdmin;  // any other change
}

Authenticator::Authenticator(AuthSettings settings, std::string listen_host, uint16_t port,
                             const Clock& clock)
    : settings_(std::move(settings)), listen_host_(std::move(listen_host)), clock_(clock) {
  setPort(port);
}

void Authenticator::setPort(uint16_t port) {
  std::vector<std::string> hosts;
  const std::string p = ":" + std::to_string(port);
  std::string h = text::asciiLower(listen_host_);
  if (h.find(':') != std::string::npos && !h.starts_with("[")) h = "[" + h + "]";
  for (const std::string& name :
       {h, std::string("localhost"), std::string("127.0.0.1"), std::string("[::1]")}) {
    hosts.push_back(name + p);
    if (port == 80) hosts.push_back(name);
  }
  for (const auto& name : settings_.hosts) {
    hosts.push_back(name);
    if (name.find(':') == std::string::npos || name.ends_with("]")) hosts.push_back(name + p);
  }
  std::lock_guard lock(mu_);
  hosts_ = std::move(hosts);
}

bool Authenticator::limited(const std::string& client, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = failures_.find(client);
  if (it == failures_.end()) return false;
  if (now_ms - it->second.window_start_ms >= kFailureWindowMs) {
    failures_.erase(it);
    return false;
  }
  return it->second.count >= kFailuresPerWindow;
}

HttpResponse Authenticator::refused(const HttpRequest& req, int status, const std::string& reason,
                                    const std::string& code, const std::string& message, bool aws) {
  const int64_t now = clock_.nowMillis();
  {
    std::lock_guard lock(mu_);
    const bool credential =
        reason == "missing" || reason == "invalid" || reason == "sigv4" || reason == "scope";
    if (credential) {
      ++auth_failures_[reason];
      if (reason == "invalid" || reason == "sigv4") {  // a guess: counted toward the limit
        auto& f = failures_[clientOf(req.remote)];
        if (now - f.window_start_ms >= kFailureWindowMs) f = {now, 0};
        ++f.count;
      }
    } else {
      ++refusals_[reason];
    }
  }
  logWarn("api request refused", {{"remote", req.remote},
                                  {"method", req.method},
                                  {"path", req.path},
                                  {"status", std::to_string(status)},
                                  {"reason", reason}});
  HttpResponse r;
  if (aws) {
    json::object o{{"__type", code}, {"message", message}};
    r = HttpResponse::json(status, json::serialize(o));
    r.content_type = "application/x-amz-json-1.1";
    r.headers.emplace_back("x-amzn-ErrorType", code);
  } else {
    r = HttpResponse::error(status, code, message);
  }
  if (status == 401 && !aws) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"riposte\"");
  return r;
}

std::optional<HttpResponse> Authenticator::browserChecks(const HttpRequest& req) {
  const bool aws = awsEndpoint(req);
  const std::string host = text::asciiLower(req.header("host"));
  std::vector<std::string> hosts;
  {
    std::lock_guard lock(mu_);
    hosts = hosts_;
  }
  if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
    return refused(req, 421, "host", "MisdirectedRequest",
                   "Host '" + host.substr(0, 200) +
                       "' is not this riposte's (its listen address, localhost, or api.hosts)",
                   aws);
  }
  const bool changes = req.method == "POST" || req.method == "DELETE" || req.method == "PUT" ||
                       req.method == "PATCH";
  if (!changes) return std::nullopt;
  const std::string origin = text::asciiLower(req.header("origin"));
  if (!origin.empty()) {
    bool ours = false;
    for (const auto& h : hosts) ours = ours || origin == "http://" + h || origin == "https://" + h;
    if (!ours) {
      return refused(req, 403, "origin", "CrossOriginRequest",
                     "a request from another site (Origin " + origin.substr(0, 200) +
                         ") may not change anything",
                     aws);
    }
  }
  std::string type = text::asciiLower(req.header("content-type"));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  const bool link = req.path.starts_with("/v1/approvals/") && req.path.ends_with("/link");
  const bool ok = aws ? type == "application/x-amz-json-1.1" ||
                            type == "application/x-amz-json-1.0" || type == "application/json"
                  : link ? type == "application/x-www-form-urlencoded"
                  : req.method == "DELETE" && req.body.empty() ? true
                                                               : type == "application/json";
  if (!ok) {
    return refused(
        req, 415, "content_type", "UnsupportedMediaType",
        "a request that changes something must be sent as " +
            std::string(link ? "application/x-www-form-urlencoded" : "application/json") +
            " (got '" + type.substr(0, 100) + "')",
        aws);
  }
  return std::nullopt;
}

std::variant<Principal, HttpResponse> Authenticator::check(const HttpRequest& req) {
  if (auto r = browserChecks(req)) return *r;
  const auto scope = requiredScope(req);
  if (!scope) return Principal{"", "open"};
  if (settings_.none) return Principal{"", "none"};
  const bool aws = awsEndpoint(req);
  const int64_t now = clock_.nowMillis();
  if (limited(clientOf(req.remote), now)) {
    std::lock_guard lock(mu_);
    ++refusals_["rate_limited"];
    HttpResponse r = aws ? HttpResponse::json(400, R"({"__type":"ThrottlingException",)"
                                                   R"("message":"too many failed attempts"})")
                         : HttpResponse::error(429, "TooManyFailedAttempts",
                                               "too many failed attempts from this address; "
                                               "try again in a minute");
    if (aws) r.content_type = "application/x-amz-json-1.1";
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  const std::string authz = req.header("authorization");
  std::string subject, via;
  const std::vector<Scope>* scopes = nullptr;
  if (aws) {
    const std::string target = req.header("x-amz-target");
    const std::string service = target.starts_with("AWSStepFunctions.") ? "states" : "events";
    std::vector<aws::HeaderView> hs;
    for (const auto& [k, v] : req.raw_headers) hs.push_back({k, v});
    const auto q = req.target.find('?');
    aws::SigV4RequestView view{
        req.method, std::string_view(req.target).substr(0, q),
        q == std::string::npos ? std::string_view() : std::string_view(req.target).substr(q + 1),
        hs, req.body};
    const ApiAccessKey* key = nullptr;
    auto lookup = [&](std::string_view id) -> std::optional<aws::Credentials> {
      for (const auto& k : settings_.access_keys) {
        if (k.access_key_id == id) {
          key = &k;
          aws::Credentials c;
          c.access_key_id = k.access_key_id;
          c.secret_access_key = k.secret;
          return c;
        }
      }
      return std::nullopt;
    };
    auto who = aws::verifySigV4(view, lookup, clock_, service, settings_.regions);
    if (!who) {
      const bool missing = who.error().code == aws::kMissingAuthenticationToken;
      return refused(req, aws::sigV4ErrorStatus(who.error().code), missing ? "missing" : "sigv4",
                     who.error().code, who.error().message, true);
    }
    if (!who->payload_signed) {
      return refused(req, 400, "sigv4", std::string(aws::kIncompleteSignature),
                     "riposte needs the payload signed (not UNSIGNED-PAYLOAD)", true);
    }
    subject = key->subject;
    via = "sigv4:" + key->access_key_id;
    scopes = &key->scopes;
  } else {
    if (authz.empty()) {
      return refused(req, 401, "missing", "Unauthorized",
                     "this endpoint needs a credential: Authorization: Bearer <token>", false);
    }
    if (!authz.starts_with("Bearer ") || authz.size() <= 7) {
      return refused(req, 401, "invalid", "Unauthorized",
                     "the Authorization header must be 'Bearer <token>'", false);
    }
    const std::string digest = sha256Hex(std::string_view(authz).substr(7));
    const ApiToken* found = nullptr;
    for (const auto& t : settings_.tokens) {
      // Every configured digest is compared, in constant time: the time says nothing of which
      // one (or whether one) matched.
      const bool same = t.sha256.size() == digest.size() &&
                        CRYPTO_memcmp(t.sha256.data(), digest.data(), digest.size()) == 0;
      if (same && !found) found = &t;
    }
    if (!found) return refused(req, 401, "invalid", "Unauthorized", "unknown token", false);
    subject = found->subject;
    via = "token";
    scopes = &found->scopes;
  }
  if (!hasScope(*scopes, *scope)) {
    return refused(req, 403, "scope", aws ? "AccessDeniedException" : "Forbidden",
                   subject + " may not " + req.method + " " + req.path.substr(0, 200) +
                       ": that needs the '" + std::string(scopeName(*scope)) + "' scope",
                   aws);
  }
  return Principal{subject, via};
}

std::string Authenticator::renderMetrics() const {
  std::lock_guard lock(mu_);
  return counterText("riposte_api_auth_failures_total",
                     "API requests refused for their credential (missing, invalid, sigv4, scope)",
                     auth_failures_) +
         counterText("riposte_api_requests_refused_total",
                     "API requests refused before their credential was read (host, origin, "
                     "content_type, rate_limited)",
                     refusals_);
}

}  // namespace riposte::server
