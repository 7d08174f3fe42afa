// SigV4 against AWS's published vectors: the Signature Version 4 test suite (credentials
// AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service") and the IAM ListUsers
// example of the SigV4 documentation.
#include "aws/sigv4.h"

#include <gtest/gtest.h>

namespace riposte::aws {
namespace {

const Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const SystemTime kSuiteTime = SystemTime(std::chrono::seconds(1440938160));  // 20150830T123600Z

struct Vector {
  const char* name;
  SigningRequest req;
  const char* signed_headers;
  const char* signature;
};

SigningRequest get(std::string path, Pairs query = {}, Pairs extra = {}) {
  SigningRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  for (auto& h : extra) r.headers.push_back(h);
  return r;
}

SigningRequest post(Pairs query = {}, Pairs extra = {}, std::string body = "") {
  SigningRequest r = get("/", std::move(query), std::move(extra));
  r.method = "POST";
  r.body = std::move(body);
  return r;
}

class SuiteTest : public ::testing::TestWithParam<Vector> {};

TEST_P(SuiteTest, MatchesPublishedSignature) {
  const Vector& v = GetParam();
  SigV4Result r = computeSigV4(v.req, kSuite, "us-east-1", "service", kSuiteTime);
  EXPECT_EQ(r.signature, v.signature) << v.name << "\n" << r.canonical_request;
  EXPECT_EQ(r.signed_headers, v.signed_headers);
  EXPECT_EQ(r.authorization,
            std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                        "aws4_request, SignedHeaders=") +
                v.signed_headers + ", Signature=" + v.signature);
}

INSTANTIATE_TEST_SUITE_P(
    Aws, SuiteTest,
    ::testing::Values(
        Vector{"get-vanilla", get("/"), "host;x-amz-date",
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        Vector{"get-vanilla-query-order-key-case",
               get("/", {{"Param2", "value2"}, {"Param1", "value1"}}), "host;x-amz-date",
               "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        Vector{"get-vanilla-query-unreserved",
               get("/", {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                          "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}}),
               "host;x-amz-date",
               "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        Vector{"get-vanilla-utf8-query", get("/", {{"\xE1\x88\xB4", "bar"}}), "host;x-amz-date",
               "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        Vector{"get-unreserved",
               get("/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
               "host;x-amz-date",
               "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        Vector{"get-utf8", get("/\xE1\x88\xB4"), "host;x-amz-date",
               "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        Vector{"get-header-key-duplicate",
               get("/", {},
                   {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
               "host;my-header1;x-amz-date",
               "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        Vector{"get-header-value-trim",
               get("/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}),
               "host;my-header1;my-header2;x-amz-date",
               "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        Vector{"post-vanilla", post(), "host;x-amz-date",
               "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        Vector{"post-vanilla-query", post({{"Param1", "value1"}}), "host;x-amz-date",
               "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
        Vector{"post-vanilla-query-nonunreserved",
               post({{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}}), "host;x-amz-date",
               "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
        Vector{"post-header-value-case", post({}, {{"My-Header1", "VALUE1"}}),
               "host;my-header1;x-amz-date",
               "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
        Vector{"post-sts-header-before",
               post({}, {{"X-Amz-Security-Token",
                          "AQoDYXdzEPT//////////"
                          "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpS"
                          "PfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phU"
                          "ZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+"
                          "xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvK"
                          "Tr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="}}),
               "host;x-amz-date;x-amz-security-token",
               "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
        Vector{"post-x-www-form-urlencoded",
               post({}, {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1"),
               "content-type;host;x-amz-date",
               "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
        Vector{"post-x-www-form-urlencoded-parameters",
               post({}, {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}},
                    "Param1=value1"),
               "content-type;host;x-amz-date",
               "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& c : n) c = (c == '-') ? '_' : c;
      return n;
    });

TEST(SigV4, GetVanillaCanonicalRequestAndStringToSign) {
  SigV4Result r = computeSigV4(get("/"), kSuite, "us-east-1", "service", kSuiteTime);
  EXPECT_EQ(r.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(r.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

// The worked example of the SigV4 documentation: IAM ListUsers.
TEST(SigV4, IamListUsersDocumentationExample) {
  const Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  EXPECT_EQ(toHex(signingKey(creds.secret_access_key, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  SigningRequest req;
  req.method = "GET";
  req.path = "/";
  req.query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}};
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"Host", "iam.amazonaws.com"},
                 {"X-Amz-Date", "20150830T123600Z"}};
  SigV4Result r = computeSigV4(req, creds, "us-east-1", "iam", kSuiteTime);
  EXPECT_EQ(sha256Hex(r.canonical_request),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(r.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  EXPECT_EQ(r.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, SignRequestAddsDateTokenAndAuthorization) {
  SigningRequest req;
  req.method = "POST";
  req.headers = {{"Host", "127.0.0.1:5055"}};
  signRequest(req, Credentials{"AKID", "SECRET", "TOKEN"}, "eu-west-1", "ec2", kSuiteTime);
  auto find = [&](std::string_view n) -> std::string {
    for (auto& [k, v] : req.headers)
      if (k == n) return v;
    return "";
  };
  EXPECT_EQ(find("X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(find("X-Amz-Security-Token"), "TOKEN");
  EXPECT_NE(find("Authorization")
                .find("Credential=AKID/20150830/eu-west-1/ec2/aws4_request, "
                      "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="),
            std::string::npos);
}

TEST(SigV4, UriEncode) {
  EXPECT_EQ(uriEncode("a b/c~d*"), "a%20b%2Fc~d%2A");
  EXPECT_EQ(uriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(uriEncode("203.0.113.5/32"), "203.0.113.5%2F32");
}

}  // namespace
}  // namespace riposte::aws
