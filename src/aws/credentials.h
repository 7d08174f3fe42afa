#pragma once
// AWS credentials: what the client signs with (a CredentialsProvider), the refreshing cache
// every temporary source sits behind, and endpoint resolution, as the AWS CLI and SDKs do them.
// The sources (environment, shared files and profiles, web identity, containers, EC2 instance
// metadata) are in credential_sources.h; the chain that picks one is in credential_chain.h.
//
//   auto provider = aws::resolveCredentialsChain();         // credential_chain.h
//   if (!provider) return fail(provider.error());           // names the source and the reason
//   aws::Client client(*provider);                          // signs each request with get()

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace riposte::aws {

// Long-term (AKIA…) or temporary (ASIA… plus session token) credentials.
struct Credentials {
  std::string access_key_id, secret_access_key, session_token;
};

// Credentials as a source hands them out: with the time they stop working, if they do.
struct ExpiringCredentials {
  Credentials credentials;
  std::optional<SystemTime> expiration;  // nullopt: long-term keys, never refreshed
};

// What the client signs requests with.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // The credentials to sign one request with: a copy of one consistent set (key id, secret and
  // token from the same fetch, never mixed across refreshes). Thread-safe; may block while
  // credentials are fetched. Errors name the source and the reason, never a secret.
  virtual Result<Credentials> get() = 0;
  // Where the credentials come from, for logs ("web identity (role arn:…)"). Never a secret.
  virtual std::string describe() const = 0;
};

// Fixed credentials (tests, and aws::Client(Credentials)).
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials creds, std::string description = "static keys")
      : creds_(std::move(creds)), description_(std::move(description)) {}
  Result<Credentials> get() override { return creds_; }
  std::string describe() const override { return description_; }

 private:
  const Credentials creds_;
  const std::string description_;
};

// A place credentials are fetched from: STS, a process, a metadata endpoint. Wrapped in a
// RefreshingCredentialsProvider, which calls fetch() from one thread at a time.
class CredentialsSource {
 public:
  virtual ~CredentialsSource() = default;
  // Fetches a new set (blocking I/O). The error says why, never a secret; the provider
  // prefixes it with describe().
  virtual Result<ExpiringCredentials> fetch() = 0;
  virtual std::string describe() const = 0;
};

// When credentials that expire are fetched again. The defaults are the AWS SDK for Java 2.x's
// for its STS, SSO and process providers (CachedSupplier: prefetch 5 minutes, stale 1 minute).
struct RefreshTiming {
  // Less than this left: the first caller fetches new credentials while the others keep
  // signing with the current set; if the fetch fails, the current set is still served.
  std::chrono::seconds prefetch{300};
  // Less than this left: every caller waits for new credentials; a failed fetch is an error
  // (a request is never signed with credentials about to expire under it).
  std::chrono::seconds stale{60};
  // The least time between two fetches in the prefetch window (after a failure, or when a
  // source hands out credentials that already are in the window).
  std::chrono::seconds retry{30};
};

// Caches a source's credentials and fetches new ones ahead of expiry (RefreshTiming), one
// fetch at a time. Credentials without expiration are fetched once. Thread-safe.
class RefreshingCredentialsProvider final : public CredentialsProvider {
 public:
  // `clock` null → the system clock; it must outlive the provider.
  explicit RefreshingCredentialsProvider(std::unique_ptr<CredentialsSource> source,
                                         const Clock* clock = nullptr, RefreshTiming timing = {});

  Result<Credentials> get() override;
  std::string describe() const override { return source_->describe(); }

  // When the current set expires (nullopt: none fetched yet, or it does not expire).
  std::optional<SystemTime> expiration() const;
  // How many times the source was asked, failures included (tests, metrics).
  int fetches() const;

 private:
  bool freshLocked(SystemTime now) const;
  bool usableLocked(SystemTime now) const;
  Result<void> fetchLocked(std::unique_lock<std::mutex>& lock);

  const std::unique_ptr<CredentialsSource> source_;
  const Clock* clock_;
  const RefreshTiming timing_;
  mutable std::mutex mu_;
  std::condition_variable done_;
  std::optional<ExpiringCredentials> current_;
  bool fetching_ = false;
  uint64_t generation_ = 0;  // completed fetches
  std::optional<Error> last_error_;
  SystemTime next_prefetch_{};
  int fetches_ = 0;
};

// Reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (the token is optional).
// Error "MissingCredentials" when the key id or the secret is missing or empty.
Result<Credentials> credentialsFromEnvironment();

// The endpoint a call to `service` (the SigV4 signing name: "ec2", "iam", "sns", "sqs", "sts",
// "securityhub", "guardduty", "wafv2", "events", "ssm", "s3"; and "sso" for the IAM Identity
// Center portal) in `region` goes to, as the AWS CLI resolves it: AWS_ENDPOINT_URL_<SERVICE_ID>
// (for example AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_SECURITYHUB, AWS_ENDPOINT_URL_EVENTBRIDGE
// for "events", AWS_ENDPOINT_URL_SSO), else AWS_ENDPOINT_URL, else
// https://<svc>.<region>.amazonaws.com (https://iam.amazonaws.com for IAM,
// https://portal.sso.<region>.amazonaws.com for the SSO portal). The result has no trailing
// slash. Reads the environment on every call.
std::string resolveEndpoint(std::string_view service, std::string_view region);

// The region a service signs with: IAM is global and signs with us-east-1; every other
// service signs with `region`.
std::string signingRegion(std::string_view service, std::string_view region);

}  // namespace riposte::aws
