// SigV4 against AWS's published vectors: the Signature Version 4 test suite (credentials
// AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service") and the IAM ListUsers
// example of the SigV4 documentation.
#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include "sigv4_suite.h"

namespace riposte::aws {
namespace {

const Credentials& kSuite = suite::kCredentials;
const SystemTime kSuiteTime = suite::kTime;

SigningRequest get(std::string path, Pairs query = {}, Pairs extra = {}) {
  SigningRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  for (auto& h : extra) r.headers.push_back(h);
  return r;
}

class SuiteTest : public ::testing::TestWithParam<suite::Vector> {};

TEST_P(SuiteTest, MatchesPublishedSignature) {
  const suite::Vector& v = GetParam();
  SigV4Result r =
      computeSigV4(suite::signingRequest(v), kSuite, "us-east-1", "service", kSuiteTime);
  EXPECT_EQ(r.signature, v.signature) << v.name << "\n" << r.canonical_request;
  EXPECT_EQ(r.signed_headers, v.signed_headers);
  EXPECT_EQ(r.authorization, v.authorization());
}

INSTANTIATE_TEST_SUITE_P(Aws, SuiteTest, ::testing::ValuesIn(suite::vectors()),
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
  EXPECT_EQ(hexEncode(signingKey(creds.secret_access_key, "20150830", "us-east-1", "iam")),
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

// The worked example of the S3 SigV4 documentation ("Example: GET Object", Authenticating
// Requests: Using the Authorization Header), and S3's canonical URI: the wire path as sent,
// not encoded a second time as for other services.
TEST(SigV4, S3GetObjectDocumentationExampleAndSingleEncodedPath) {
  const Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  const SystemTime t = SystemTime(std::chrono::seconds(1369353600));  // 20130524T000000Z
  SigningRequest req;
  req.method = "GET";
  req.path = "/test.txt";
  req.headers = {
      {"Host", "examplebucket.s3.amazonaws.com"},
      {"Range", "bytes=0-9"},
      {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"x-amz-date", "20130524T000000Z"}};
  SigV4Result r = computeSigV4(req, creds, "us-east-1", "s3", t);
  EXPECT_EQ(r.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  req.path = "/bucket/a%20b/c.txt";
  r = computeSigV4(req, creds, "us-east-1", "s3", t);
  EXPECT_EQ(r.canonical_request.substr(0, r.canonical_request.find('\n', 4)),
            "GET\n/bucket/a%20b/c.txt");
  r = computeSigV4(req, creds, "us-east-1", "ec2", t);  // others: encoded again
  EXPECT_EQ(r.canonical_request.substr(0, r.canonical_request.find('\n', 4)),
            "GET\n/bucket/a%2520b/c.txt");
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
