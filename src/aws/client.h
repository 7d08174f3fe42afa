#pragma once
// A SigV4-signing AWS client without an SDK: Query (XML), JSON 1.0/1.1 and REST-JSON
// protocols, AWS error parsing and retries with capped exponential backoff and full jitter.
//
//   auto creds = aws::resolveCredentialsChain();  // credential_chain.h
//   aws::Client client(*creds);
//   auto r = client.queryJson({.service = "ec2", .region = "us-east-1",
//                              .action = "DescribeInstances",
//                              .params = {{"InstanceId.1", "i-0abc"}}});
//   if (!r) return fail(r.error());  // r.error().code == "InvalidInstanceID.NotFound"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/errors.h"
#include "aws/http.h"
#include "aws/sigv4.h"
#include "aws/xml.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"

namespace riposte::aws {

struct RetryPolicy {
  int max_attempts = 4;                       // including the first attempt; >= 1
  std::chrono::milliseconds base_delay{100};  // delay cap before attempt 2; doubles after
  std::chrono::milliseconds max_delay{5000};  // cap of any one delay
  // How to wait between attempts; null → std::this_thread::sleep_for. Tests record instead.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// One AWS API call. Which fields matter depends on the protocol method it is given to.
struct Call {
  std::string service{};  // SigV4 signing name: "ec2", "iam", "sns", "securityhub", …
  std::string region{};   // the region of the resource (IAM always signs with us-east-1)
  // Query: the Action ("DescribeInstances"). JSON 1.0/1.1: the whole X-Amz-Target
  // ("AWSWAF_20190729.UpdateIPSet"). REST-JSON: unused (a name for logs).
  std::string action{};
  std::string version{};  // Query API version; empty → the service's default (defaultApiVersion)
  Pairs params{};         // Query parameters besides Action and Version ("Filter.1.Name", …)
  std::string method = "POST";       // REST-JSON
  std::string path = "/";            // REST-JSON, percent-encoded ("/findings/import")
  Pairs query{};                     // REST-JSON query string (decoded)
  json::value body = nullptr;        // JSON body (null: none for REST-JSON, {} for JSON RPC)
  std::string json_version = "1.1";  // JSON RPC: "1.0" (SQS) or "1.1"
  Pairs headers{};                   // extra headers, signed (for example x-moto-account-id)
  // false: sent unsigned, for the operations whose API model says `authtype: none` (STS
  // AssumeRoleWithWebIdentity, SSO GetRoleCredentials): no credentials are asked for.
  bool sign = true;
  // true: a 304 Not Modified answer is a response, not an error (a conditional GET with
  // If-None-Match / If-Modified-Since: S3 GetObject).
  bool accept_not_modified = false;
};

// The Query API version riposte speaks for a service ("ec2" → "2016-11-15"); "" if unknown.
std::string defaultApiVersion(std::string_view service);

class Client {
 public:
  // `transport` null → libcurl. Thread-safe once configured (call setters before sharing).
  // Every attempt of a signed call asks `credentials` for the current set and signs with that
  // one set. `credentials` null: only unsigned calls (Call::sign false) can be made; a signed
  // one fails with "MissingCredentials".
  explicit Client(std::shared_ptr<CredentialsProvider> credentials, RetryPolicy policy = {},
                  std::shared_ptr<HttpTransport> transport = nullptr);
  // Fixed credentials (a StaticCredentialsProvider).
  explicit Client(Credentials creds, RetryPolicy policy = {},
                  std::shared_ptr<HttpTransport> transport = nullptr);

  // Query protocol (EC2, IAM, SNS, STS, SQS-XML): form-encoded POST, XML response.
  Result<XmlDocument> query(const Call& call) const;
  // The same, with the response's document element converted by xmlToJson.
  Result<json::value> queryJson(const Call& call) const;
  // JSON 1.0/1.1 (X-Amz-Target): WAFv2, EventBridge, SSM, SQS. Body defaults to {}.
  Result<json::value> jsonRpc(const Call& call) const;
  // REST-JSON: Security Hub, GuardDuty. An empty response body → {}.
  Result<json::value> restJson(const Call& call) const;

  // Signs and sends a prepared request (with retries); the raw 2xx response, or the AWS
  // error. `protocol_body` and `content_type` are what the protocol methods pass.
  Result<HttpResponse> send(const Call& call, const std::string& method, const std::string& path,
                            const Pairs& query, const std::string& body,
                            const std::string& content_type, const Pairs& extra_headers) const;

  // Configuration (not thread-safe: call before sharing the client).
  void setClock(const Clock* clock) { clock_ = clock; }
  // Replaces resolveEndpoint (service, region) → base URL.
  void setEndpointResolver(std::function<std::string(std::string_view, std::string_view)> f) {
    endpoint_resolver_ = std::move(f);
  }
  // The credentials the next request would be signed with (from the provider).
  Result<Credentials> credentials() const;
  const std::shared_ptr<CredentialsProvider>& credentialsProvider() const { return provider_; }
  // A client with other credentials and this one's policy, transport, clock and endpoints.
  std::shared_ptr<Client> withCredentials(Credentials creds) const;
  std::shared_ptr<Client> withCredentialsProvider(
      std::shared_ptr<CredentialsProvider> provider) const;
  const RetryPolicy& retryPolicy() const { return policy_; }

 private:
  std::chrono::milliseconds backoff(int attempt) const;

  std::shared_ptr<CredentialsProvider> provider_;
  RetryPolicy policy_;
  std::shared_ptr<HttpTransport> transport_;
  const Clock* clock_;
  std::function<std::string(std::string_view, std::string_view)> endpoint_resolver_;
};

// application/x-www-form-urlencoded body of Action, Version and params (RFC 3986 encoding).
std::string formEncode(const Pairs& params);

}  // namespace riposte::aws
