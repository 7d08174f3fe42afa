#pragma once
// AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite: credentials
// AKIDEXAMPLE, 2015-08-30T12:36:00Z, region us-east-1, service "service"), each vector as the
// request travels on the wire (the .req file: path and query as sent, headers in order) with
// its published SignedHeaders and signature. The signing tests (sigv4_test.cpp) and the
// verifying tests (sigv4_verify_test.cpp) share it.

#include <string>
#include <vector>

#include "aws/sigv4.h"

namespace riposte::aws::suite {

inline const Credentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      ""};
inline const SystemTime kTime = SystemTime(std::chrono::seconds(1440938160));  // 20150830T123600Z
inline constexpr const char* kRegion = "us-east-1";
inline constexpr const char* kService = "service";
inline constexpr const char* kToken =
    "AQoDYXdzEPT//////////"
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx"
    "7"
    "mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx"
    "6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr"
    "4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

struct Vector {
  std::string name;
  std::string method, path, query;  // as sent (query without '?')
  Pairs headers;                    // without Authorization
  std::string body;
  std::string signed_headers, signature;

  // The Authorization header the suite's .authz file holds.
  std::string authorization() const {
    return std::string(
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
               "aws4_request, SignedHeaders=") +
           signed_headers + ", Signature=" + signature;
  }
};

inline std::vector<Vector> vectors() {
  const Pairs base = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  auto with = [&](Pairs extra) {
    Pairs h = base;
    for (auto& e : extra) h.push_back(std::move(e));
    return h;
  };
  const std::string unreserved =
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return {
      {"get-vanilla", "GET", "/", "", base, "", "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", base, "",
       "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-unreserved", "GET", "/", unreserved + "=" + unreserved, base, "",
       "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      // The suite's request line holds the raw UTF-8 bytes.
      {"get-vanilla-utf8-query", "GET", "/", "\xE1\x88\xB4=bar", base, "", "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved", "GET", "/" + unreserved, "", base, "", "host;x-amz-date",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "GET", "/\xE1\x88\xB4", "", base, "", "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-header-key-duplicate", "GET", "/", "",
       with({{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}), "",
       "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-trim", "GET", "/", "",
       with({{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}), "",
       "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla", "POST", "/", "", base, "", "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query", "POST", "/", "Param1=value1", base, "", "host;x-amz-date",
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      // The suite's .req writes this query unencoded ("@#$%^&+=/,?><`\";:\\|][{}"), which no
      // HTTP client sends; here it is percent-encoded as a client encodes it.
      {"post-vanilla-query-nonunreserved", "POST", "/",
       "%40%23%24%25%5E&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D", base, "",
       "host;x-amz-date", "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
      {"post-header-value-case", "POST", "/", "", with({{"My-Header1", "VALUE1"}}), "",
       "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-sts-header-before", "POST", "/", "", with({{"X-Amz-Security-Token", kToken}}), "",
       "host;x-amz-date;x-amz-security-token",
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
      {"post-x-www-form-urlencoded", "POST", "/", "",
       with({{"Content-Type", "application/x-www-form-urlencoded"}}), "Param1=value1",
       "content-type;host;x-amz-date",
       "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters", "POST", "/", "",
       with({{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}}), "Param1=value1",
       "content-type;host;x-amz-date",
       "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
  };
}

// The query's parameters decoded (%XX; '+' is a '+'), as SigningRequest takes them.
inline Pairs decodeQuery(const std::string& raw) {
  auto decode = [](const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  Pairs q;
  std::size_t start = 0;
  while (!raw.empty() && start <= raw.size()) {
    std::size_t end = raw.find('&', start);
    if (end == std::string::npos) end = raw.size();
    std::string part = raw.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    std::size_t eq = part.find('=');
    q.emplace_back(decode(part.substr(0, eq)),
                   eq == std::string::npos ? "" : decode(part.substr(eq + 1)));
  }
  return q;
}

// The vector as computeSigV4 takes it.
inline SigningRequest signingRequest(const Vector& v) {
  SigningRequest r;
  r.method = v.method;
  r.path = v.path;
  r.query = decodeQuery(v.query);
  r.headers = v.headers;
  r.body = v.body;
  return r;
}

}  // namespace riposte::aws::suite
