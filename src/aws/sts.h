#pragma once
// STS AssumeRole: temporary credentials for another account's role, cached until near expiry.

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

// Per-role clients with assumed credentials, cached until `refresh_before` ahead of expiry.
// Thread-safe.
class AssumeRoleCache {
 public:
  explicit AssumeRoleCache(const Client& base, const Clock* clock = nullptr,
                           std::chrono::seconds refresh_before = std::chrono::seconds(300))
      : base_(base),
        clock_(clock ? clock : &SystemClock::instance()),
        refresh_before_(refresh_before) {}

  // A client acting as `role_arn` (same retry policy, transport and endpoints as the base).
  Result<std::shared_ptr<Client>> clientFor(const AssumeRoleRequest& req);
  int assumeCalls() const;  // how many AssumeRole calls were made (for tests and metrics)

 private:
  struct Entry {
    std::shared_ptr<Client> client;
    SystemTime expiration;
  };
  const Client& base_;
  const Clock* clock_;
  std::chrono::seconds refresh_before_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  int calls_ = 0;
};

}  // namespace riposte::aws
