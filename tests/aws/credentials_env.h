#pragma once
// A clean slate for credential tests: every variable the credential chain reads is unset for
// the test, HOME is an empty temporary directory (no ~/.aws of the machine is ever read), and
// AWS_EC2_METADATA_DISABLED=true so that no test reaches the real 169.254.169.254 (tests of
// IMDS set AWS_EC2_METADATA_SERVICE_ENDPOINT to a loopback server and lift it).

#include <gtest/gtest.h>

#include "aws/credential_chain.h"
#include "core/clock.h"
#include "support/scoped_env.h"

namespace riposte::aws {

inline constexpr const char* kCredentialVariables[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_METADATA_SERVICE_TIMEOUT",
    "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
};

// `keep_endpoint`: leave AWS_ENDPOINT_URL as it is (the moto fixture points it at moto).
class CredentialsEnv {
 public:
  explicit CredentialsEnv(bool keep_endpoint = false) {
    for (const char* v : kCredentialVariables) env.set(v, std::nullopt);
    if (!keep_endpoint) env.set("AWS_ENDPOINT_URL", std::nullopt);
    env.set("HOME", home.path());
    env.set("AWS_EC2_METADATA_DISABLED", "true");
  }
  testing::TempDir home;
  testing::ScopedEnv env;
};

}  // namespace riposte::aws
