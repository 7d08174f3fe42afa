// http:invoke (actions/http_invoke.cpp) and connections (actions/connection.h) over a recording
// transport: the request Step Functions' parameters make, each kind of authentication, the
// response shape, the errors, the retries, the dry run, and secrets kept out of every result.
// (tests/integration/test_http_invoke.py runs it in riposte serve against a real receiver.)
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "actions/connection.h"
#include "actions/registry.h"

namespace riposte::actions {
namespace {

constexpr const char* kSecret = "s3cr3t-Zq9-distinctive";

class Recorder : public aws::HttpTransport {
 public:
  Result<aws::HttpResponse> send(const aws::HttpRequest& req) override {
    std::lock_guard lock(mu);
    sent.push_back(req);
    if (replies.empty())
      return aws::HttpResponse{200, {{"content-type", "application/json"}}, "{}"};
    auto r = replies.front();
    replies.pop_front();
    return r;
  }
  std::mutex mu;
  std::vector<aws::HttpRequest> sent;
  std::deque<Result<aws::HttpResponse>> replies;
};

std::string header(const aws::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class HttpInvokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conns.add(Connection{.name = "pd",
                         .auth = Connection::Auth::kApiKey,
                         .header = "Authorization",
                         .value = std::string("Token token=") + kSecret});
    conns.add(Connection{.name = "jira",
                         .auth = Connection::Auth::kBasic,
                         .username = "bot@example.com",
                         .password = kSecret});
    conns.add(Connection{.name = "oauth",
                         .auth = Connection::Auth::kOAuthClientCredentials,
                         .token_url = "https://auth.example.com/token",
                         .client_id = "riposte",
                         .client_secret = kSecret,
                         .scope = "alerts:write"});
    ctx.connections = &conns;
    ctx.http = &http;
    ctx.clock = &clock;
    ctx.action_id = "act-1";
  }
  Result<ActionOutcome> run(const std::string& params) {
    const Action* a = Registry::builtins().find("arn:aws:states:::http:invoke");
    EXPECT_NE(a, nullptr);
    return a->run(*parseJson(params), ctx);
  }
  Connections conns;
  Recorder http;
  ManualClock clock;
  ActionContext ctx;
};

TEST_F(HttpInvokeTest, IsTheBuiltinHttpInvokeANotifyActionWithoutPermissions) {
  Registry r = Registry::builtins();
  const Action* a = r.find("arn:aws:states:::http:invoke");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, r.find("riposte:http.invoke"));
  EXPECT_EQ(a, r.find("arn:aws:states:::http:invoke.waitForTaskToken"));
  EXPECT_EQ(a->descriptor().role, Role::kNotify);
  EXPECT_TRUE(a->descriptor().permissions.empty());
  EXPECT_EQ(a->descriptor().replay, Replay::kRerunDeduplicated);
}

TEST_F(HttpInvokeTest, PostsJsonWithTheApiKeyAndReturnsStepFunctionsShape) {
  http.replies.push_back(
      aws::HttpResponse{202,
                        {{"content-type", "application/json"}, {"x-a", "1"}, {"x-a", "2"}},
                        R"({"status":"success","dedup_key":"inc-1"})"});
  auto r = run(R"({"ApiEndpoint":"https://events.example.com/v2/enqueue","Method":"POST",
      "Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:111122223333:connection/pd/0a1b"},
      "Headers":{"X-Trace":"t1"},"QueryParameters":{"a":"x y","ids":[1,2]},
      "RequestBody":{"dedup_key":"inc-1","event_action":"trigger"}})");
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(http.sent.size(), 1u);
  const auto& s = http.sent[0];
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.url, "https://events.example.com/v2/enqueue?a=x%20y&ids%5B0%5D=1&ids%5B1%5D=2");
  EXPECT_EQ(header(s, "Authorization"), std::string("Token token=") + kSecret);
  EXPECT_EQ(header(s, "Content-Type"), "application/json");
  EXPECT_EQ(header(s, "X-Trace"), "t1");
  EXPECT_EQ(header(s, "Idempotency-Key"), "act-1");
  EXPECT_EQ(*parseJson(s.body), *parseJson(R"({"dedup_key":"inc-1","event_action":"trigger"})"));
  EXPECT_EQ(r->output, *parseJson(R"({"Headers":{"content-type":["application/json"],
      "x-a":["1","2"]},"ResponseBody":{"status":"success","dedup_key":"inc-1"},
      "StatusCode":202,"StatusText":"Accepted"})"));
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(toJson(r->after).find(kSecret), std::string::npos);
  EXPECT_EQ(r->summary.find(kSecret), std::string::npos);
}

TEST_F(HttpInvokeTest, BasicAuthUrlEncodedBodyAndTextResponse) {
  http.replies.push_back(aws::HttpResponse{200, {{"content-type", "text/plain"}}, "ok"});
  auto r = run(R"({"ApiEndpoint":"http://127.0.0.1:9/rest/api/2/issue","Method":"PUT",
      "Authentication":{"ConnectionArn":"riposte:connection/jira"},
      "Transform":{"RequestBodyEncoding":"URL_ENCODED",
                   "RequestEncodingOptions":{"ArrayFormat":"BRACKETS"}},
      "RequestBody":{"k":"a&b=c","l":["x","y"]}})");
  ASSERT_TRUE(r) << r.error().str();
  const auto& s = http.sent.at(0);
  EXPECT_EQ(header(s, "Authorization"),
            "Basic " + base64(std::string("bot@example.com:") + kSecret));
  EXPECT_EQ(header(s, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(s.body, "k=a%26b%3Dc&l%5B%5D=x&l%5B%5D=y");
  EXPECT_EQ(r->output.as_object().at("ResponseBody"), json::value("ok"));
  EXPECT_EQ(base64("Ma"), "TWE=");
  EXPECT_EQ(base64("M"), "TQ==");
  EXPECT_EQ(base64("Man"), "TWFu");
}

TEST_F(HttpInvokeTest, OAuthTokenIsFetchedCachedAndRefreshedAfter401) {
  http.replies.push_back(
      aws::HttpResponse{200, {}, R"({"access_token":"tok-1","expires_in":3600})"});
  http.replies.push_back(aws::HttpResponse{200, {}, ""});
  const std::string p = R"({"ApiEndpoint":"https://api.example.com/x","Method":"GET",
      "Authentication":{"ConnectionArn":"riposte:connection/oauth"}})";
  ASSERT_TRUE(run(p));
  ASSERT_EQ(http.sent.size(), 2u);
  EXPECT_EQ(http.sent[0].url, "https://auth.example.com/token");
  EXPECT_EQ(http.sent[0].body, "grant_type=client_credentials&scope=alerts%3Awrite");
  EXPECT_EQ(header(http.sent[0], "Authorization"),
            "Basic " + base64(std::string("riposte:") + kSecret));
  EXPECT_EQ(header(http.sent[1], "Authorization"), "Bearer tok-1");
  ASSERT_TRUE(run(p));  // cached
  ASSERT_EQ(http.sent.size(), 3u);
  EXPECT_EQ(header(http.sent[2], "Authorization"), "Bearer tok-1");
  // Expired (60 s early): a new token.
  clock.advance(std::chrono::seconds(3541));
  http.replies.push_back(aws::HttpResponse{200, {}, R"({"access_token":"tok-2"})"});
  ASSERT_TRUE(run(p));
  EXPECT_EQ(http.sent.at(3).url, "https://auth.example.com/token");
  EXPECT_EQ(header(http.sent.at(4), "Authorization"), "Bearer tok-2");
  // A 401 with a cached token: fetched again, once.
  http.replies.push_back(aws::HttpResponse{401, {}, ""});
  http.replies.push_back(aws::HttpResponse{200, {}, R"({"access_token":"tok-3"})"});
  http.replies.push_back(aws::HttpResponse{200, {}, ""});
  ASSERT_TRUE(run(p));
  EXPECT_EQ(header(http.sent.at(7), "Authorization"), "Bearer tok-3");
  // A token endpoint that refuses: an error without the secret.
  conns.forgetToken("oauth");
  http.replies.push_back(aws::HttpResponse{400, {}, std::string("bad ") + kSecret});
  auto r = run(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "riposte.ConnectionAuth");
  EXPECT_EQ(r.error().str().find(kSecret), std::string::npos);
}

TEST_F(HttpInvokeTest, StatusErrorsAreStepFunctionsNamesAndOnly5xx429AndTransportRetry) {
  http.replies.push_back(
      aws::HttpResponse{404, {{"content-type", "application/json"}}, R"({"message":"no"})"});
  const std::string p = R"({"ApiEndpoint":"https://api.example.com/x","Method":"POST",
      "Authentication":{"ConnectionArn":"riposte:connection/pd"},"RequestBody":"hi"})";
  auto r = run(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "States.Http.StatusCode.404");
  EXPECT_NE(r.error().message.find("\"StatusCode\":404"), std::string::npos);
  EXPECT_EQ(http.sent.size(), 1u);  // not retried
  EXPECT_EQ(header(http.sent[0], "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(http.sent[0].body, "hi");

  http.sent.clear();
  http.replies.push_back(aws::HttpResponse{503, {{"retry-after", "0"}}, ""});
  http.replies.push_back(aws::HttpResponse{429, {{"retry-after", "0"}}, ""});
  http.replies.push_back(aws::HttpResponse{200, {}, ""});
  r = run(p);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(http.sent.size(), 3u);
  EXPECT_EQ(r->after.as_object().at("attempts").as_array().size(), 3u);
  EXPECT_NE(r->summary.find("after 3 attempts"), std::string::npos);
  // Each attempt carries the same idempotency key.
  EXPECT_EQ(header(http.sent[2], "Idempotency-Key"), "act-1");

  http.sent.clear();
  for (int i = 0; i < 3; ++i)
    http.replies.push_back(Result<aws::HttpResponse>(fail("TransportError", "refused")));
  r = run(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "States.Http.Socket");
  EXPECT_EQ(http.sent.size(), 3u);  // bounded
}

TEST_F(HttpInvokeTest, RefusesWhatWouldLeakOrMisdirect) {
  auto code = [&](const std::string& p) {
    auto r = run(p);
    return r ? std::string("ok") : r.error().code;
  };
  const std::string auth = R"("Authentication":{"ConnectionArn":"riposte:connection/pd"})";
  EXPECT_EQ(code(R"({"ApiEndpoint":"ftp://x/y","Method":"GET",)" + auth + "}"), "InvalidInput");
  EXPECT_EQ(code(R"({"ApiEndpoint":"https://u:p@x/y","Method":"GET",)" + auth + "}"),
            "InvalidInput");
  EXPECT_EQ(code(R"({"ApiEndpoint":"https://x/a b","Method":"GET",)" + auth + "}"), "InvalidInput");
  EXPECT_EQ(code(R"({"ApiEndpoint":"https://x/y","Method":"TRACE",)" + auth + "}"), "InvalidInput");
  EXPECT_EQ(code(R"({"ApiEndpoint":"https://x/y","Method":"GET"})"), "InvalidInput");
  EXPECT_EQ(code(R"({"ApiEndpoint":"https://x/y","Method":"GET",
      "Authentication":{"ConnectionArn":"riposte:connection/nope"}})"),
            "NotConfigured");
  EXPECT_EQ(code(R"({"ApiEndpoint":"https://x/y","Method":"GET",)" + auth +
                 R"(,"Headers":{"Authorization":"x"}})"),
            "InvalidInput");
  EXPECT_EQ(code(R"({"ApiEndpoint":"https://x/y","Method":"GET",)" + auth +
                 R"(,"Headers":{"X":"a\r\nB: c"}})"),
            "InvalidInput");
  EXPECT_TRUE(http.sent.empty());
  EXPECT_EQ(*connectionName("arn:aws:events:eu-west-1:111122223333:connection/pd/uuid"), "pd");
  EXPECT_EQ(*connectionName("riposte:connection/pd"), "pd");
  EXPECT_FALSE(connectionName("arn:aws:events:eu-west-1:111122223333:rule/pd"));
  EXPECT_FALSE(connectionName("riposte:connection/a/b"));
}

TEST_F(HttpInvokeTest, DryRunSendsNothing) {
  ctx.dry_run = true;
  auto r = run(R"({"ApiEndpoint":"https://api.example.com/x","Method":"POST",
      "Authentication":{"ConnectionArn":"riposte:connection/oauth"},"RequestBody":{}})");
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(http.sent.empty());
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(r->output.as_object().at("dryRun"), json::value(true));
  EXPECT_EQ(toJson(r->output).find(kSecret), std::string::npos);
}

}  // namespace
}  // namespace riposte::actions
