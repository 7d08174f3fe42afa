#include "aws/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "core/text.h"

namespace riposte::aws {
namespace {

// Trims and collapses runs of spaces to one (SigV4 header value canonicalisation).
std::string canonicalHeaderValue(std::string_view v) {
  std::string out;
  bool in_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

bool hasHeader(const Pairs& headers, std::string_view lname) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return text::asciiLower(h.first) == lname; });
}

}  // namespace

std::string uriEncode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string amzDate(SystemTime t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string signingKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = hmacSha256("AWS4" + std::string(secret), date);
  k = hmacSha256(k, region);
  k = hmacSha256(k, service);
  return hmacSha256(k, "aws4_request");
}

namespace {

// The pieces of SigV4 that signing and verifying share.

// Canonical query string: encoded names and values, sorted by name then value.
std::string canonicalQuery(std::vector<std::pair<std::string, std::string>> encoded) {
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string credentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  return std::string(date) + "/" + std::string(region) + "/" + std::string(service) +
         "/aws4_request";
}

std::string canonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string r;
  r.reserve(method.size() + canonical_uri.size() + canonical_query.size() +
            canonical_headers.size() + signed_headers.size() + payload_hash.size() + 8);
  r.append(method).append("\n").append(canonical_uri).append("\n").append(canonical_query);
  r.append("\n").append(canonical_headers).append("\n").append(signed_headers).append("\n");
  r.append(payload_hash);
  return r;
}

std::string stringToSign(std::string_view datetime, std::string_view scope,
                         std::string_view canonical_request) {
  return "AWS4-HMAC-SHA256\n" + std::string(datetime) + "\n" + std::string(scope) + "\n" +
         sha256Hex(canonical_request);
}

}  // namespace

SigV4Result computeSigV4(const SigningRequest& req, const Credentials& creds,
                         std::string_view region, std::string_view service, SystemTime time) {
  SigV4Result r;
  const std::string datetime = amzDate(time);
  const std::string date = datetime.substr(0, 8);

  std::vector<std::pair<std::string, std::string>> q;
  q.reserve(req.query.size());
  for (const auto& [k, v] : req.query) q.emplace_back(uriEncode(k), uriEncode(v));
  const std::string cquery = canonicalQuery(std::move(q));

  // Canonical headers: lowercase names, sorted; repeated headers joined with commas.
  std::map<std::string, std::string> hs;
  for (const auto& [k, v] : req.headers) {
    std::string name = text::asciiLower(k);
    std::string value = canonicalHeaderValue(v);
    auto it = hs.find(name);
    if (it == hs.end()) {
      hs.emplace(std::move(name), std::move(value));
    } else {
      it->second += "," + value;
    }
  }
  std::string cheaders;
  for (const auto& [k, v] : hs) {
    cheaders += k + ":" + v + "\n";
    if (!r.signed_headers.empty()) r.signed_headers += ';';
    r.signed_headers += k;
  }

  // The payload hash: what x-amz-content-sha256 declares (UNSIGNED-PAYLOAD, or the hash of a
  // body the caller hashed itself), else the body's.
  auto declared = hs.find("x-amz-content-sha256");
  const std::string payload_hash = declared != hs.end() ? declared->second : sha256Hex(req.body);
  std::string path = req.path.empty() ? "/" : req.path;
  // The canonical URI is the path URI-encoded twice (the wire path, encoded once, encoded
  // again), except for Amazon S3, whose canonical URI is the wire path as it is.
  r.canonical_request = canonicalRequest(req.method, service == "s3" ? path : uriEncode(path, true),
                                         cquery, cheaders, r.signed_headers, payload_hash);
  const std::string scope = credentialScope(date, region, service);
  r.string_to_sign = stringToSign(datetime, scope, r.canonical_request);
  r.signature = hexEncode(
      hmacSha256(signingKey(creds.secret_access_key, date, region, service), r.string_to_sign));
  r.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                    ", SignedHeaders=" + r.signed_headers + ", Signature=" + r.signature;
  return r;
}

void signRequest(SigningRequest& req, const Credentials& creds, std::string_view region,
                 std::string_view service, SystemTime time) {
  if (!hasHeader(req.headers, "x-amz-date")) req.headers.emplace_back("X-Amz-Date", amzDate(time));
  if (!creds.session_token.empty() && !hasHeader(req.headers, "x-amz-security-token")) {
    req.headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  }
  SigV4Result r = computeSigV4(req, creds, region, service, time);
  req.headers.emplace_back("Authorization", std::move(r.authorization));
}

// ------------------------------------------------------------------------ verifying

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

tl::unexpected<Error> reject(std::string_view code, std::string message) {
  return fail(std::string(code), std::move(message));
}

bool isLowerHex(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool allDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s) {
  int n = 0;
  for (char c : s) n = n * 10 + (c - '0');
  return n;
}

// Seconds since the epoch of a UTC calendar time, or nullopt when the fields do not name a
// real instant (month 13, 30 February, second 60).
std::optional<int64_t> utcSeconds(int year, int month, int day, int hour, int minute, int second) {
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 59)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != day || back.tm_mon != month - 1) return std::nullopt;  // normalised
  return static_cast<int64_t>(t);
}

// X-Amz-Date: ISO 8601 basic format, "20150830T123600Z", exactly.
std::optional<int64_t> parseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !allDigits(s.substr(0, 8)) ||
      !allDigits(s.substr(9, 6)))
    return std::nullopt;
  return utcSeconds(number(s.substr(0, 4)), number(s.substr(4, 2)), number(s.substr(6, 2)),
                    number(s.substr(9, 2)), number(s.substr(11, 2)), number(s.substr(13, 2)));
}

// Date: the HTTP date (RFC 9110 IMF-fixdate), "Sun, 30 Aug 2015 12:36:00 GMT", exactly.
std::optional<int64_t> parseHttpDate(std::string_view s) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  int month = 0;
  for (int m = 0; m < 12; ++m)
    if (s.substr(8, 3) == kMonths[m]) month = m + 1;
  const std::string_view dd = s.substr(5, 2), yyyy = s.substr(12, 4), hh = s.substr(17, 2),
                         mi = s.substr(20, 2), ss = s.substr(23, 2);
  if (month == 0 || !allDigits(dd) || !allDigits(yyyy) || !allDigits(hh) || !allDigits(mi) ||
      !allDigits(ss))
    return std::nullopt;
  auto t = utcSeconds(number(yyyy), month, number(dd), number(hh), number(mi), number(ss));
  if (!t) return std::nullopt;
  const std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  if (s.substr(0, 3) != kDays[tm.tm_wday]) return std::nullopt;
  return t;
}

// As amzDate(), from seconds since the epoch: any 4-digit year (a SystemTime, in nanoseconds,
// ends in 2262).
std::string amzDateOf(int64_t seconds) {
  const auto tt = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// RFC 3986 section 5.2.4 with consecutive slashes merged, as AWS's non-S3 services and the
// SDKs normalise the path before signing.
std::string normalizePath(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    start = end + 1;
  }
  std::string r = "/";
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i) r += '/';
    r += out[i];
  }
  if (!out.empty() && path.back() == '/') r += '/';
  return r;
}

// %XX-decodes (a '+' stays a '+'). False on a '%' not followed by two hex digits.
bool percentDecode(std::string_view s, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const int hi = text::hexDigit(s[i + 1]), lo = text::hexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// The received query, decoded and re-encoded: parameters in any encoding a client may send
// give the canonical form the client signed.
Result<std::string> canonicalQueryOf(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> q;
  std::string name, value;
  std::size_t start = 0;
  while (start <= raw.size() && !raw.empty()) {
    std::size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view part = raw.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    const std::string_view n = part.substr(0, eq);
    const std::string_view v = eq == std::string_view::npos ? "" : part.substr(eq + 1);
    if (!percentDecode(n, name) || !percentDecode(v, value)) {
      return reject(kIncompleteSignature,
                    "The query string is not valid percent-encoding: '" + std::string(part) + "'.");
    }
    q.emplace_back(uriEncode(name), uriEncode(value));
  }
  return canonicalQuery(std::move(q));
}

struct Authorization {
  std::string_view credential, signed_headers, signature;
  bool has_credential = false, has_signed_headers = false, has_signature = false;
};

// "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…": each part once, nothing else.
Result<Authorization> parseAuthorization(std::string_view value) {
  const std::size_t sp = value.find(' ');
  const std::string_view algorithm = value.substr(0, sp);
  if (algorithm != kAlgorithm) {
    if (algorithm.substr(0, 4) != "AWS4") {
      // Another scheme (SigV2 "AWS key:signature", Bearer, …): AWS lists what SigV4 needs.
      return reject(kIncompleteSignature,
                    "Authorization header requires 'Credential' parameter. Authorization header "
                    "requires 'Signature' parameter. Authorization header requires "
                    "'SignedHeaders' parameter.");
    }
    return reject(kIncompleteSignature,
                  "Unsupported AWS 'algorithm': '" + std::string(algorithm) + "'.");
  }
  Authorization a;
  std::string_view rest = sp == std::string_view::npos ? "" : value.substr(sp + 1);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view part = trimSpaces(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return reject(kIncompleteSignature,
                    "'" + std::string(part) +
                        "' not a valid key=value pair (missing equal-sign) in Authorization "
                        "header.");
    }
    const std::string_view key = part.substr(0, eq), val = part.substr(eq + 1);
    std::string_view* slot = nullptr;
    bool* seen = nullptr;
    if (key == "Credential") {
      slot = &a.credential;
      seen = &a.has_credential;
    } else if (key == "SignedHeaders") {
      slot = &a.signed_headers;
      seen = &a.has_signed_headers;
    } else if (key == "Signature") {
      slot = &a.signature;
      seen = &a.has_signature;
    } else {
      return reject(kIncompleteSignature,
                    "'" + std::string(key) + "' is not a parameter of the Authorization header.");
    }
    if (*seen) {
      return reject(kIncompleteSignature,
                    "Authorization header has more than one '" + std::string(key) + "' parameter.");
    }
    *seen = true;
    *slot = val;
  }
  return a;
}

struct ReceivedHeaders {
  // (lower-case name, value) in the order received.
  std::vector<std::pair<std::string, std::string_view>> all;

  explicit ReceivedHeaders(std::span<const HeaderView> hs) {
    all.reserve(hs.size());
    for (const HeaderView& h : hs) all.emplace_back(text::asciiLower(h.name), h.value);
  }
  std::size_t count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(all.begin(), all.end(), [&](const auto& h) { return h.first == name; }));
  }
  std::string_view first(std::string_view name) const {
    for (const auto& [n, v] : all)
      if (n == name) return v;
    return {};
  }
  // Every value of `name`, trimmed and with inner whitespace collapsed, joined with commas.
  std::string canonical(std::string_view name) const {
    std::string out;
    bool any = false;
    for (const auto& [n, v] : all) {
      if (n != name) continue;
      if (any) out += ',';
      out += canonicalHeaderValue(v);
      any = true;
    }
    return out;
  }
};

bool constantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

int sigV4ErrorStatus(std::string_view code) {
  return code == kMissingAuthenticationToken ? 403 : 400;
}

Result<VerifiedIdentity> verifySigV4(const SigV4RequestView& req, const AccessKeyLookup& keys,
                                     const Clock& clock, std::string_view service,
                                     std::span<const std::string> allowed_regions) {
  const ReceivedHeaders headers(req.headers);

  // 1. The Authorization header, exactly one. (Query-string signatures are not accepted.)
  const std::size_t n_auth = headers.count("authorization");
  if (n_auth == 0) return reject(kMissingAuthenticationToken, "Missing Authentication Token");
  if (n_auth > 1) {
    return reject(kIncompleteSignature, "The request has more than one Authorization header.");
  }
  auto auth = parseAuthorization(headers.first("authorization"));
  if (!auth) return fail(auth.error());

  // 2. Its parts and the date, all present: every missing one is named, as AWS does.
  const std::size_t n_amz_date = headers.count("x-amz-date"), n_date = headers.count("date");
  std::string missing;
  auto need = [&](bool ok, std::string_view what) {
    if (ok) return;
    if (!missing.empty()) missing += ' ';
    missing += what;
  };
  need(auth->has_credential, "Authorization header requires 'Credential' parameter.");
  need(auth->has_signature, "Authorization header requires 'Signature' parameter.");
  need(auth->has_signed_headers, "Authorization header requires 'SignedHeaders' parameter.");
  need(n_amz_date + n_date > 0,
       "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (!missing.empty()) return reject(kIncompleteSignature, missing);

  // 3. The request's date: X-Amz-Date, else Date; one of it.
  const std::string_view date_header = n_amz_date > 0 ? "x-amz-date" : "date";
  if (headers.count(date_header) > 1) {
    return reject(kIncompleteSignature,
                  "The request has more than one '" + std::string(date_header) + "' header.");
  }
  const std::string_view date_value = headers.first(date_header);
  const std::optional<int64_t> when =
      n_amz_date > 0 ? parseAmzDate(date_value) : parseHttpDate(date_value);
  if (!when) {
    return reject(
        kIncompleteSignature,
        n_amz_date > 0
            ? "X-Amz-Date must be in the ISO8601 basic format yyyyMMdd'T'HHmmss'Z', not '" +
                  std::string(date_value) + "'."
            : "Date must be an HTTP date (Sun, 06 Nov 1994 08:49:37 GMT), not '" +
                  std::string(date_value) + "'.");
  }
  const std::string datetime = amzDateOf(*when);

  // 4. Credential: <key>/<yyyymmdd>/<region>/<service>/aws4_request.
  std::vector<std::string_view> scope;
  for (std::string_view c = auth->credential;;) {
    const std::size_t slash = c.find('/');
    scope.push_back(c.substr(0, slash));
    if (slash == std::string_view::npos) break;
    c.remove_prefix(slash + 1);
  }
  if (scope.size() != 5 ||
      std::any_of(scope.begin(), scope.end(), [](std::string_view p) { return p.empty(); })) {
    return reject(kIncompleteSignature,
                  "Credential must be <access key id>/<date>/<region>/<service>/aws4_request, "
                  "not '" +
                      std::string(auth->credential) + "'.");
  }
  const std::string_view key_id = scope[0], scope_date = scope[1], region = scope[2],
                         scope_service = scope[3];
  if (scope[4] != "aws4_request") {
    return reject(kInvalidSignature,
                  "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                      std::string(scope[4]) + "'.");
  }
  if (scope_service != service) {
    return reject(kInvalidSignature, "Credential should be scoped to correct service: '" +
                                         std::string(service) + "'.");
  }
  if (std::find(allowed_regions.begin(), allowed_regions.end(), region) == allowed_regions.end()) {
    return reject(kInvalidSignature, "Credential should be scoped to a valid region, not '" +
                                         std::string(region) + "'.");
  }
  if (scope_date != std::string_view(datetime).substr(0, 8)) {
    return reject(kInvalidSignature,
                  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                  "date from HTTP: '" +
                      std::string(scope_date) + "' != '" + datetime.substr(0, 8) + "', from '" +
                      datetime + "'.");
  }

  // 5. SignedHeaders: lower-case, sorted, no duplicates; host, the date and the headers that
  //    change what the signature means among them; each one in the request.
  std::vector<std::string_view> signed_names;
  for (std::string_view sh = auth->signed_headers;;) {
    const std::size_t semi = sh.find(';');
    signed_names.push_back(sh.substr(0, semi));
    if (semi == std::string_view::npos) break;
    sh.remove_prefix(semi + 1);
  }
  for (std::size_t i = 0; i < signed_names.size(); ++i) {
    const std::string_view n = signed_names[i];
    const bool lower_case = std::none_of(
        n.begin(), n.end(), [](char c) { return (c >= 'A' && c <= 'Z') || c == ' ' || c == '\t'; });
    if (n.empty() || !lower_case || (i > 0 && !(signed_names[i - 1] < n))) {
      return reject(kIncompleteSignature,
                    "SignedHeaders must be lower-case header names, sorted, each once: '" +
                        std::string(auth->signed_headers) + "'.");
    }
  }
  auto isSigned = [&](std::string_view n) {
    return std::binary_search(signed_names.begin(), signed_names.end(), n);
  };
  if (!isSigned("host")) {
    return reject(kIncompleteSignature,
                  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  for (std::string_view h : {date_header, std::string_view("x-amz-security-token"),
                             std::string_view("x-amz-content-sha256")}) {
    if (headers.count(h) > 0 && !isSigned(h)) {
      return reject(kIncompleteSignature,
                    "'" + std::string(h) + "' must be a 'SignedHeader' in the AWS Authorization.");
    }
  }
  for (std::string_view n : signed_names) {
    if (headers.count(n) == 0) {
      return reject(kIncompleteSignature,
                    "Signed header '" + std::string(n) + "' is not in the request.");
    }
  }
  for (std::string_view h : {"host", "x-amz-security-token", "x-amz-content-sha256"}) {
    if (headers.count(h) > 1) {
      return reject(kIncompleteSignature,
                    "The request has more than one '" + std::string(h) + "' header.");
    }
  }
  if (!isLowerHex(auth->signature, 64)) {
    return reject(kIncompleteSignature, "Signature must be 64 lower-case hexadecimal digits.");
  }

  // 6. The clock window.
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  const int64_t window = kSigV4ClockWindow.count();
  if (*when < now - window) {
    return reject(kInvalidSignature, "Signature expired: " + datetime + " is now earlier than " +
                                         amzDateOf(now - window) + " (" + amzDateOf(now) +
                                         " - 5 min.)");
  }
  if (*when > now + window) {
    return reject(kInvalidSignature, "Signature not yet current: " + datetime +
                                         " is still later than " + amzDateOf(now + window) + " (" +
                                         amzDateOf(now) + " + 5 min.)");
  }

  // 7. The key, and the session token it goes with.
  const std::optional<Credentials> creds = keys(key_id);
  if (!creds) {
    return reject(kUnrecognizedClient, "The security token included in the request is invalid.");
  }
  if (!constantTimeEqual(headers.first("x-amz-security-token"), creds->session_token)) {
    return reject(kUnrecognizedClient, "The security token included in the request is invalid.");
  }

  // 8. The payload hash: the body's, or what x-amz-content-sha256 says (checked).
  std::string payload_hash = sha256Hex(req.body);
  bool payload_signed = true;
  if (headers.count("x-amz-content-sha256") > 0) {
    const std::string_view declared = headers.first("x-amz-content-sha256");
    if (declared == kUnsignedPayload) {
      payload_hash = kUnsignedPayload;
      payload_signed = false;
    } else if (!isLowerHex(declared, 64)) {
      return reject(kIncompleteSignature,
                    "x-amz-content-sha256 must be the payload's SHA-256 (lower-case hex) or "
                    "UNSIGNED-PAYLOAD, not '" +
                        std::string(declared) + "'.");
    } else if (declared != payload_hash) {
      return reject(kInvalidSignature,
                    "The provided 'x-amz-content-sha256' header does not match what was "
                    "computed.");
    }
  }

  // 9. The canonical request from what was received, and the signature.
  if (req.path.empty() || req.path.front() != '/') {
    return reject(kIncompleteSignature, "The request path must begin with '/'.");
  }
  auto cquery = canonicalQueryOf(req.query);
  if (!cquery) return fail(cquery.error());
  std::string cheaders;
  for (std::string_view n : signed_names) {
    cheaders.append(n).append(":").append(headers.canonical(n)).append("\n");
  }
  const std::string creq = canonicalRequest(req.method, uriEncode(normalizePath(req.path), true),
                                            *cquery, cheaders, auth->signed_headers, payload_hash);
  const std::string sts =
      stringToSign(datetime, credentialScope(scope_date, region, service), creq);
  const std::string expected =
      hexEncode(hmacSha256(signingKey(creds->secret_access_key, scope_date, region, service), sts));
  if (!constantTimeEqual(expected, auth->signature)) {
    return reject(kInvalidSignature,
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method. Consult the "
                  "service documentation for details.");
  }
  return VerifiedIdentity{std::string(key_id), std::string(region), std::string(service),
                          payload_signed};
}

}  // namespace riposte::aws
