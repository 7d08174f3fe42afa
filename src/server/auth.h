#pragma once
// Who may call riposte's API, and the browser defenses in front of it (docs/security.md).
//
//   auto settings = server::authSettings(cfg.settings, cfg.default_region, env);  // riposte.yaml
//   api: server::Authenticator auth(*settings, listen_host, port, clock); auto who =
//   auth.check(req);                     // a Principal, or the answer to send instead
//
// Credentials (riposte.yaml `api:`, and the files `serve --credentials` names):
//   tokens       Authorization: Bearer <token>. Only the token's SHA-256 is configured
//                (`riposte token create` prints a new one, 256 random bits); the received
//                token's digest is compared with every configured one in constant time.
//   access_keys  AWS Signature Version 4 on the AWS-compatible endpoint (POST / with
//                X-Amz-Target: PutEvents, TestEventPattern, the Step Functions callbacks):
//                aws::verifySigV4, service "events" or "states" by the target, the regions of
//                `api.regions`; the secret comes from the environment variable `secret_env`.
//   auth: none   no credential at all; refused by `serve` on a listen address that is not a
//                loopback one (checkListen).
// Each credential has a subject (who it is: the audit log's actor, the approver's name) and
// scopes: ingest (POST /v1/events, PutEvents), read (incidents, events, executions, policy,
// approvals and suppressions listed, /metrics, TestEventPattern), respond (release, approval
// votes, the Step Functions callbacks), admin (reload, suppressions created or deleted, the
// breaker closed). GET /healthz and /readyz are open, and so are the signed one-time approval
// links (/v1/approvals/{id}/link: the link is its own credential, policy/approval_link.h).
//
// Answers: 401 (no credential, or a wrong one; WWW-Authenticate: Bearer), 403 (a credential
// without the scope), 429 with Retry-After once a client address has failed 10 times within a
// minute (its next attempts are not even checked until the minute is over). For the
// AWS-compatible endpoint the errors are AWS's (JSON __type: MissingAuthenticationToken,
// InvalidSignatureException, …, sigV4ErrorStatus). Counted: riposte_api_auth_failures_total
// {reason}, riposte_api_requests_refused_total{reason}.
//
// Browser defenses (every request, whatever the credential): the Host header must name the
// listen address, localhost / 127.0.0.1 / [::1] on its port, or one of `api.hosts` (DNS
// rebinding: 421); a state-changing request (POST, DELETE, PUT, PATCH) must say Content-Type
// application/json (or the AWS JSON types on the AWS endpoint; the approval links' form for
// their POST) and carry no Origin other than one of those hosts (cross-site requests: 403,
// 415). riposte sends no CORS headers.
//
// Thread-safety: check() may be called from any thread.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/expand.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "server/http_server.h"

namespace riposte::server {

enum class Scope : uint8_t { kIngest, kRead, kRespond, kAdmin };
inline constexpr Scope kScopes[] = {Scope::kIngest, Scope::kRead, Scope::kRespond, Scope::kAdmin};
std::string_view scopeName(Scope s);
std::optional<Scope> scopeFromName(std::string_view name);

struct ApiToken {
  std::string subject;
  std::string sha256;  // of the token, 64 lower-case hex digits
  std::vector<Scope> scopes;
};

struct ApiAccessKey {
  std::string access_key_id;
  std::string secret;  // read from the environment variable the configuration names
  std::string subject;
  std::vector<Scope> scopes;
};

struct AuthSettings {
  bool none = false;  // api.auth: none
  std::vector<ApiToken> tokens;
  std::vector<ApiAccessKey> access_keys;
  std::vector<std::string> hosts;    // Host names accepted beside the listen address
  std::vector<std::string> regions;  // SigV4 regions accepted (default: aws.region)
};

// The typed settings from riposte.yaml's checked `api` object (its defaults written in).
// `env` reads the access keys' secrets. Error "InvalidConfig" naming the key whose secret's
// variable is unset.
using EnvLookup = config::Environment;
Result<AuthSettings> authSettings(const json::object& api, const std::string& default_region,
                                  const EnvLookup& env);
// Adds the credentials of a file (YAML, credentialsFileSchema) to `s`. Errors
// "InvalidConfig" with every problem, "file:line:column: path: message".
Result<void> addCredentialsFile(AuthSettings& s, const std::string& path, const EnvLookup& env);

// `auth: none` on an address another machine can reach is refused: error "InsecureListen".
Result<void> checkListen(const AuthSettings& s, const std::string& host);

// What `riposte token create` prints: a new token (rpt_ + 43 base64url characters, 256
// random bits) and its configuration entry.
struct NewToken {
  std::string token;
  std::string sha256;
  std::string yaml;  // "- {subject: S, sha256: …, scopes: [read, respond]}"
};
Result<NewToken> newToken(const std::string& subject, const std::vector<Scope>& scopes);

struct Principal {
  std::string subject;  // "" with auth: none
  std::string via;      // "token", "sigv4:<access key id>", "none"
  // Who, for the audit log: "alice via 127.0.0.1:5123" ("api via …" with auth: none).
  std::string actor(const HttpRequest& req) const;
};

// The scope a request needs; nullopt: open (health, the signed approval links).
std::optional<Scope> requiredScope(const HttpRequest& req);

class Authenticator {
 public:
  Authenticator(AuthSettings settings, std::string listen_host, uint16_t port, const Clock& clock);

  // The request's principal, or the answer to send instead.
  std::variant<Principal, HttpResponse> check(const HttpRequest& req);
  // The port the server listens on, once bound (with port 0 it is known only then): the Host
  // names accepted are computed from it.
  void setPort(uint16_t port);
  // Prometheus text: the counters above.
  std::string renderMetrics() const;
  bool none() const { return settings_.none; }

 private:
  std::optional<HttpResponse> browserChecks(const HttpRequest& req);
  HttpResponse refused(const HttpRequest& req, int status, const std::string& reason,
                       const std::string& code, const std::string& message, bool aws);
  bool limited(const std::string& client, int64_t now_ms);

  AuthSettings settings_;
  std::string listen_host_;
  std::vector<std::string> hosts_;  // lower-case host[:port] accepted (guarded by mu_)
  const Clock& clock_;
  mutable std::mutex mu_;
  struct Failures {
    int64_t window_start_ms = 0;
    int count = 0;
  };
  std::map<std::string, Failures> failures_;  // by client address (no port)
  std::map<std::string, int64_t> auth_failures_, refusals_;
};

}  // namespace riposte::server
