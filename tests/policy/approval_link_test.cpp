// Signed one-time approval links (policy/approval_link.h): the token's exact form (an
// independent HMAC-SHA256 computation, Python's hmac module, pins it), and every way a link is
// refused — a changed byte, a swapped decision, approver or approval id, another key, expiry.
#include "policy/approval_link.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace riposte::policy {
namespace {

const std::string kKey(32, 'k');
constexpr int64_t kExpires = 1'800'000'000'000;

LinkClaims claims(const char* decision = "approve") {
  return LinkClaims{"apr-1", "alice", decision, kExpires};
}

// The payload part of a token, decoded.
std::string payloadOf(const std::string& token) {
  return *base64UrlDecode(token.substr(0, token.find('.')));
}
std::string macPartOf(const std::string& token) {
  return token.substr(token.find('.') + 1);
}

TEST(ApprovalLink, TheTokenIsThePayloadAndItsHmacSha256) {
  // python3: p = json.dumps(["riposte-approval-link/1","apr-1","alice","approve",1800000000000],
  // separators=(",",":")); b64url(p) + "." + b64url(hmac.new(b"k"*32, p, sha256).digest())
  EXPECT_EQ(signApprovalLink(kKey, claims()),
            "WyJyaXBvc3RlLWFwcHJvdmFsLWxpbmsvMSIsImFwci0xIiwiYWxpY2UiLCJhcHByb3ZlIiwxODAwMDAwMDAw"
            "MDAwXQ.AmijsdEGNuhUDPVRjXBST-JVXyqv1-E3RuVKQUXyQfo");
}

TEST(ApprovalLink, AValidLinkGivesItsClaims) {
  auto got = verifyApprovalLink(kKey, signApprovalLink(kKey, claims()), "apr-1", kExpires - 1);
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_EQ(got->approval_id, "apr-1");
  EXPECT_EQ(got->approver, "alice");
  EXPECT_EQ(got->decision, "approve");
  EXPECT_EQ(got->expires_ms, kExpires);
}

TEST(ApprovalLink, EveryChangedCharacterIsForged) {
  const std::string t = signApprovalLink(kKey, claims());
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '.') continue;
    std::string bad = t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto got = verifyApprovalLink(kKey, bad, "apr-1", 0);
    ASSERT_FALSE(got) << "changed at " << i;
    EXPECT_EQ(got.error().code, kLinkForged) << "changed at " << i;
  }
}

TEST(ApprovalLink, ASwappedDecisionApproverOrExpiryKeepsTheOldMacAndIsForged) {
  const std::string t = signApprovalLink(kKey, claims("approve"));
  const std::string p = payloadOf(t);
  auto swapped = [&](const std::string& from, const std::string& to) {
    std::string q = p;
    q.replace(q.find(from), from.size(), to);
    return base64UrlEncode(q) + "." + macPartOf(t);
  };
  for (const auto& bad :
       {swapped("\"approve\"", "\"deny\""), swapped("\"alice\"", "\"bob\""),
        swapped("1800000000000", "1900000000000"), swapped("\"apr-1\"", "\"apr-2\"")}) {
    auto got = verifyApprovalLink(kKey, bad, "apr-1", 0);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, kLinkForged);
  }
  // A deny link's MAC on an approve link's payload.
  const std::string deny = signApprovalLink(kKey, claims("deny"));
  auto mixed =
      verifyApprovalLink(kKey, t.substr(0, t.find('.')) + "." + macPartOf(deny), "apr-1", 0);
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().code, kLinkForged);
}

TEST(ApprovalLink, AnotherKeysLinkIsForged) {
  const std::string t = signApprovalLink(std::string(32, 'x'), claims());
  auto got = verifyApprovalLink(kKey, t, "apr-1", 0);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, kLinkForged);
  EXPECT_EQ(verifyApprovalLink("", signApprovalLink(kKey, claims()), "apr-1", 0).error().code,
            kLinkForged);
}

TEST(ApprovalLink, AnotherApprovalsLinkIsAMismatch) {
  auto got = verifyApprovalLink(kKey, signApprovalLink(kKey, claims()), "apr-2", 0);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, kLinkMismatch);
}

TEST(ApprovalLink, ExpiresAtItsExpiry) {
  const std::string t = signApprovalLink(kKey, claims());
  EXPECT_TRUE(verifyApprovalLink(kKey, t, "apr-1", kExpires - 1));
  auto got = verifyApprovalLink(kKey, t, "apr-1", kExpires);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, kLinkExpired);
}

TEST(ApprovalLink, MalformedTokensAreForged) {
  const std::string t = signApprovalLink(kKey, claims());
  for (const std::string& bad :
       {std::string(), std::string("."), t.substr(0, t.find('.')), t + ".x", t + "=",
        t.substr(0, t.size() - 1), std::string(5000, 'A') + "." + macPartOf(t),
        std::string("a b.c"), base64UrlEncode("[1,2]") + "." + macPartOf(t)}) {
    auto got = verifyApprovalLink(kKey, bad, "apr-1", 0);
    ASSERT_FALSE(got) << bad;
    EXPECT_EQ(got.error().code, kLinkForged) << bad;
  }
  // Signed with the key, but not a link's payload (a key shared with something else): refused.
  for (const std::string& payload :
       {std::string("[1,2]"),
        std::string(R"(["riposte-approval-link/1","apr-1","alice","maybe",1800000000000])"),
        std::string(R"(["riposte-approval-link/2","apr-1","alice","approve",1800000000000])"),
        std::string(R"(["riposte-approval-link/1","apr-1","alice","approve","1800000000000"])"),
        std::string(R"({"approvalId":"apr-1"})")}) {
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
    const std::string token = base64UrlEncode(payload) + "." +
                              base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
    auto got = verifyApprovalLink(kKey, token, "apr-1", 0);
    ASSERT_FALSE(got) << payload;
    EXPECT_EQ(got.error().code, kLinkForged) << payload;
  }
}

TEST(ApprovalLink, Base64UrlRoundTripsAndIsStrict) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"})
    EXPECT_EQ(*base64UrlDecode(base64UrlEncode(s)), s);
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64UrlDecode("Zm9v="));  // padding
  EXPECT_FALSE(base64UrlDecode("Zm9+"));   // the standard alphabet
  EXPECT_FALSE(base64UrlDecode("Z"));      // a length that cannot be
  EXPECT_FALSE(base64UrlDecode("Zh"));     // non-zero trailing bits ("f" is "Zg")
}

TEST(ApprovalLink, ExpiryIsTheDeadlineOrTheTtlWhicheverComesFirst) {
  ApprovalState st;
  st.created_ms = 1'000;
  st.deadline_ms = 601'000;
  ApprovalLinkSettings s;
  s.key = kKey;
  EXPECT_EQ(linkExpiryMs(st, s), 601'000);
  s.ttl_ms = 60'000;
  EXPECT_EQ(linkExpiryMs(st, s), 61'000);
  s.ttl_ms = 6'000'000;
  EXPECT_EQ(linkExpiryMs(st, s), 601'000);
}

TEST(ApprovalLink, EveryApproverHasOneLinkPerDecision) {
  ApprovalState st;
  st.spec.approvers = {"alice", "bob"};
  st.created_ms = 1'000;
  st.deadline_ms = kExpires;
  ApprovalLinkSettings s;
  EXPECT_TRUE(approvalLinks(s, "apr-1", st).empty());  // off without a key
  s.key = kKey;
  s.base_url = "https://riposte.example.com/";
  json::object links = approvalLinks(s, "apr-1", st);
  ASSERT_EQ(links.size(), 2u);
  for (const char* who : {"alice", "bob"}) {
    for (const char* d : {"approve", "deny"}) {
      const std::string url(links.at(who).at(d).as_string());
      const std::string prefix = "https://riposte.example.com/v1/approvals/apr-1/link?t=";
      ASSERT_EQ(url.substr(0, prefix.size()), prefix) << url;
      auto got = verifyApprovalLink(kKey, url.substr(prefix.size()), "apr-1", 0);
      ASSERT_TRUE(got) << got.error().str();
      EXPECT_EQ(got->approver, who);
      EXPECT_EQ(got->decision, d);
      EXPECT_EQ(got->expires_ms, kExpires);
    }
  }
}

}  // namespace
}  // namespace riposte::policy
