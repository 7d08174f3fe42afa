#include "policy/approval_link.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include "core/text.h"

namespace riposte::policy {

namespace {

constexpr std::string_view kVersion = "riposte-approval-link/1";
constexpr std::size_t kMacBytes = 32;
// A token longer than this is not one riposte made (ids and names are short); refused before
// any decoding.
constexpr std::size_t kMaxTokenChars = 4096;
std::string mac(std::string_view key, std::string_view payload) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

Error forged(const std::string& why) {
  return Error{kLinkForged, "the link is not one riposte signed (" + why + ")"};
}

}  // namespace

std::string base64UrlEncode(std::string_view bytes) {
  return text::base64Encode(bytes, /*url=*/true);
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // The bits left over must be zero: one encoding per byte string.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string signApprovalLink(std::string_view key, const LinkClaims& claims) {
  const std::string payload = json::serialize(json::array{
      json::string(kVersion), json::string(claims.approval_id), json::string(claims.approver),
      json::string(claims.decision), json::value(claims.expires_ms)});
  return base64UrlEncode(payload) + "." + base64UrlEncode(mac(key, payload));
}

Result<LinkClaims> verifyApprovalLink(std::string_view key, std::string_view token,
                                      std::string_view approval_id, int64_t now_ms) {
  if (key.empty()) return fail(forged("no key to verify it with"));
  if (token.empty()) return fail(forged("no token"));
  if (token.size() > kMaxTokenChars) return fail(forged("too long"));
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos)
    return fail(forged("malformed"));
  auto payload = base64UrlDecode(token.substr(0, dot));
  auto got = base64UrlDecode(token.substr(dot + 1));
  if (!payload || !got || payload->empty()) return fail(forged("malformed"));
  const std::string want = mac(key, *payload);
  if (got->size() != kMacBytes || want.size() != kMacBytes ||
      CRYPTO_memcmp(got->data(), want.data(), kMacBytes) != 0)
    return fail(forged("bad signature"));
  // Signed with our key: the payload is one we wrote, still read strictly.
  auto v = parseJson(*payload, 4);
  const json::array* a = v ? v->if_array() : nullptr;
  if (!a || a->size() != 5 || !(*a)[0].is_string() || (*a)[0].get_string() != kVersion ||
      !(*a)[1].is_string() || !(*a)[2].is_string() || !(*a)[3].is_string() || !(*a)[4].is_int64())
    return fail(forged("not a link's payload"));
  LinkClaims c;
  c.approval_id = std::string((*a)[1].get_string());
  c.approver = std::string((*a)[2].get_string());
  c.decision = std::string((*a)[3].get_string());
  c.expires_ms = (*a)[4].get_int64();
  if (c.decision != "approve" && c.decision != "deny") return fail(forged("not a link's payload"));
  if (c.approval_id != approval_id)
    return fail(kLinkMismatch, "the link is for approval '" + c.approval_id + "', not '" +
                                   std::string(approval_id) + "'");
  if (now_ms >= c.expires_ms) return fail(kLinkExpired, "the link has expired");
  return c;
}

int64_t linkExpiryMs(const ApprovalState& st, const ApprovalLinkSettings& links) {
  if (links.ttl_ms <= 0) return st.deadline_ms;
  return std::min(st.deadline_ms, st.created_ms + links.ttl_ms);
}

std::string approvalLinkUrl(const ApprovalLinkSettings& links, const std::string& approval_id,
                            const std::string& token) {
  std::string base = links.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/v1/approvals/" + text::percentEncode(approval_id) +
         "/link?t=" + text::percentEncode(token);
}

json::object approvalLinks(const ApprovalLinkSettings& links, const std::string& approval_id,
                           const ApprovalState& st) {
  json::object out;
  if (!links.enabled()) return out;
  const int64_t expires = linkExpiryMs(st, links);
  for (const auto& a : st.spec.approvers) {
    json::object mine;
    for (const char* d : {"approve", "deny"})
      mine[d] = approvalLinkUrl(
          links, approval_id, signApprovalLink(links.key, LinkClaims{approval_id, a, d, expires}));
    out[a] = std::move(mine);
  }
  return out;
}

}  // namespace riposte::policy
