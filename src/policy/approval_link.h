#pragma once
// Signed one-time approval links (issue 12): what a notification carries so that an approver
// decides with one click and a confirmation, without an API credential. Pure: the engine keeps
// the votes (a link's vote is recorded as cast `via` "link", so the same link is refused once
// it was used), the server shows the confirmation page (GET never decides) and takes the POST.
//
// A link names one approval, one approver and one decision, and expires:
//
//   token = base64url(payload) "." base64url(HMAC-SHA256(key, payload))
//   payload = ["riposte-approval-link/1", approvalId, approver, decision, expiresMs] (JSON)
//
// the MAC over exactly the payload's bytes, the key the riposte.yaml `approvals.links.secret_env`
// variable's value (at least 32 bytes). One link per approver per decision: the quorum stays N
// distinct people, and a link cannot be turned into another one (a changed byte, a swapped
// decision or approval id, another approver: the MAC no longer matches).
//
//   LinkClaims c{"apr-1", "alice", "approve", expires_ms};
//   std::string t = signApprovalLink(key, c);
//   auto got = verifyApprovalLink(key, t, "apr-1", now_ms);   // LinkForged | LinkMismatch | …

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "policy/approval.h"

namespace riposte::policy {

// The least key length (bytes) of approvals.links' secret.
inline constexpr std::size_t kMinLinkKeyBytes = 32;

// Error codes of verifyApprovalLink and of a link's vote (the server maps them to HTTP statuses).
inline constexpr const char* kLinkForged = "LinkForged";      // 403: not a token this key signed
inline constexpr const char* kLinkMismatch = "LinkMismatch";  // 403: signed, for another approval
inline constexpr const char* kLinkExpired = "LinkExpired";    // 410: past its expiry
inline constexpr const char* kLinkUsed = "LinkUsed";          // 409: its vote is recorded already

struct LinkClaims {
  std::string approval_id;
  std::string approver;
  std::string decision;  // approve | deny
  int64_t expires_ms = 0;
};

// The token of `claims` under `key`.
std::string signApprovalLink(std::string_view key, const LinkClaims& claims);

// The claims of `token` when `key` signed it (MAC compared in constant time), it names
// `approval_id` and `now_ms` is before its expiry. Errors: kLinkForged (malformed, a bad MAC, a
// payload that is not a link's), kLinkMismatch (another approval's link), kLinkExpired.
Result<LinkClaims> verifyApprovalLink(std::string_view key, std::string_view token,
                                      std::string_view approval_id, int64_t now_ms);

// When the links of a request expire: `ttl_ms` after it opened when set, never after its
// deadline (a vote after it is refused anyway).
int64_t linkExpiryMs(const ApprovalState& st, const ApprovalLinkSettings& links);

// "<base_url>/v1/approvals/<id>/link?t=<token>" (the id and token percent-encoded where needed).
std::string approvalLinkUrl(const ApprovalLinkSettings& links, const std::string& approval_id,
                            const std::string& token);

// Every approver's links of one request: {"alice": {"approve": URL, "deny": URL}, …}; empty
// when links are not configured.
json::object approvalLinks(const ApprovalLinkSettings& links, const std::string& approval_id,
                           const ApprovalState& st);

// base64url without padding (RFC 4648 §5), and its strict inverse (nullopt for any character
// outside the alphabet, padding, a length that cannot be, or non-zero trailing bits).
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace riposte::policy
