// The AWS client against a fake transport: protocols, error shapes, retries.
#include "aws/client.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

namespace riposte::aws {
namespace {

class FakeTransport : public HttpTransport {
 public:
  Result<HttpResponse> send(const HttpRequest& req) override {
    std::lock_guard lock(mu_);
    requests.push_back(req);
    if (responses.empty()) return fail("TransportError", "no scripted response");
    auto r = responses.front();
    responses.pop_front();
    return r;
  }
  void add(long status, std::string body, Pairs headers = {}) {
    responses.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  void addTransportError() { responses.push_back(fail("TransportError", "connection reset")); }

  std::string header(size_t i, std::string_view name) const {
    for (auto& [k, v] : requests.at(i).headers)
      if (k == name) return v;
    return "";
  }

  std::mutex mu_;
  std::deque<Result<HttpResponse>> responses;
  std::vector<HttpRequest> requests;
};

struct ClientFixture : ::testing::Test {
  std::shared_ptr<FakeTransport> fake = std::make_shared<FakeTransport>();
  std::vector<std::chrono::milliseconds> sleeps;
  ManualClock clock{1440938160000};

  Client make(int attempts = 4) {
    RetryPolicy p;
    p.max_attempts = attempts;
    p.base_delay = std::chrono::milliseconds(100);
    p.max_delay = std::chrono::milliseconds(1000);
    p.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
    Client c(Credentials{"AKID", "SECRET", ""}, p, fake);
    c.setClock(&clock);
    c.setEndpointResolver(
        [](std::string_view, std::string_view) { return std::string("http://127.0.0.1:5055/"); });
    return c;
  }
};

const char* kEc2NotFound =
    R"(<?xml version="1.0" encoding="utf-8"?>
<Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>The instance ID 'i-0123456789abcdef0' does not exist</Message></Error></Errors><RequestID>request-id</RequestID></Response>)";

TEST_F(ClientFixture, QueryRequestIsFormEncodedSignedAndParsed) {
  fake->add(200, R"(<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15">
<requestId>r</requestId><vpcSet><item><vpcId>vpc-1</vpcId><tagSet/></item></vpcSet>
</DescribeVpcsResponse>)",
            {{"content-type", "text/html; charset=utf-8"}});
  Client c = make();
  auto r =
      c.queryJson({.service = "ec2",
                   .region = "eu-west-1",
                   .action = "DescribeVpcs",
                   .params = {{"Filter.1.Name", "cidr"}, {"Filter.1.Value.1", "10.0.0.0/16"}}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(toJson(*r), R"({"requestId":"r","vpcSet":[{"vpcId":"vpc-1","tagSet":[]}]})");
  ASSERT_EQ(fake->requests.size(), 1u);
  const HttpRequest& req = fake->requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "http://127.0.0.1:5055/");
  EXPECT_EQ(req.body,
            "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=cidr&Filter.1.Value.1=10.0.0.0%"
            "2F16");
  EXPECT_EQ(fake->header(0, "Host"), "127.0.0.1:5055");
  EXPECT_EQ(fake->header(0, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(fake->header(0, "Authorization")
                .rfind("AWS4-HMAC-SHA256 Credential=AKID/20150830/eu-west-1/ec2/aws4_request, "
                       "SignedHeaders=content-type;host;x-amz-date, Signature=",
                       0),
            0u);
  // The signature is the one computeSigV4 gives for exactly what was sent.
  SigningRequest s{"POST", "/", {}, {}, req.body};
  s.headers = {{"Host", "127.0.0.1:5055"},
               {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"X-Amz-Date", "20150830T123600Z"}};
  auto expected = computeSigV4(s, *c.credentials(), "eu-west-1", "ec2", clock.now());
  EXPECT_EQ(fake->header(0, "Authorization"), expected.authorization);
}

TEST_F(ClientFixture, IamSignsWithUsEast1) {
  fake->add(200,
            "<ListUsersResponse><ListUsersResult><Users/></ListUsersResult></ListUsersResponse>");
  Client c = make();
  auto r = c.query({.service = "iam", .region = "eu-west-3", .action = "ListUsers"});
  ASSERT_TRUE(r);
  EXPECT_NE(fake->header(0, "Authorization").find("/us-east-1/iam/aws4_request"),
            std::string::npos);
  EXPECT_NE(fake->requests[0].body.find("Version=2010-05-08"), std::string::npos);
}

TEST_F(ClientFixture, Ec2ErrorBecomesAwsCodeAndIsNotRetried) {
  fake->add(400, kEc2NotFound, {{"content-type", "text/xml"}});
  Client c = make();
  auto r = c.query({.service = "ec2", .region = "us-east-1", .action = "DescribeInstances"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(r.error().message, "The instance ID 'i-0123456789abcdef0' does not exist");
  EXPECT_EQ(fake->requests.size(), 1u);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(ClientFixture, ThrottlingIsRetriedWithBoundedJitteredBackoff) {
  const char* throttled =
      "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
      "exceeded.</Message></Error></Errors></Response>";
  fake->add(503, throttled);
  fake->add(400, throttled);
  fake->add(200, "<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>");
  Client c = make();
  auto r = c.query({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(fake->requests.size(), 3u);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_LE(sleeps[0].count(), 100);  // full jitter within [0, base]
  EXPECT_LE(sleeps[1].count(), 200);  // then [0, 2*base]
  // Each attempt is signed afresh (a new X-Amz-Date would be used as time moves).
  EXPECT_FALSE(fake->header(2, "Authorization").empty());
}

TEST_F(ClientFixture, BackoffIsCappedAndAttemptsBounded) {
  for (int i = 0; i < 10; ++i) fake->add(500, "<html><body>Internal Server Error</body></html>");
  Client c = make(6);
  auto r = c.query({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "InternalFailure");
  EXPECT_NE(r.error().message.find("after 6 attempts"), std::string::npos);
  EXPECT_EQ(fake->requests.size(), 6u);
  ASSERT_EQ(sleeps.size(), 5u);
  for (auto d : sleeps) EXPECT_LE(d.count(), 1000);
}

TEST_F(ClientFixture, JitterSpreadsDelays) {
  for (int i = 0; i < 40; ++i) fake->add(503, "");
  Client c = make(41);
  (void)c.query({.service = "ec2", .region = "us-east-1", .action = "DescribeVpcs"});
  std::set<int64_t> distinct;
  for (auto d : sleeps) distinct.insert(d.count());
  EXPECT_GT(distinct.size(), 5u);  // not a fixed schedule
}

TEST_F(ClientFixture, TransportErrorsAreRetried) {
  fake->addTransportError();
  fake->add(200, R"({"ok":true})", {{"content-type", "text/html; charset=utf-8"}});
  Client c = make();
  auto r = c.jsonRpc({.service = "wafv2",
                      .region = "us-east-1",
                      .action = "AWSWAF_20190729.ListIPSets",
                      .body = {{"Scope", "REGIONAL"}}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_EQ(toJson(*r), R"({"ok":true})");
  EXPECT_EQ(fake->requests.size(), 2u);
  EXPECT_EQ(fake->header(1, "X-Amz-Target"), "AWSWAF_20190729.ListIPSets");
  EXPECT_EQ(fake->header(1, "Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(fake->requests[1].body, R"({"Scope":"REGIONAL"})");
  EXPECT_NE(fake->header(1, "Authorization").find("content-type;host;x-amz-date;x-amz-target"),
            std::string::npos);
}

TEST_F(ClientFixture, OtherClientErrorsAreNotRetried) {
  fake->add(400, R"({"__type":"WAFNonexistentItemException","message":"gone"})");
  Client c = make();
  auto r = c.jsonRpc({.service = "wafv2", .region = "us-east-1", .action = "X.GetIPSet"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "WAFNonexistentItemException");
  EXPECT_EQ(r.error().message, "gone");
  EXPECT_EQ(fake->requests.size(), 1u);
}

TEST_F(ClientFixture, RestJsonPathQueryAndEmptyBody) {
  fake->add(200, "");
  Client c = make();
  auto r = c.restJson({.service = "guardduty",
                       .region = "us-east-1",
                       .action = "GetFilter",
                       .method = "GET",
                       .path = "/detector/d1/filter/f%201",
                       .query = {{"a", "b c"}}});
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_TRUE(r->is_object() && r->as_object().empty());
  EXPECT_EQ(fake->requests[0].url, "http://127.0.0.1:5055/detector/d1/filter/f%201?a=b%20c");
  EXPECT_EQ(fake->requests[0].method, "GET");
  EXPECT_EQ(fake->header(0, "Content-Type"), "");
}

TEST(ErrorParsing, EveryShapeMotoAndAwsUse) {
  auto parse = [](long status, std::string body, Pairs h = {}) {
    return parseAwsError(HttpResponse{status, std::move(h), std::move(body)});
  };
  // EC2 Query.
  Error e = parse(400, kEc2NotFound);
  EXPECT_EQ(e.code, "InvalidInstanceID.NotFound");
  // IAM / SNS / STS Query, with leading whitespace, both <Message> and <message>.
  e = parse(404,
            "\n<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>"
            "Sender</Type><Code>NoSuchEntity</Code><Message>The Access Key with id AKIANOPE "
            "cannot be found</Message><message>x</message></Error><RequestId>hd5M</RequestId>"
            "</ErrorResponse>");
  EXPECT_EQ(e.code, "NoSuchEntity");
  EXPECT_EQ(e.message, "The Access Key with id AKIANOPE cannot be found");
  // JSON with namespaced __type (SQS JSON 1.0).
  e = parse(400, R"({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "nope"})");
  EXPECT_EQ(e.code, "QueueDoesNotExist");
  EXPECT_EQ(e.message, "nope");
  // Security Hub: capital Message and Code.
  e = parse(400,
            R"({"__type":"InvalidInputException","Message":"bad","Code":"InvalidInputException"})");
  EXPECT_EQ(e.code, "InvalidInputException");
  EXPECT_EQ(e.message, "bad");
  // GuardDuty: header (any case) wins over the body, as in botocore.
  e = parse(400, R"({"__type":"InvalidInputException","message":"m"})",
            {{"X-Amzn-Errortype", "BadRequestException:http://internal.amazon.com/coral/"}});
  EXPECT_EQ(e.code, "BadRequestException");
  EXPECT_EQ(e.message, "m");
  // Header only, empty body.
  e = parse(403, "", {{"x-amzn-errortype", "AccessDeniedException"}});
  EXPECT_EQ(e.code, "AccessDeniedException");
  // HTML 500 (moto NotImplemented) and HTML 404.
  e = parse(500, "<!doctype html><html><title>500 Internal Server Error</title></html>");
  EXPECT_EQ(e.code, "InternalFailure");
  EXPECT_NE(e.message.find("HTTP 500"), std::string::npos);
  e = parse(404, "<html><body>Not Found</body></html>");
  EXPECT_EQ(e.code, "HttpError404");
  // Auth failure as XML for a JSON service.
  e = parse(403,
            "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>sig</Message></Error>"
            "</ErrorResponse>");
  EXPECT_EQ(e.code, "SignatureDoesNotMatch");
  // Garbage.
  e = parse(400, "{not json");
  EXPECT_EQ(e.code, "HttpError400");
}

TEST(ErrorParsing, Retryability) {
  EXPECT_TRUE(isRetryableError({"RequestLimitExceeded", ""}, 503));
  EXPECT_TRUE(isRetryableError({"Throttling", ""}, 400));
  EXPECT_TRUE(isRetryableError({"ThrottlingException", ""}, 400));
  EXPECT_TRUE(isRetryableError({"TooManyRequestsException", ""}, 429));
  EXPECT_TRUE(isRetryableError({"TransportError", ""}, 0));
  EXPECT_TRUE(isRetryableError({"Whatever", ""}, 502));
  EXPECT_FALSE(isRetryableError({"InvalidInstanceID.NotFound", ""}, 400));
  EXPECT_FALSE(isRetryableError({"AccessDenied", ""}, 403));
  EXPECT_FALSE(isRetryableError({"LimitExceeded", ""}, 409));  // IAM quota, not throttling
}

TEST(Endpoints, ResolvesLikeTheAwsCli) {
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_EC2");
  unsetenv("AWS_ENDPOINT_URL_SECURITYHUB");
  EXPECT_EQ(resolveEndpoint("ec2", "eu-west-1"), "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolveEndpoint("iam", "eu-west-1"), "https://iam.amazonaws.com");
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/", 1);
  EXPECT_EQ(resolveEndpoint("ec2", "eu-west-1"), "http://127.0.0.1:9");
  setenv("AWS_ENDPOINT_URL_SECURITYHUB", "http://127.0.0.1:7", 1);
  EXPECT_EQ(resolveEndpoint("securityhub", "us-east-1"), "http://127.0.0.1:7");
  EXPECT_EQ(resolveEndpoint("ec2", "us-east-1"), "http://127.0.0.1:9");
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_SECURITYHUB");
}

TEST(Credentials, FromEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", "AKIA1", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
  unsetenv("AWS_SESSION_TOKEN");
  auto c = credentialsFromEnvironment();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->access_key_id, "AKIA1");
  EXPECT_TRUE(c->session_token.empty());
  unsetenv("AWS_SECRET_ACCESS_KEY");
  auto missing = credentialsFromEnvironment();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "MissingCredentials");
}

TEST(Xml, ToJsonShapes) {
  auto d = XmlDocument::parse(
      "<R><a>1</a><list><member><x>1</x></member><member><x>2</x></member></list>"
      "<groupSet/><e/><rep>1</rep><rep>2</rep></R>");
  ASSERT_TRUE(d);
  EXPECT_EQ(toJson(d->toJson()),
            R"({"a":"1","list":[{"x":"1"},{"x":"2"}],"groupSet":[],"e":"","rep":["1","2"]})");
  EXPECT_EQ(d->text("list/member/x"), "1");
  EXPECT_FALSE(XmlDocument::parse("<a><b></a>"));
}

}  // namespace
}  // namespace riposte::aws
