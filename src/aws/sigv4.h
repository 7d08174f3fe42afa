#pragma once
// AWS Signature Version 4 (header signing and verifying), as specified in the AWS General
// Reference and checked against AWS's published test-suite vectors (tests/aws/sigv4_test.cpp).

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/digest.h"
#include "core/result.h"

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
using ::riposte::sha256Hex;                                           // core/digest.h
std::string hmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
// "20150830T123600Z"
std::string amzDate(SystemTime t);

// The SigV4 derived signing key (raw bytes) for a day ("20150830"), region and service.
std::string signingKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);

// Computes the signature of `req` at `time`. Signs every header in `req.headers`; the
// request must already carry the x-amz-date header that matches `time` (signRequest adds it).
// The payload hash is the body's SHA-256, or the value of an x-amz-content-sha256 header when
// the request has one (e.g. UNSIGNED-PAYLOAD), as the AWS SDKs sign. The canonical URI is
// `req.path` URI-encoded (a second time), except for service "s3", which signs the wire path
// as it is (S3 does not double-encode).
// Pure function; thread-safe.
SigV4Result computeSigV4(const SigningRequest& req, const Credentials& creds,
                         std::string_view region, std::string_view service, SystemTime time);

// Adds X-Amz-Date (unless present), X-Amz-Security-Token (when the credentials carry a
// session token) and Authorization to `req.headers`.
void signRequest(SigningRequest& req, const Credentials& creds, std::string_view region,
                 std::string_view service, SystemTime time);

// ------------------------------------------------------------------------ verifying
//
// riposte's AWS-compatible endpoints (EventBridge PutEvents, Step Functions SendTask*)
// authenticate requests signed with SigV4 in the Authorization header, as AWS does, so that the
// AWS CLI, the SDKs and EventBridge itself need nothing new. docs/sigv4.md lists every check
// and the error each one gives.
//
//   std::vector<aws::HeaderView> hs;           // every header as received, duplicates too
//   for (auto& f : beast_request) hs.push_back({f.name_string(), f.value()});
//   aws::SigV4RequestView view{method, raw_path, raw_query, hs, body};
//   static const std::vector<std::string> kRegions = {"us-east-1"};
//   auto who = aws::verifySigV4(view, lookup, clock, "events", kRegions);
//   if (!who) reply(aws::sigV4ErrorStatus(who.error().code), who.error());  // JSON __type

// One header as received. `name` in any case.
struct HeaderView {
  std::string_view name;
  std::string_view value;
};

// A received HTTP request as SigV4 sees it, filled by the server without interpreting it:
// `path` and `query` are the request target split at the first '?' (no '?'), as sent, still
// percent-encoded; `headers` lists every header field in the order received, duplicates
// included (they are joined as AWS joins them, and some must not be repeated). The view does
// not own anything: the strings must outlive verifySigV4().
struct SigV4RequestView {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  std::span<const HeaderView> headers;
  std::string_view body;
};

struct VerifiedIdentity {
  std::string access_key_id;
  std::string region;   // from the credential scope, one of the allowed regions
  std::string service;  // the expected service
  // False when the client sent x-amz-content-sha256: UNSIGNED-PAYLOAD: the body is then not
  // covered by the signature and the caller decides whether to accept it.
  bool payload_signed = true;
};

// The credentials riposte accepts for an access key id (secret, and the session token the
// request must carry, empty for none), or nullopt for an unknown key. Called at most once per
// verification, after the request's form, scope and clock window were checked.
using AccessKeyLookup = std::function<std::optional<Credentials>(std::string_view access_key_id)>;

// Error codes, as AWS's JSON-protocol services (EventBridge, Step Functions) name them in
// "__type".
inline constexpr std::string_view kMissingAuthenticationToken =
    "MissingAuthenticationTokenException";
inline constexpr std::string_view kIncompleteSignature = "IncompleteSignatureException";
inline constexpr std::string_view kInvalidSignature = "InvalidSignatureException";
inline constexpr std::string_view kUnrecognizedClient = "UnrecognizedClientException";
// How far the request's date may be from the clock, either way (AWS: 5 minutes).
inline constexpr std::chrono::seconds kSigV4ClockWindow{300};

// Verifies the request's SigV4 Authorization header the way AWS does: the header parsed
// strictly; the credential scope's date (= the request's), region (one of `allowed_regions`;
// none allowed when empty), service (= `service`) and terminator; the request date within
// kSigV4ClockWindow of `clock`; the key known to `keys` and the session token equal to its
// own; then the canonical request rebuilt from what was received and the signature compared
// in constant time. Errors: Error{code, message} with the codes above. Pure (no I/O besides
// `keys`), thread-safe if `keys` is.
Result<VerifiedIdentity> verifySigV4(const SigV4RequestView& req, const AccessKeyLookup& keys,
                                     const Clock& clock, std::string_view service,
                                     std::span<const std::string> allowed_regions);

// The HTTP status AWS's JSON-protocol services answer with for a verifySigV4 error code: 403
// for MissingAuthenticationTokenException, 400 for the others.
int sigV4ErrorStatus(std::string_view code);

}  // namespace riposte::aws
