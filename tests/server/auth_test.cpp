// server/auth.h without a socket: which scope each route needs, tokens (digests only, scopes,
// the rate limit on guesses and its window on a manual clock), SigV4 on the AWS endpoint
// (signed here with aws::signRequest, the signer the AWS test-suite vectors check), the
// browser defenses, `auth: none` off loopback, and new tokens.
#include "server/auth.h"

#include <gtest/gtest.h>

#include "aws/sigv4.h"
#include "core/digest.h"

namespace riposte::server {
namespace {

HttpRequest request(std::string method, std::string path, std::string token = "",
                    std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = path;
  r.path = std::move(path);
  r.headers["host"] = "127.0.0.1:8080";
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  if (r.method != "GET") r.headers["content-type"] = "application/json";
  r.body = std::move(body);
  r.remote = "127.0.0.1:40000";
  return r;
}

int status(const std::variant<Principal, HttpResponse>& v) {
  if (const auto* r = std::get_if<HttpResponse>(&v)) return r->status;
  return 200;
}

AuthSettings settings() {
  AuthSettings s;
  s.tokens.push_back({"alice", sha256Hex("rpt_alice"), {Scope::kRead, Scope::kRespond}});
  s.tokens.push_back({"feeder", sha256Hex("rpt_feeder"), {Scope::kIngest}});
  s.access_keys.push_back({"AKIDRIPOSTE", "s3cret", "eventbridge", {Scope::kIngest}});
  s.regions = {"us-east-1"};
  return s;
}

TEST(Auth, EachRouteNeedsItsScope) {
  auto scope = [](const char* m, const char* p) { return requiredScope(request(m, p)); };
  EXPECT_EQ(scope("GET", "/healthz"), std::nullopt);
  EXPECT_EQ(scope("GET", "/readyz"), std::nullopt);
  EXPECT_EQ(scope("GET", "/v1/approvals/apr-1/link"), std::nullopt);
  EXPECT_EQ(scope("POST", "/v1/approvals/apr-1/link"), std::nullopt);
  EXPECT_EQ(scope("POST", "/v1/events"), Scope::kIngest);
  EXPECT_EQ(scope("GET", "/v1/incidents"), Scope::kRead);
  EXPECT_EQ(scope("GET", "/metrics"), Scope::kRead);
  EXPECT_EQ(scope("GET", "/v1/suppressions"), Scope::kRead);
  EXPECT_EQ(scope("POST", "/v1/suppressions"), Scope::kAdmin);
  EXPECT_EQ(scope("DELETE", "/v1/suppressions/x"), Scope::kAdmin);
  EXPECT_EQ(scope("POST", "/v1/incidents/inc-1/release"), Scope::kRespond);
  EXPECT_EQ(scope("POST", "/v1/approvals/apr-1"), Scope::kRespond);
  EXPECT_EQ(scope("POST", "/v1/reload"), Scope::kAdmin);
  EXPECT_EQ(scope("POST", "/v1/breaker/close"), Scope::kAdmin);
  EXPECT_EQ(scope("POST", "/v1/anything-new"), Scope::kAdmin);  // unknown changes: the most
  auto aws = request("POST", "/");
  aws.headers["x-amz-target"] = "AWSEvents.PutEvents";
  EXPECT_EQ(requiredScope(aws), Scope::kIngest);
  aws.headers["x-amz-target"] = "AWSStepFunctions.SendTaskSuccess";
  EXPECT_EQ(requiredScope(aws), Scope::kRespond);
  aws.headers["x-amz-target"] = "AWSEvents.TestEventPattern";
  EXPECT_EQ(requiredScope(aws), Scope::kRead);
}

TEST(Auth, TokensAreCheckedByDigestAndScope) {
  ManualClock clock(1'000'000);
  Authenticator auth(settings(), "127.0.0.1", 8080, clock);
  EXPECT_EQ(status(auth.check(request("GET", "/healthz"))), 200);
  EXPECT_EQ(status(auth.check(request("GET", "/v1/incidents"))), 401);
  EXPECT_EQ(status(auth.check(request("GET", "/v1/incidents", "rpt_nope"))), 401);
  auto ok = auth.check(request("GET", "/v1/incidents", "rpt_alice"));
  ASSERT_TRUE(std::holds_alternative<Principal>(ok));
  EXPECT_EQ(std::get<Principal>(ok).subject, "alice");
  EXPECT_EQ(std::get<Principal>(ok).via, "token");
  EXPECT_EQ(status(auth.check(request("POST", "/v1/events", "rpt_alice", "{}"))), 403);
  EXPECT_EQ(status(auth.check(request("POST", "/v1/events", "rpt_feeder", "{}"))), 200);
  EXPECT_EQ(status(auth.check(request("POST", "/v1/reload", "rpt_alice"))), 403);
  // The token's digest is what is configured: the digest itself is no token.
  EXPECT_EQ(status(auth.check(request("GET", "/v1/incidents", sha256Hex("rpt_alice")))), 401);
  auto basic = request("GET", "/v1/incidents");
  basic.headers["authorization"] = "Basic YWxpY2U6eA==";
  EXPECT_EQ(status(auth.check(basic)), 401);
  const std::string m = auth.renderMetrics();
  EXPECT_NE(m.find("riposte_api_auth_failures_total{reason=\"missing\"} 1"), std::string::npos);
  EXPECT_NE(m.find("riposte_api_auth_failures_total{reason=\"scope\"} 2"), std::string::npos);
}

TEST(Auth, GuessesAreLimitedPerAddressForAMinute) {
  ManualClock clock(1'000'000);
  Authenticator auth(settings(), "127.0.0.1", 8080, clock);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(status(auth.check(request("GET", "/v1/incidents", "rpt_guess"))), 401);
  EXPECT_EQ(status(auth.check(request("GET", "/v1/incidents", "rpt_alice"))), 429);
  auto other = request("GET", "/v1/incidents", "rpt_alice");
  other.remote = "127.0.0.2:5000";
  EXPECT_EQ(status(auth.check(other)), 200);  // per client address
  clock.advance(std::chrono::seconds(61));
  EXPECT_EQ(status(auth.check(request("GET", "/v1/incidents", "rpt_alice"))), 200);
}

TEST(Auth, SigV4OnTheAwsEndpoint) {
  ManualClock clock(1'700'000'000'000);
  Authenticator auth(settings(), "127.0.0.1", 8080, clock);
  auto signedRequest = [&](const std::string& secret, const std::string& target) {
    aws::SigningRequest s;
    s.method = "POST";
    s.path = "/";
    s.body = R"({"Entries":[]})";
    s.headers = {{"host", "127.0.0.1:8080"},
                 {"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", target}};
    aws::Credentials c;
    c.access_key_id = "AKIDRIPOSTE";
    c.secret_access_key = secret;
    aws::signRequest(
        s, c, "us-east-1", target.starts_with("AWSEvents") ? "events" : "states",
        std::chrono::system_clock::time_point(std::chrono::milliseconds(clock.nowMillis())));
    HttpRequest r;
    r.method = "POST";
    r.target = r.path = "/";
    r.body = s.body;
    r.remote = "127.0.0.1:1";
    for (const auto& [k, v] : s.headers) {
      std::string lk = k;
      for (char& ch : lk) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.headers[lk] = v;
      r.raw_headers.emplace_back(k, v);
    }
    return r;
  };
  auto ok = auth.check(signedRequest("s3cret", "AWSEvents.PutEvents"));
  ASSERT_TRUE(std::holds_alternative<Principal>(ok));
  EXPECT_EQ(std::get<Principal>(ok).subject, "eventbridge");
  EXPECT_EQ(std::get<Principal>(ok).via, "sigv4:AKIDRIPOSTE");
  auto wrong = auth.check(signedRequest("other", "AWSEvents.PutEvents"));
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(wrong));
  EXPECT_EQ(std::get<HttpResponse>(wrong).status, 400);
  EXPECT_NE(std::get<HttpResponse>(wrong).body.find("InvalidSignatureException"),
            std::string::npos);
  // The key may ingest only: a callback needs respond.
  auto cb = auth.check(signedRequest("s3cret", "AWSStepFunctions.SendTaskSuccess"));
  EXPECT_EQ(status(cb), 403);
  // A bearer token is no signature there.
  auto bearer = request("POST", "/", "rpt_alice", "{}");
  bearer.headers["x-amz-target"] = "AWSEvents.TestEventPattern";
  bearer.headers["content-type"] = "application/x-amz-json-1.1";
  for (const auto& [k, v] : bearer.headers) bearer.raw_headers.emplace_back(k, v);
  EXPECT_EQ(status(auth.check(bearer)), 400);  // IncompleteSignatureException
  bearer.raw_headers.clear();                  // no Authorization at all
  EXPECT_EQ(status(auth.check(bearer)), 403);  // MissingAuthenticationTokenException
}

TEST(Auth, BrowserDefenses) {
  ManualClock clock(1'000'000);
  AuthSettings s = settings();
  s.hosts = {"riposte.example.internal"};
  Authenticator auth(std::move(s), "0.0.0.0", 8080, clock);
  auto r = request("GET", "/v1/incidents", "rpt_alice");
  r.headers["host"] = "evil.example:8080";
  EXPECT_EQ(status(auth.check(r)), 421);
  r.headers["host"] = "localhost:8080";
  EXPECT_EQ(status(auth.check(r)), 200);
  r.headers["host"] = "riposte.example.internal";
  EXPECT_EQ(status(auth.check(r)), 200);
  r.headers["host"] = "RIPOSTE.example.internal:8080";
  EXPECT_EQ(status(auth.check(r)), 200);
  auto post = request("POST", "/v1/events", "rpt_feeder", "{}");
  post.headers["content-type"] = "text/plain";
  EXPECT_EQ(status(auth.check(post)), 415);
  post.headers["content-type"] = "application/json; charset=utf-8";
  EXPECT_EQ(status(auth.check(post)), 200);
  post.headers["origin"] = "https://evil.example";
  EXPECT_EQ(status(auth.check(post)), 403);
  post.headers["origin"] = "null";
  EXPECT_EQ(status(auth.check(post)), 403);
  post.headers["origin"] = "https://riposte.example.internal";
  EXPECT_EQ(status(auth.check(post)), 200);
  // The approval link's form is a form; anything else there is refused.
  auto link = request("POST", "/v1/approvals/apr-1/link", "", "t=x");
  EXPECT_EQ(status(auth.check(link)), 415);
  link.headers["content-type"] = "application/x-www-form-urlencoded";
  EXPECT_EQ(status(auth.check(link)), 200);
}

TEST(Auth, NoneOnlyOnLoopback) {
  AuthSettings s;
  s.none = true;
  EXPECT_TRUE(checkListen(s, "127.0.0.1"));
  EXPECT_TRUE(checkListen(s, "::1"));
  EXPECT_TRUE(checkListen(s, "localhost"));
  EXPECT_EQ(checkListen(s, "0.0.0.0").error().code, "InsecureListen");
  EXPECT_EQ(checkListen(s, "10.0.0.5").error().code, "InsecureListen");
  EXPECT_EQ(checkListen(s, "::").error().code, "InsecureListen");
  s.none = false;
  EXPECT_TRUE(checkListen(s, "0.0.0.0"));
  ManualClock clock(0);
  Authenticator open(AuthSettings{true, {}, {}, {}, {"us-east-1"}}, "127.0.0.1", 8080, clock);
  EXPECT_EQ(status(open.check(request("POST", "/v1/reload"))), 200);
}

TEST(Auth, NewTokensAre256RandomBitsAndTheirEntry) {
  auto a = newToken("alice", {Scope::kRead});
  auto b = newToken("alice", {Scope::kRead});
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->token, b->token);
  EXPECT_EQ(a->token.size(), 4u + 43u);
  EXPECT_EQ(a->sha256, sha256Hex(a->token));
  EXPECT_EQ(a->yaml, "- {subject: alice, sha256: " + a->sha256 + ", scopes: [read]}");
  EXPECT_FALSE(newToken("", {Scope::kRead}));
  EXPECT_FALSE(newToken("a b", {Scope::kRead}));
  EXPECT_FALSE(newToken("alice", {}));
}

}  // namespace
}  // namespace riposte::server
