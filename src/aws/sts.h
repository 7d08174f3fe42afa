#pragma once
// STS: AssumeRole and AssumeRoleWithWebIdentity, the role credentials as a refreshing source,
// and the per-role clients the engine acts in other accounts with.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/client.h"

namespace riposte::aws {

struct TemporaryCredentials {
  Credentials credentials;  // ASIA… key, secret, session token
  SystemTime expiration;
  std::string assumed_role_arn;
};

struct AssumeRoleRequest {
  std::string role_arn;
  std::string session_name = "riposte";
  std::string external_id{};  // optional
  int duration_seconds = 3600;
  std::string region = "us-east-1";  // STS endpoint region
};

// Calls sts:AssumeRole with `base`'s credentials. AWS errors come back as AWS's codes
// (AccessDenied, …); a response without credentials is "MalformedResponse".
Result<TemporaryCredentials> assumeRole(const Client& base, const AssumeRoleRequest& req);

struct WebIdentityRequest {
  std::string role_arn;
  std::string session_name;
  std::string web_identity_token;  // the OIDC token (a secret: never logged)
  int duration_seconds = 0;        // 0: STS's default (one hour)
  std::string region = "us-east-1";
};

// Calls sts:AssumeRoleWithWebIdentity. The call is unsigned (its API model says
// `authtype: none`: the token is the proof), so `client` needs no credentials. Errors as
// assumeRole.
Result<TemporaryCredentials> assumeRoleWithWebIdentity(const Client& client,
                                                       const WebIdentityRequest& req);

// sts:AssumeRole as a CredentialsSource: each fetch assumes the role again with `base`'s
// current credentials (which may refresh themselves: role chaining works).
class AssumeRoleSource final : public CredentialsSource {
 public:
  // `description`: what describe() says ("profile \"dev\": role arn:… from profile \"base\"").
  AssumeRoleSource(std::shared_ptr<const Client> base, AssumeRoleRequest req,
                   std::string description);
  Result<ExpiringCredentials> fetch() override;
  std::string describe() const override { return description_; }

 private:
  const std::shared_ptr<const Client> base_;
  const AssumeRoleRequest req_;
  const std::string description_;
};

// Per-role clients with assumed credentials. The client for a role is made once and kept for
// the cache's life (callers may hold it, or a raw pointer to it, for as long as the cache
// lives); its credentials are assumed again ahead of expiry (RefreshTiming) without a new
// client. Thread-safe.
class AssumeRoleCache {
 public:
  // `clock` null → the system clock; `base` and `clock` must outlive the cache.
  explicit AssumeRoleCache(const Client& base, const Clock* clock = nullptr,
                           RefreshTiming timing = {});

  // A client acting as `req.role_arn` (same retry policy, transport and endpoints as the
  // base). The first call for a role assumes it, and returns its error if that fails (the next
  // call tries again); later calls return the same client.
  Result<std::shared_ptr<Client>> clientFor(const AssumeRoleRequest& req);
  // How many AssumeRole calls were made, failures included (for tests and metrics).
  int assumeCalls() const;

 private:
  struct Entry {
    std::shared_ptr<Client> client;
    std::shared_ptr<RefreshingCredentialsProvider> credentials;
  };
  const std::shared_ptr<const Client> base_;
  const Clock* clock_;
  const RefreshTiming timing_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  int failed_calls_ = 0;  // of roles whose first AssumeRole failed (no entry kept)
};

}  // namespace riposte::aws
