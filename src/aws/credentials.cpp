#include "aws/credentials.h"

#include <cctype>
#include <cstdlib>

#include "core/log.h"

namespace riposte::aws {
namespace {

std::string envOrEmpty(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

// The AWS service id (as used in AWS_ENDPOINT_URL_<ID>) for a signing name.
std::string serviceEnvId(std::string_view service) {
  if (service == "events") return "EVENTBRIDGE";
  if (service == "sso") return "SSO";
  std::string id;
  for (char c : service) {
    if (c == ' ' || c == '-') {
      id += '_';
    } else {
      id += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return id;
}

std::string trimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

RefreshingCredentialsProvider::RefreshingCredentialsProvider(
    std::unique_ptr<CredentialsSource> source, const Clock* clock, RefreshTiming timing)
    : source_(std::move(source)),
      clock_(clock ? clock : &SystemClock::instance()),
      timing_(timing) {}

std::optional<SystemTime> RefreshingCredentialsProvider::expiration() const {
  std::lock_guard lock(mu_);
  if (!current_) return std::nullopt;
  return current_->expiration;
}

int RefreshingCredentialsProvider::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

// Fresh: no reason to fetch (no expiry, or more than `prefetch` left).
bool RefreshingCredentialsProvider::freshLocked(SystemTime now) const {
  return current_ && (!current_->expiration || now < *current_->expiration - timing_.prefetch);
}

// Usable: may sign a request (more than `stale` left).
bool RefreshingCredentialsProvider::usableLocked(SystemTime now) const {
  return current_ && (!current_->expiration || now < *current_->expiration - timing_.stale);
}

// Called with `lock` held and no fetch in flight; releases it during the fetch.
Result<void> RefreshingCredentialsProvider::fetchLocked(std::unique_lock<std::mutex>& lock) {
  fetching_ = true;
  lock.unlock();
  Result<ExpiringCredentials> r = source_->fetch();
  lock.lock();
  fetching_ = false;
  ++generation_;
  ++fetches_;
  const SystemTime now = clock_->now();
  next_prefetch_ = now + timing_.retry;
  Result<void> out;
  if (!r) {
    last_error_ = Error(r.error().code, source_->describe() + ": " + r.error().message);
    out = fail(*last_error_);
  } else if (r->expiration && *r->expiration <= now) {
    last_error_ = Error("ExpiredCredentials", source_->describe() +
                                                  ": the credentials it returned expired at " +
                                                  formatIso8601(*r->expiration, false));
    out = fail(*last_error_);
  } else {
    last_error_.reset();
    current_ = std::move(*r);
    logInfo("aws credentials fetched",
            {{"source", source_->describe()},
             {"expires", current_->expiration ? formatIso8601(*current_->expiration, false)
                                              : std::string("never")}});
  }
  done_.notify_all();
  return out;
}

Result<Credentials> RefreshingCredentialsProvider::get() {
  std::unique_lock lock(mu_);
  SystemTime now = clock_->now();
  if (freshLocked(now)) return current_->credentials;
  if (usableLocked(now)) {
    // Prefetch window: one caller fetches, the others sign with the current set meanwhile.
    if (fetching_ || now < next_prefetch_) return current_->credentials;
    if (auto r = fetchLocked(lock); !r) {
      logWarn("aws credentials refresh failed; the current ones are still valid",
              {{"source", source_->describe()},
               {"expires", formatIso8601(*current_->expiration, false)},
               {"error", r.error().str()}});
    }
    return current_->credentials;  // the new set, or the current one if the fetch failed
  }
  // None yet, or stale: wait for a fetch in flight; if it failed, that is the answer.
  if (fetching_) {
    const uint64_t seen = generation_;
    done_.wait(lock, [&] { return !fetching_; });
    now = clock_->now();
    if (usableLocked(now)) return current_->credentials;
    if (generation_ != seen && last_error_) return fail(*last_error_);
  }
  if (auto r = fetchLocked(lock); !r) return fail(r.error());
  return current_->credentials;
}

Result<Credentials> credentialsFromEnvironment() {
  Credentials c{envOrEmpty("AWS_ACCESS_KEY_ID"), envOrEmpty("AWS_SECRET_ACCESS_KEY"),
                envOrEmpty("AWS_SESSION_TOKEN")};
  if (c.access_key_id.empty() != c.secret_access_key.empty()) {
    return fail("MissingCredentials",
                c.access_key_id.empty()
                    ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                    : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  if (c.access_key_id.empty()) {
    return fail("MissingCredentials",
                "AWS credentials not found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(and AWS_SESSION_TOKEN for temporary credentials)");
  }
  return c;
}

std::string resolveEndpoint(std::string_view service, std::string_view region) {
  if (std::string v = envOrEmpty("AWS_ENDPOINT_URL_" + serviceEnvId(service)); !v.empty()) {
    return trimSlash(v);
  }
  if (std::string v = envOrEmpty("AWS_ENDPOINT_URL"); !v.empty()) return trimSlash(v);
  if (service == "iam") return "https://iam.amazonaws.com";
  if (service == "sso") return "https://portal.sso." + std::string(region) + ".amazonaws.com";
  return "https://" + std::string(service) + "." + std::string(region) + ".amazonaws.com";
}

std::string signingRegion(std::string_view service, std::string_view region) {
  if (service == "iam") return "us-east-1";
  return std::string(region);
}

}  // namespace riposte::aws
