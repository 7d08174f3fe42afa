// The approval gate's decisions (policy/approval.h): requests parsed strictly, quorum of
// distinct approvers, deny needs a reason, unknown approvers and double votes refused, the
// deadline's on_timeout.
#include "policy/approval.h"

#include <gtest/gtest.h>

namespace riposte::policy {
namespace {

ApprovalSettings settings() {
  ApprovalSettings s;
  s.groups["soc"] = {"alice", "bob"};
  s.groups["leads"] = {"bob", "carol"};
  s.default_timeout_ms = 600'000;
  return s;
}

ApprovalState open(const char* params, int64_t now = 1'000) {
  auto spec = parseApprovalRequest(*parseJson(params), settings(), std::nullopt);
  EXPECT_TRUE(spec) << spec.error().str();
  ApprovalState st;
  st.spec = *spec;
  st.created_ms = now;
  st.deadline_ms = now + st.spec.timeout_ms;
  return st;
}

TEST(ApprovalRequest, GroupsMembersAreTheApproversOnceEach) {
  auto st = open(R"({"groups":["soc","leads"],"quorum":2,"summary":"isolate i-1"})");
  EXPECT_EQ(st.spec.approvers, (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(st.spec.quorum, 2);
  EXPECT_EQ(st.spec.timeout_ms, 600'000);  // the settings' default
  EXPECT_EQ(st.spec.on_timeout, OnTimeout::kDeny);
  EXPECT_EQ(st.spec.summary, "isolate i-1");
}

TEST(ApprovalRequest, BadRequestsAreErrorsNamingTheParameter) {
  auto err = [](const char* p, std::optional<double> t = std::nullopt) {
    auto r = parseApprovalRequest(*parseJson(p), settings(), t);
    EXPECT_FALSE(r) << p;
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(err(R"({})").find("'groups' is required"), std::string::npos);
  EXPECT_NE(err(R"({"groups":["ops"]})").find("groups[0]: no approver group 'ops'"),
            std::string::npos);
  EXPECT_NE(err(R"({"groups":["soc"],"quorum":3})").find("from 1 to 2"), std::string::npos);
  EXPECT_NE(err(R"({"groups":["soc"],"quorum":0})").find("'quorum'"), std::string::npos);
  EXPECT_NE(err(R"({"groups":["soc"],"on_timeout":"maybe"})").find("'on_timeout'"),
            std::string::npos);
  EXPECT_NE(err(R"({"groups":["soc"],"timeout_seconds":1.5})").find("'timeout_seconds'"),
            std::string::npos);
  EXPECT_NE(err(R"({"groups":["soc"],"qorum":1})").find("unknown parameter 'qorum'"),
            std::string::npos);
  // The state's TimeoutSeconds would raise States.Timeout before on_timeout could apply.
  EXPECT_NE(err(R"({"groups":["soc"],"timeout_seconds":60})", 60.0).find("TimeoutSeconds"),
            std::string::npos);
  EXPECT_TRUE(parseApprovalRequest(*parseJson(R"({"groups":["soc"],"timeout_seconds":60})"),
                                   settings(), 61.0));
}

TEST(ApprovalVote, QuorumOfDistinctApproversApproves) {
  auto st = open(R"({"groups":["soc","leads"],"quorum":2})");
  auto a = castVote(st, "alice", "approve", "", 2'000);
  ASSERT_TRUE(a);
  EXPECT_FALSE(*a);
  EXPECT_EQ(st.status, "pending");
  // Each approver counts once.
  auto again = castVote(st, "alice", "approve", "", 2'100);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, kAlreadyVoted);
  EXPECT_EQ(st.status, "pending");
  auto b = castVote(st, "carol", "approve", "", 3'000);
  ASSERT_TRUE(b);
  EXPECT_TRUE(*b);
  EXPECT_EQ(st.status, "approved");
  EXPECT_EQ(st.decided_by, "quorum");
  EXPECT_EQ(st.decided_ms, 3'000);
  EXPECT_EQ(approvedBy(st), (std::vector<std::string>{"alice", "carol"}));
  auto late = castVote(st, "bob", "deny", "too late", 4'000);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, kApprovalDecided);
}

TEST(ApprovalVote, DenyNeedsAReasonAndDeniesAtOnce) {
  auto st = open(R"({"groups":["soc"],"quorum":2})");
  for (const char* reason : {"", "   "}) {
    auto r = castVote(st, "bob", "deny", reason, 2'000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, kReasonRequired);
  }
  EXPECT_TRUE(st.votes.empty());
  auto d = castVote(st, "bob", "deny", "it is the build server", 2'000);
  ASSERT_TRUE(d);
  EXPECT_TRUE(*d);
  EXPECT_EQ(st.status, "denied");
  EXPECT_EQ(st.decided_by, "bob");
  EXPECT_EQ(st.reason, "it is the build server");
}

TEST(ApprovalVote, UnknownApproverAndDecisionRefused) {
  auto st = open(R"({"groups":["soc"]})");
  auto r = castVote(st, "mallory", "approve", "", 2'000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, kNotAnApprover);
  EXPECT_NE(r.error().message.find("soc"), std::string::npos);
  auto d = castVote(st, "alice", "yes", "", 2'000);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, kInvalidDecision);
  EXPECT_EQ(st.status, "pending");
  EXPECT_TRUE(st.votes.empty());
}

TEST(ApprovalDeadline, OnTimeoutDenyOrApproveAtTheDeadline) {
  auto deny = open(R"({"groups":["soc"],"timeout_seconds":60})");
  EXPECT_FALSE(expire(deny, deny.deadline_ms - 1));
  EXPECT_TRUE(expire(deny, deny.deadline_ms));
  EXPECT_EQ(deny.status, "denied");
  EXPECT_EQ(deny.decided_by, "timeout");
  EXPECT_EQ(deny.decided_ms, deny.deadline_ms);
  EXPECT_FALSE(expire(deny, deny.deadline_ms + 1));  // once

  auto approve = open(R"({"groups":["soc"],"timeout_seconds":60,"on_timeout":"approve"})");
  // A vote after the deadline finds it decided by on_timeout.
  auto v = castVote(approve, "alice", "deny", "no", approve.deadline_ms + 5);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, kApprovalDecided);
  EXPECT_EQ(approve.status, "approved");
  EXPECT_EQ(approve.decided_by, "timeout");
}

TEST(ApprovalJson, RoundTrips) {
  auto st = open(R"({"groups":["soc","leads"],"quorum":2,"summary":"s"})");
  ASSERT_TRUE(castVote(st, "alice", "approve", "", 2'000));
  auto back = approvalFromJson(approvalJson(st));
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_EQ(json::value(approvalJson(*back)), json::value(approvalJson(st)));
  EXPECT_FALSE(approvalFromJson(json::object{{"groups", 1}}));
}

}  // namespace
}  // namespace riposte::policy
