#pragma once
// IAM policy evaluation for tests, written from IAM's documented rules, standing in for
// `aws iam simulate-custom-policy`, which moto does not implement (moto 5 has no
// SimulateCustomPolicy / SimulatePrincipalPolicy).
//
//   IamRequest r{"ec2:ModifyInstanceAttribute",
//                "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc", {}};
//   EXPECT_EQ(evaluateIam(policy, r), IamDecision::kAllow);
//
// The rules (IAM User Guide, "Policy evaluation logic" and the element references):
// - an explicit Deny in a matching statement wins; else a matching Allow allows; else the
//   request is implicitly denied;
// - a statement matches when its Action (or NotAction), its Resource (or NotResource) and every
//   Condition match;
// - Action: case-insensitive, with the wildcards * and ?;
// - Resource: "*" matches anything; otherwise the ARN is compared segment by segment (the six
//   colon-separated parts, the last one keeping its colons), case-sensitively, with * and ?
//   matching within a segment;
// - Condition: every operator must hold, every key within it must hold, and a key holds when
//   any of its values matches. A key missing from the request context makes a positive
//   operator false and a negated one (StringNot…, ArnNot…) true. Keys are case-insensitive.
//   Operators: String(Not)Equals(IgnoreCase), String(Not)Like, Arn(Not)Equals, Arn(Not)Like,
//   Bool; any other operator does not match (so a statement relying on one never allows).

#include <map>
#include <string>

#include "core/json.h"

namespace riposte::testing {

struct IamRequest {
  std::string action;    // "ec2:ModifyInstanceAttribute"
  std::string resource;  // an ARN, or "*" for an action without resource-level permissions
  std::map<std::string, std::string> context;  // condition keys ("aws:ResourceTag/x" → "true")
};

enum class IamDecision { kAllow, kImplicitDeny, kExplicitDeny };

const char* iamDecisionName(IamDecision d);

// Evaluates a policy document ({"Statement": [...]} or one statement object) for a request.
IamDecision evaluateIam(const json::value& policy, const IamRequest& request);

// IAM's wildcard match: * any run, ? one character; case-insensitive when asked.
bool iamGlob(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace riposte::testing
