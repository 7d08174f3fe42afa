#pragma once
// The places AWS credentials are fetched from, each as the AWS SDKs and Tools Reference Guide
// ("Standardized credential providers") describes it. Each is a CredentialsSource: wrap it in
// a RefreshingCredentialsProvider (credential_chain.h does) to have it refreshed ahead of
// expiry. Errors say which source and why; no error or log carries a secret.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/credentials.h"
#include "aws/http.h"

namespace riposte::aws {

// What the sources need besides the environment and the shared files.
struct CredentialSourceOptions {
  const Clock* clock = nullptr;  // null: the system clock (must outlive the providers)
  // HTTP for STS and the SSO portal (null: libcurl, proxies honoured) and its retries.
  std::shared_ptr<HttpTransport> transport;
  RetryPolicy retry;
  // HTTP for the container endpoint and IMDS (null: libcurl without any proxy, timeouts as
  // below). Tests pass a transport of their own.
  std::shared_ptr<HttpTransport> metadata_transport;
  // What AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is relative to (the ECS agent). Tests point
  // it at a loopback server; nothing in the environment changes it.
  std::string ecs_endpoint = "http://169.254.170.2";
  // How long a credential_process may run before it is killed and the fetch fails.
  std::chrono::milliseconds process_timeout{60000};
  RefreshTiming timing;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional) and
// AWS_CREDENTIAL_EXPIRATION (optional, RFC 3339), read again on each fetch.
class EnvironmentSource final : public CredentialsSource {
 public:
  Result<ExpiringCredentials> fetch() override;
  std::string describe() const override { return "environment (AWS_ACCESS_KEY_ID)"; }
};

// `credential_process`: runs the command (split as a POSIX shell splits words, quotes and
// backslashes honoured, but run without a shell), stdin from /dev/null, stderr inherited, and
// reads stdout: JSON {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"
// (optional), "Expiration" (optional, RFC 3339; without it the credentials never expire)}.
// A non-zero exit, a timeout, more than 64 KiB of output, output that is not that JSON: errors
// that never quote the output.
class ProcessSource final : public CredentialsSource {
 public:
  ProcessSource(std::string command, std::string description,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));
  Result<ExpiringCredentials> fetch() override;
  std::string describe() const override { return description_; }

 private:
  const std::string command_, description_;
  const std::chrono::milliseconds timeout_;
};

// Splits a credential_process command line into words (POSIX shell rules, no expansions).
// Error on an unterminated quote or an empty command.
Result<std::vector<std::string>> splitCommandLine(const std::string& command);

// IAM Identity Center (SSO): the access token `aws sso login` cached in
// ~/.aws/sso/cache/<sha1 hex of the sso-session name, or of the start URL for a legacy
// profile>.json ({"accessToken", "expiresAt"}), then the portal's GetRoleCredentials
// (GET /federation/credentials?account_id=…&role_name=…, header x-amz-sso_bearer_token,
// unsigned) at https://portal.sso.<sso_region>.amazonaws.com (AWS_ENDPOINT_URL_SSO). An
// expired or missing token is an error that says to run `aws sso login`; riposte does not
// refresh the token itself.
struct SsoSettings {
  std::string profile;       // for messages
  std::string session_name;  // [sso-session x]; empty for a legacy profile
  std::string start_url, region, account_id, role_name;
};
class SsoSource final : public CredentialsSource {
 public:
  SsoSource(SsoSettings settings, const CredentialSourceOptions& opts);
  Result<ExpiringCredentials> fetch() override;
  std::string describe() const override;
  // The cache file the token is read from.
  std::string tokenPath() const;

 private:
  const SsoSettings s_;
  const Clock* clock_;
  std::shared_ptr<Client> portal_;
};

// Web identity (EKS IRSA, or a profile's web_identity_token_file): reads the token file on
// each fetch (it rotates) and calls STS AssumeRoleWithWebIdentity, unsigned.
struct WebIdentitySettings {
  std::string role_arn, token_file, session_name;
  int duration_seconds = 0;  // 0: STS's default
  std::string region;        // of the STS endpoint
  std::string origin;        // for describe(): "AWS_WEB_IDENTITY_TOKEN_FILE", "profile \"x\""
};
class WebIdentitySource final : public CredentialsSource {
 public:
  WebIdentitySource(WebIdentitySettings settings, const CredentialSourceOptions& opts);
  Result<ExpiringCredentials> fetch() override;
  std::string describe() const override;

 private:
  const WebIdentitySettings s_;
  std::shared_ptr<Client> sts_;
};

// Container credentials (ECS task roles, EKS Pod Identity): GET
// <ecs_endpoint><AWS_CONTAINER_CREDENTIALS_RELATIVE_URI>, else AWS_CONTAINER_CREDENTIALS_FULL_URI
// (https, or http to a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23), with
// the Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on each fetch)
// or AWS_CONTAINER_AUTHORIZATION_TOKEN. Response {"AccessKeyId", "SecretAccessKey", "Token",
// "Expiration"}.
class ContainerSource final : public CredentialsSource {
 public:
  // Reads the environment; errors when the URI is not allowed or both variables are unset.
  static Result<std::unique_ptr<ContainerSource>> fromEnvironment(
      const CredentialSourceOptions& opts);
  Result<ExpiringCredentials> fetch() override;
  std::string describe() const override { return "container credentials (" + url_ + ")"; }

 private:
  ContainerSource(std::string url, std::shared_ptr<HttpTransport> transport, int attempts)
      : url_(std::move(url)), transport_(std::move(transport)), attempts_(attempts) {}
  const std::string url_;
  const std::shared_ptr<HttpTransport> transport_;
  const int attempts_;
};

// Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may be `url`: https to any host, or http to a
// loopback address (127.0.0.0/8, ::1, localhost), the ECS agent (169.254.170.2) or the EKS
// Pod Identity agent (169.254.170.23, fd00:ec2::23). Host names other than localhost are not
// resolved: they must be https.
bool allowedContainerUrl(const std::string& url);

// EC2 instance metadata, IMDSv2 only: PUT /latest/api/token (header
// X-aws-ec2-metadata-token-ttl-seconds), then with X-aws-ec2-metadata-token GET
// /latest/meta-data/iam/security-credentials/ (the role name) and .../<role> (the JSON
// document, "Code": "Success"). A token request that fails is an error: there is no fallback
// to IMDSv1. Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT, else by
// AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv4: http://169.254.169.254, IPv6:
// http://[fd00:ec2::254]). Timeout AWS_METADATA_SERVICE_TIMEOUT seconds (1) and
// AWS_METADATA_SERVICE_NUM_ATTEMPTS (1), as botocore.
class ImdsSource final : public CredentialsSource {
 public:
  static Result<std::unique_ptr<ImdsSource>> fromEnvironment(const CredentialSourceOptions& opts);
  Result<ExpiringCredentials> fetch() override;
  std::string describe() const override;

 private:
  ImdsSource(std::string endpoint, std::shared_ptr<HttpTransport> transport, int attempts)
      : endpoint_(std::move(endpoint)), transport_(std::move(transport)), attempts_(attempts) {}
  Result<HttpResponse> send(HttpRequest req) const;
  const std::string endpoint_;
  const std::shared_ptr<HttpTransport> transport_;
  const int attempts_;
  mutable std::mutex mu_;
  std::string role_;  // the last role name IMDS gave (for describe)
};

// The STS region a profile or the environment implies: AWS_REGION, AWS_DEFAULT_REGION,
// `profile_region`, else us-east-1.
std::string stsRegion(const std::string& profile_region = "");

}  // namespace riposte::aws
