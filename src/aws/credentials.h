#pragma once
// AWS credentials and endpoint resolution, as the AWS CLI and SDKs do them.

#include <string>
#include <string_view>

#include "core/result.h"

namespace riposte::aws {

// Long-term (AKIA…) or temporary (ASIA… plus session token) credentials.
struct Credentials {
  std::string access_key_id, secret_access_key, session_token;
};

// Reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (the token is optional).
// Error "MissingCredentials" when the key id or the secret is missing or empty.
Result<Credentials> credentialsFromEnvironment();

// The endpoint a call to `service` (the SigV4 signing name: "ec2", "iam", "sns", "sqs", "sts",
// "securityhub", "guardduty", "wafv2", "events", "ssm", "s3") in `region` goes to, as the AWS
// CLI resolves it: AWS_ENDPOINT_URL_<SERVICE_ID> (for example AWS_ENDPOINT_URL_EC2,
// AWS_ENDPOINT_URL_SECURITYHUB, AWS_ENDPOINT_URL_EVENTBRIDGE for "events"), else
// AWS_ENDPOINT_URL, else https://<svc>.<region>.amazonaws.com (https://iam.amazonaws.com for
// IAM). The result has no trailing slash. Reads the environment on every call.
std::string resolveEndpoint(std::string_view service, std::string_view region);

// The region a service signs with: IAM is global and signs with us-east-1; every other
// service signs with `region`.
std::string signingRegion(std::string_view service, std::string_view region);

}  // namespace riposte::aws
