#include "aws/client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "core/log.h"

namespace riposte::aws {
namespace {

struct UrlParts {
  std::string scheme, authority, base_path;
};

// Splits "https://host:port/base" (no query) into its parts.
UrlParts splitUrl(const std::string& url) {
  UrlParts p;
  auto sep = url.find("://");
  std::string rest = url;
  if (sep != std::string::npos) {
    p.scheme = url.substr(0, sep);
    rest = url.substr(sep + 3);
  } else {
    p.scheme = "https";
  }
  auto slash = rest.find('/');
  p.authority = rest.substr(0, slash);
  p.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!p.base_path.empty() && p.base_path.back() == '/') p.base_path.pop_back();
  // Drop the default port (curl leaves it out of Host; the signature must match).
  auto strip = [&](std::string_view suffix) {
    if (p.authority.size() > suffix.size() &&
        p.authority.compare(p.authority.size() - suffix.size(), suffix.size(), suffix) == 0) {
      p.authority.erase(p.authority.size() - suffix.size());
    }
  };
  if (p.scheme == "https") strip(":443");
  if (p.scheme == "http") strip(":80");
  return p;
}

uint64_t randomBelow(uint64_t n) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (n == 0) return 0;
  return std::uniform_int_distribution<uint64_t>(0, n)(rng);
}

}  // namespace

std::string defaultApiVersion(std::string_view service) {
  if (service == "ec2") return "2016-11-15";
  if (service == "iam") return "2010-05-08";
  if (service == "sns") return "2010-03-31";
  if (service == "sts") return "2011-06-15";
  if (service == "sqs") return "2012-11-05";
  return "";
}

std::string formEncode(const Pairs& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += uriEncode(k) + "=" + uriEncode(v);
  }
  return out;
}

Client::Client(Credentials creds, RetryPolicy policy, std::shared_ptr<HttpTransport> transport)
    : Client(std::make_shared<StaticCredentialsProvider>(std::move(creds)), std::move(policy),
             std::move(transport)) {}

Client::Client(std::shared_ptr<CredentialsProvider> credentials, RetryPolicy policy,
               std::shared_ptr<HttpTransport> transport)
    : provider_(std::move(credentials)),
      policy_(std::move(policy)),
      transport_(transport ? std::move(transport) : makeCurlTransport()),
      clock_(&SystemClock::instance()),
      endpoint_resolver_(
          [](std::string_view s, std::string_view r) { return resolveEndpoint(s, r); }) {
  if (policy_.max_attempts < 1) policy_.max_attempts = 1;
}

std::shared_ptr<Client> Client::withCredentials(Credentials creds) const {
  return withCredentialsProvider(std::make_shared<StaticCredentialsProvider>(std::move(creds)));
}

std::shared_ptr<Client> Client::withCredentialsProvider(
    std::shared_ptr<CredentialsProvider> provider) const {
  auto c = std::make_shared<Client>(std::move(provider), policy_, transport_);
  c->clock_ = clock_;
  c->endpoint_resolver_ = endpoint_resolver_;
  return c;
}

Result<Credentials> Client::credentials() const {
  if (!provider_) return fail("MissingCredentials", "this AWS client has no credentials");
  return provider_->get();
}

std::chrono::milliseconds Client::backoff(int attempt) const {
  // Full jitter: uniform in [0, min(max_delay, base * 2^(attempt-1))].
  int64_t cap = policy_.base_delay.count();
  for (int i = 1; i < attempt && cap < policy_.max_delay.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, policy_.max_delay.count());
  return std::chrono::milliseconds(static_cast<int64_t>(randomBelow(static_cast<uint64_t>(cap))));
}

Result<HttpResponse> Client::send(const Call& call, const std::string& method,
                                  const std::string& path, const Pairs& query,
                                  const std::string& body, const std::string& content_type,
                                  const Pairs& extra_headers) const {
  const UrlParts url = splitUrl(endpoint_resolver_(call.service, call.region));
  const std::string full_path = url.base_path + (path.empty() ? "/" : path);
  std::string url_str = url.scheme + "://" + url.authority + full_path;
  if (!query.empty()) url_str += "?" + formEncode(query);
  const std::string region = signingRegion(call.service, call.region);

  Error last;
  for (int attempt = 1;; ++attempt) {
    SigningRequest sreq;
    sreq.method = method;
    sreq.path = full_path;
    sreq.query = query;
    sreq.body = body;
    sreq.headers.emplace_back("Host", url.authority);
    if (!content_type.empty()) sreq.headers.emplace_back("Content-Type", content_type);
    for (const auto& h : extra_headers) sreq.headers.push_back(h);
    for (const auto& h : call.headers) sreq.headers.push_back(h);
    if (call.sign) {
      // One consistent set per attempt, asked for just before signing.
      Result<Credentials> creds = credentials();
      if (!creds) {
        return fail(creds.error().code,
                    call.service + " " + call.action + ": " + creds.error().message);
      }
      signRequest(sreq, *creds, region, call.service, clock_->now());
    }

    HttpRequest req{method, url_str, std::move(sreq.headers), body, ""};
    Result<HttpResponse> resp = transport_->send(req);
    long status = 0;
    if (resp) {
      status = resp->status;
      if (status >= 200 && status < 300) return resp;
      if (status == 304 && call.accept_not_modified) return resp;
      last = parseAwsError(*resp);
    } else {
      last = resp.error();
    }
    if (attempt >= policy_.max_attempts || !isRetryableError(last, status)) {
      if (attempt > 1) last.message += " (after " + std::to_string(attempt) + " attempts)";
      return fail(std::move(last));
    }
    const auto delay = backoff(attempt);
    logWarn("aws call retried", {{"service", call.service},
                                 {"action", call.action},
                                 {"code", last.code},
                                 {"attempt", std::to_string(attempt)},
                                 {"delay_ms", std::to_string(delay.count())}});
    if (policy_.sleep) {
      policy_.sleep(delay);
    } else {
      std::this_thread::sleep_for(delay);
    }
  }
}

Result<XmlDocument> Client::query(const Call& call) const {
  Pairs params;
  params.reserve(call.params.size() + 2);
  params.emplace_back("Action", call.action);
  std::string version = call.version.empty() ? defaultApiVersion(call.service) : call.version;
  if (!version.empty()) params.emplace_back("Version", version);
  for (const auto& p : call.params) params.push_back(p);
  auto resp = send(call, "POST", "/", {}, formEncode(params),
                   "application/x-www-form-urlencoded; charset=utf-8", {});
  if (!resp) return fail(resp.error());
  return XmlDocument::parse(resp->body);
}

Result<json::value> Client::queryJson(const Call& call) const {
  auto doc = query(call);
  if (!doc) return fail(doc.error());
  return doc->toJson();
}

namespace {
Result<json::value> parseBody(const HttpResponse& resp, const Call& call) {
  std::string_view b = resp.body;
  while (!b.empty() && (b.front() == ' ' || b.front() == '\n' || b.front() == '\r')) {
    b.remove_prefix(1);
  }
  if (b.empty()) return json::value(json::object());
  auto v = parseJson(b, 128);
  if (!v) {
    return fail("MalformedResponse",
                call.service + " " + call.action + ": invalid JSON response: " + v.error().message);
  }
  return v;
}
}  // namespace

Result<json::value> Client::jsonRpc(const Call& call) const {
  std::string body = call.body.is_null() ? "{}" : toJson(call.body);
  auto resp = send(call, "POST", "/", {}, body, "application/x-amz-json-" + call.json_version,
                   {{"X-Amz-Target", call.action}});
  if (!resp) return fail(resp.error());
  return parseBody(*resp, call);
}

Result<json::value> Client::restJson(const Call& call) const {
  std::string body = call.body.is_null() ? "" : toJson(call.body);
  auto resp = send(call, call.method, call.path, call.query, body,
                   body.empty() ? "" : "application/json", {});
  if (!resp) return fail(resp.error());
  return parseBody(*resp, call);
}

}  // namespace riposte::aws
