#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

namespace riposte::aws {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

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
                     [&](const auto& h) { return lower(h.first) == lname; });
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

std::string toHex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return toHex(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
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

SigV4Result computeSigV4(const SigningRequest& req, const Credentials& creds,
                         std::string_view region, std::string_view service, SystemTime time) {
  SigV4Result r;
  const std::string datetime = amzDate(time);
  const std::string date = datetime.substr(0, 8);

  // Canonical query string: encoded names and values, sorted by name then value.
  std::vector<std::pair<std::string, std::string>> q;
  q.reserve(req.query.size());
  for (const auto& [k, v] : req.query) q.emplace_back(uriEncode(k), uriEncode(v));
  std::sort(q.begin(), q.end());
  std::string cquery;
  for (const auto& [k, v] : q) {
    if (!cquery.empty()) cquery += '&';
    cquery += k + "=" + v;
  }

  // Canonical headers: lowercase names, sorted; repeated headers joined with commas.
  std::map<std::string, std::string> hs;
  for (const auto& [k, v] : req.headers) {
    std::string name = lower(k);
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

  std::string path = req.path.empty() ? "/" : req.path;
  r.canonical_request = req.method + "\n" + uriEncode(path, true) + "\n" + cquery + "\n" +
                        cheaders + "\n" + r.signed_headers + "\n" + sha256Hex(req.body);

  const std::string scope =
      date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  r.string_to_sign =
      "AWS4-HMAC-SHA256\n" + datetime + "\n" + scope + "\n" + sha256Hex(r.canonical_request);
  r.signature = toHex(
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

}  // namespace riposte::aws
