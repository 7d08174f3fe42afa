#pragma once
// The AWS credential chain: which source riposte's AWS calls sign with, found in the order the
// AWS SDKs look (AWS SDKs and Tools Reference Guide, "Standardized credential providers"):
//
//  1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN,
//     AWS_CREDENTIAL_EXPIRATION); one without the other is an error;
//  2. the shared config / credentials files: the profile AWS_PROFILE names (it must exist and
//     hold credentials), else [default] when it holds any — see profileCredentials;
//  3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME), STS
//     AssumeRoleWithWebIdentity (EKS IRSA); one without the other is an error;
//  4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (ECS task
//     roles, EKS Pod Identity);
//  5. EC2 instance metadata, IMDSv2 only, unless AWS_EC2_METADATA_DISABLED=true.
//
// The first source that is configured is the one used: if it fails, that is the error (the
// chain never falls through to a source of other privileges because one is broken). A setting
// riposte cannot read exactly (a malformed file, AWS_EC2_METADATA_DISABLED=maybe) is an error.
// Temporary credentials are fetched again ahead of expiry (RefreshTiming).
//
//   auto creds = aws::resolveCredentialsChain();
//   if (!creds) { logWarn("no AWS credentials", {{"error", creds.error().str()}}); … }
//   aws::Client client(*creds);
//   // logged once: {"msg":"aws credentials resolved","source":"web identity (role arn:…)"}

#include <memory>
#include <string>

#include "aws/credential_sources.h"
#include "aws/shared_config.h"

namespace riposte::aws {

// Credentials for profile `name` of the shared files, as the AWS CLI resolves them:
//  1. role_arn: with web_identity_token_file, web identity; else exactly one of source_profile
//     (resolved the same way, its static keys first; a cycle is an error, except a profile that
//     names itself and holds static keys) or credential_source (Environment,
//     Ec2InstanceMetadata, EcsContainer), then sts:AssumeRole with external_id,
//     role_session_name, duration_seconds (900…43200) in the region of `region`, AWS_REGION or
//     AWS_DEFAULT_REGION; mfa_serial is an error (riposte cannot prompt for a code);
//  2. sso_session (and its [sso-session]: sso_start_url, sso_region) or the legacy
//     sso_start_url + sso_region, with sso_account_id and sso_role_name: IAM Identity Center;
//  3. aws_access_key_id + aws_secret_access_key (+ aws_session_token): static keys;
//  4. credential_process.
// A null provider (no error) when the profile holds none of these. Errors name the profile and
// the reason: `profile "x": source_profile "y" not found`.
Result<std::shared_ptr<CredentialsProvider>> profileCredentials(
    const SharedConfig& cfg, const std::string& name, const CredentialSourceOptions& opts = {});

// Resolves the chain once: finds the source, fetches its first credentials (so a broken
// source fails here, at start, not on the first containment) and logs which source it is
// (never a secret). Error "MissingCredentials" listing what was looked at when no source is
// configured.
Result<std::shared_ptr<CredentialsProvider>> resolveCredentialsChain(
    const CredentialSourceOptions& opts = {});

}  // namespace riposte::aws
