#pragma once
// AWS Signature Version 4 (header signing), as specified in the AWS General Reference and
// checked against AWS's published test-suite vectors (tests/aws/sigv4_test.cpp).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "core/clock.h"

namespace riposte::aws {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// What SigV4 covers of an HTTP request.
struct SigningRequest {
  std::string method = "GET";
  std::string path = "/";  // as sent on the wire (already percent-encoded where needed)
  Pairs query;             // decoded names and values, in any order
  Pairs headers;           // must contain "host"; names in any case
  std::string body;
};

struct SigV4Result {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // the Authorization header value
  std::string signed_headers;
};

// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - _ . ~);
// '/' is kept when `keep_slash`. Uppercase hex.
std::string uriEncode(std::string_view s, bool keep_slash = false);
std::string sha256Hex(std::string_view data);
std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string toHex(std::string_view bytes);
// "20150830T123600Z"
std::string amzDate(SystemTime t);

// The SigV4 derived signing key (raw bytes) for a day ("20150830"), region and service.
std::string signingKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

// Computes the signature of `req` at `time`. Signs every header in `req.headers`; the
// request must already carry the x-amz-date header that matches `time` (signRequest adds it).
// Pure function; thread-safe.
SigV4Result computeSigV4(const SigningRequest& req, const Credentials& creds,
                         std::string_view region, std::string_view service, SystemTime time);

// Adds X-Amz-Date (unless present), X-Amz-Security-Token (when the credentials carry a
// session token) and Authorization to `req.headers`.
void signRequest(SigningRequest& req, const Credentials& creds, std::string_view region,
                 std::string_view service, SystemTime time);

}  // namespace riposte::aws
