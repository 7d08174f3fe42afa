#include "aws/sts.h"

namespace riposte::aws {

Result<TemporaryCredentials> assumeRole(const Client& base, const AssumeRoleRequest& req) {
  Call call;
  call.service = "sts";
  call.region = req.region;
  call.action = "AssumeRole";
  call.params = {{"RoleArn", req.role_arn},
                 {"RoleSessionName", req.session_name},
                 {"DurationSeconds", std::to_string(req.duration_seconds)}};
  if (!req.external_id.empty()) call.params.emplace_back("ExternalId", req.external_id);
  auto doc = base.query(call);
  if (!doc) return fail(doc.error());
  TemporaryCredentials t;
  t.credentials.access_key_id = doc->text("AssumeRoleResult/Credentials/AccessKeyId");
  t.credentials.secret_access_key = doc->text("AssumeRoleResult/Credentials/SecretAccessKey");
  t.credentials.session_token = doc->text("AssumeRoleResult/Credentials/SessionToken");
  t.assumed_role_arn = doc->text("AssumeRoleResult/AssumedRoleUser/Arn");
  int64_t ms = 0;
  if (t.credentials.access_key_id.empty() || t.credentials.secret_access_key.empty() ||
      !parseIso8601(doc->text("AssumeRoleResult/Credentials/Expiration"), ms)) {
    return fail("MalformedResponse", "AssumeRole " + req.role_arn + ": no credentials in response");
  }
  t.expiration = SystemTime(std::chrono::milliseconds(ms));
  return t;
}

Result<std::shared_ptr<Client>> AssumeRoleCache::clientFor(const AssumeRoleRequest& req) {
  std::lock_guard lock(mu_);
  const std::string key = req.role_arn + "|" + req.external_id + "|" + req.session_name;
  auto it = entries_.find(key);
  if (it != entries_.end() && clock_->now() + refresh_before_ < it->second.expiration) {
    return it->second.client;
  }
  ++calls_;
  auto t = assumeRole(base_, req);
  if (!t) return fail(t.error());
  auto client = base_.withCredentials(t->credentials);
  entries_[key] = Entry{client, t->expiration};
  return client;
}

int AssumeRoleCache::assumeCalls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

}  // namespace riposte::aws
