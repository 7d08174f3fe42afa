#pragma once
// Connections (riposte.yaml `connections:`): how `arn:aws:states:::http:invoke` authenticates
// to an HTTP API, as EventBridge connections do: an API key header, basic auth, or OAuth client
// credentials. The secrets come from the environment (${VAR} in riposte.yaml; a literal secret
// is a configuration error) and never leave this module: not in the action's input, output,
// record, summary, errors or logs.
//
//   Connections cs;
//   cs.add(Connection{.name = "pagerduty", .auth = Auth::kApiKey, .header = "Authorization",
//                     .value = token});
//   const Connection* c =
//   cs.resolve("arn:aws:events:us-east-1:123456789012:connection/pagerduty/1f2e"); aws::HttpRequest
//   req{...}; auto ok = cs.authorize(*c, req, transport, clock);   // adds the header (or fetches a
//   token)

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "aws/http.h"
#include "core/clock.h"
#include "core/result.h"

namespace riposte::actions {

struct Connection {
  enum class Auth { kApiKey, kBasic, kOAuthClientCredentials };
  std::string name{};
  Auth auth = Auth::kApiKey;
  std::string header{}, value{};                                   // api_key
  std::string username{}, password{};                              // basic
  std::string token_url{}, client_id{}, client_secret{}, scope{};  // oauth_client_credentials
};

std::string_view authName(Connection::Auth a);  // "api_key", "basic", "oauth_client_credentials"

// The connection name an http:invoke Task names in Authentication.ConnectionArn: an EventBridge
// connection ARN "arn:aws:events:REGION:ACCOUNT:connection/NAME[/ID]" or "riposte:connection/NAME".
// nullopt when it is neither.
std::optional<std::string> connectionName(std::string_view arn);

// The configured connections. Thread-safe (the OAuth tokens it caches are guarded).
class Connections {
 public:
  void add(Connection c);
  const Connection* find(std::string_view name) const;
  // The connection an ARN names (connectionName), or nullptr.
  const Connection* resolve(std::string_view arn) const;
  bool empty() const { return by_name_.empty(); }
  const std::map<std::string, Connection, std::less<>>& all() const { return by_name_; }

  // Adds the connection's credentials to the request: the API key header, an
  // "Authorization: Basic …" header, or "Authorization: Bearer <token>" with a token fetched
  // from token_url (grant_type=client_credentials, the client's id and secret as HTTP basic
  // auth, as RFC 6749 §4.4 and EventBridge do) and cached until 60 s before it expires. A
  // header the playbook set with the same name is replaced. Errors never carry a secret:
  // "States.Http.Socket" for a token endpoint that cannot be reached, "riposte.ConnectionAuth"
  // for one that refuses or answers without a token.
  Result<void> authorize(const Connection& c, aws::HttpRequest& req, aws::HttpTransport& http,
                         const Clock& clock) const;

  // Forgets the cached OAuth token of `name` (after the API answered 401 with it).
  void forgetToken(std::string_view name) const;

 private:
  struct Token {
    std::string access_token;
    int64_t expires_ms = 0;
  };
  std::map<std::string, Connection, std::less<>> by_name_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Token, std::less<>> tokens_;
};

// "application/x-www-form-urlencoded" encoding of one value (RFC 3986 unreserved kept).
std::string formEncode(std::string_view s);
// Base64 (RFC 4648, with padding).
std::string base64(std::string_view s);

}  // namespace riposte::actions
