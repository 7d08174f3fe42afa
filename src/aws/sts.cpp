#include "aws/sts.h"

namespace riposte::aws {
namespace {

// The Credentials, AssumedRoleUser and Expiration of an AssumeRole* response.
Result<TemporaryCredentials> readCredentials(const XmlDocument& doc, const std::string& result,
                                             const std::string& what) {
  TemporaryCredentials t;
  t.credentials.access_key_id = doc.text(result + "/Credentials/AccessKeyId");
  t.credentials.secret_access_key = doc.text(result + "/Credentials/SecretAccessKey");
  t.credentials.session_token = doc.text(result + "/Credentials/SessionToken");
  t.assumed_role_arn = doc.text(result + "/AssumedRoleUser/Arn");
  int64_t ms = 0;
  if (t.credentials.access_key_id.empty() || t.credentials.secret_access_key.empty() ||
      t.credentials.session_token.empty() ||
      !parseIso8601(doc.text(result + "/Credentials/Expiration"), ms)) {
    return fail("MalformedResponse", what + ": no credentials in response");
  }
  t.expiration = SystemTime(std::chrono::milliseconds(ms));
  return t;
}

}  // namespace

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
  return readCredentials(*doc, "AssumeRoleResult", "AssumeRole " + req.role_arn);
}

Result<TemporaryCredentials> assumeRoleWithWebIdentity(const Client& client,
                                                       const WebIdentityRequest& req) {
  Call call;
  call.service = "sts";
  call.region = req.region;
  call.action = "AssumeRoleWithWebIdentity";
  call.sign = false;
  call.params = {{"RoleArn", req.role_arn},
                 {"RoleSessionName", req.session_name},
                 {"WebIdentityToken", req.web_identity_token}};
  if (req.duration_seconds > 0) {
    call.params.emplace_back("DurationSeconds", std::to_string(req.duration_seconds));
  }
  auto doc = client.query(call);
  if (!doc) return fail(doc.error());
  return readCredentials(*doc, "AssumeRoleWithWebIdentityResult",
                         "AssumeRoleWithWebIdentity " + req.role_arn);
}

AssumeRoleSource::AssumeRoleSource(std::shared_ptr<const Client> base, AssumeRoleRequest req,
                                   std::string description)
    : base_(std::move(base)), req_(std::move(req)), description_(std::move(description)) {}

Result<ExpiringCredentials> AssumeRoleSource::fetch() {
  auto t = assumeRole(*base_, req_);
  if (!t) return fail(t.error());
  return ExpiringCredentials{std::move(t->credentials), t->expiration};
}

AssumeRoleCache::AssumeRoleCache(const Client& base, const Clock* clock, RefreshTiming timing)
    : base_(base.withCredentialsProvider(base.credentialsProvider())),
      clock_(clock ? clock : &SystemClock::instance()),
      timing_(timing) {}

Result<std::shared_ptr<Client>> AssumeRoleCache::clientFor(const AssumeRoleRequest& req) {
  std::lock_guard lock(mu_);
  const std::string key = req.role_arn + "|" + req.external_id + "|" + req.session_name + "|" +
                          req.region + "|" + std::to_string(req.duration_seconds);
  if (auto it = entries_.find(key); it != entries_.end()) return it->second.client;
  const auto* base_provider = base_->credentialsProvider().get();
  auto credentials = std::make_shared<RefreshingCredentialsProvider>(
      std::make_unique<AssumeRoleSource>(
          base_, req,
          "role " + req.role_arn + " assumed with " +
              (base_provider ? base_provider->describe() : std::string("no credentials"))),
      clock_, timing_);
  if (auto first = credentials->get(); !first) {
    failed_calls_ += credentials->fetches();
    return fail(first.error());
  }
  auto client = base_->withCredentialsProvider(credentials);
  entries_[key] = Entry{client, credentials};
  return client;
}

int AssumeRoleCache::assumeCalls() const {
  std::lock_guard lock(mu_);
  int n = failed_calls_;
  for (const auto& [key, entry] : entries_) n += entry.credentials->fetches();
  return n;
}

}  // namespace riposte::aws
