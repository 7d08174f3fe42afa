#include "actions/descriptor.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace riposte::actions {

std::string_view replayName(Replay r) {
  switch (r) {
    case Replay::kRerun:
      return "rerun";
    case Replay::kRerunDeduplicated:
      return "rerun-deduplicated";
    case Replay::kFailInterrupted:
      return "fail-interrupted";
  }
  return "rerun";
}

std::string_view roleName(Role r) {
  switch (r) {
    case Role::kContain:
      return "contain";
    case Role::kRestore:
      return "restore";
    case Role::kEvidence:
      return "evidence";
    case Role::kNotify:
      return "notify";
    case Role::kSiem:
      return "siem";
    case Role::kRead:
      return "read";
  }
  return "read";
}

std::vector<std::string> Descriptor::permissionNames() const {
  std::set<std::string> s;
  for (const auto& p : permissions) s.insert(p.action);
  return {s.begin(), s.end()};
}

std::vector<Permission> permissionsFor(const Descriptor& d, const json::object* parameters) {
  std::vector<Permission> out;
  for (const auto& p : d.permissions) {
    if (!p.when_parameter.empty() &&
        !(parameters && (parameters->contains(p.when_parameter) ||
                         parameters->contains(p.when_parameter + ".$")))) {
      continue;
    }
    out.push_back(p);
  }
  return out;
}

std::vector<std::string> actionsOf(const std::vector<Permission>& permissions) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& p : permissions)
    if (seen.insert(p.action).second) out.push_back(p.action);
  return out;
}

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The members of `o` named `name`, the exact spelling first, then any other case (a Task
// that wrote "cidrBlock" must not slip past the check).
std::vector<const json::value*> membersNamed(const json::object& o, std::string_view name) {
  std::vector<const json::value*> out;
  if (const json::value* v = o.if_contains(name)) out.push_back(v);
  for (const auto& kv : o) {
    if (kv.key() != name && equalsIgnoreCase(kv.key(), name)) out.push_back(&kv.value());
  }
  return out;
}

}  // namespace

Descriptor::Blocks blocksOf(const Descriptor& d) {
  if (!d.blocks.empty() || d.blocked_address.empty()) return d.blocks;
  Descriptor::Blocks b;
  b.members = {d.blocked_address};
  return b;
}

Result<std::vector<std::string>> blockedAddresses(const Descriptor& d, const json::value& input) {
  const Descriptor::Blocks b = blocksOf(d);
  std::vector<std::string> out;
  if (b.empty() || !input.is_object()) return out;
  const json::object& o = input.as_object();
  if (!b.allow_member.empty()) {
    const auto allow = membersNamed(o, b.allow_member);
    bool allows = !allow.empty();
    for (const json::value* v : allow) {
      if (!v->is_string() || !equalsIgnoreCase(v->as_string(), b.allow_value)) allows = false;
    }
    if (allows) return out;
  }
  for (const auto& m : b.members) {
    for (const json::value* v : membersNamed(o, m)) {
      if (v->is_null()) continue;
      if (v->is_string()) {
        out.emplace_back(v->as_string());
        continue;
      }
      if (!v->is_array()) {
        return fail("InvalidInput",
                    "input member \"" + m + "\" must be an address or CIDR (a string)");
      }
      for (const auto& e : v->as_array()) {
        if (!e.is_string()) {
          return fail("InvalidInput",
                      "input member \"" + m + "\" must be a list of addresses or CIDRs (strings)");
        }
        out.emplace_back(e.as_string());
      }
    }
  }
  return out;
}

const std::vector<std::pair<std::string, Descriptor::Blocks>>& blockingSdkCalls() {
  // A network ACL entry denies CidrBlock / Ipv6CidrBlock unless its RuleAction is "allow"
  // (EC2 API Reference, CreateNetworkAclEntry / ReplaceNetworkAclEntry: RuleAction "allow |
  // deny"); a WAF IP set's Addresses are what the rules that reference it block (UpdateIPSet
  // replaces the whole list: every address in it counts, the ones already there too). Security
  // group calls only allow traffic: they block nothing.
  static const std::vector<std::pair<std::string, Descriptor::Blocks>> kCalls = {
      {"ec2:CreateNetworkAclEntry", {{"CidrBlock", "Ipv6CidrBlock"}, "RuleAction", "allow"}},
      {"ec2:ReplaceNetworkAclEntry", {{"CidrBlock", "Ipv6CidrBlock"}, "RuleAction", "allow"}},
      {"wafv2:UpdateIPSet", {{"Addresses"}, "", ""}},
  };
  return kCalls;
}

const Descriptor::Blocks* sdkBlocks(std::string_view iam_action) {
  for (const auto& [name, b] : blockingSdkCalls()) {
    if (equalsIgnoreCase(name, iam_action)) return &b;
  }
  return nullptr;
}

namespace {

struct Scope {
  std::vector<std::string> resources{};
  std::vector<Condition> conditions{};
  bool writes_principal = false;
};

// The resource types (and conditions) AWS authorizes each call against, as the IAM Service
// Authorization Reference lists them, for every call a built-in action makes. A call whose
// request names several resources is authorized against each, so every type it can name is
// listed (ModifyNetworkInterfaceAttribute names the interface and the security groups).
const std::map<std::string, Scope, std::less<>>& scopes() {
  static const std::map<std::string, Scope, std::less<>> kScopes = {
      // EC2: Describe* support no resource-level permissions.
      {"ec2:CreateSecurityGroup", {{kEc2SecurityGroup, kEc2Vpc}}},
      {"ec2:AuthorizeSecurityGroupIngress", {{kEc2SecurityGroup, kEc2SecurityGroupRule}}},
      {"ec2:AuthorizeSecurityGroupEgress", {{kEc2SecurityGroup, kEc2SecurityGroupRule}}},
      {"ec2:RevokeSecurityGroupIngress", {{kEc2SecurityGroup, kEc2SecurityGroupRule}}},
      {"ec2:RevokeSecurityGroupEgress", {{kEc2SecurityGroup, kEc2SecurityGroupRule}}},
      {"ec2:ModifyNetworkInterfaceAttribute",
       {{kEc2NetworkInterface, kEc2SecurityGroup, kEc2Instance, kEc2Vpc}}},
      {"ec2:ModifyInstanceAttribute", {{kEc2Instance, kEc2SecurityGroup}}},
      {"ec2:AssociateIamInstanceProfile", {{kEc2Instance}}},
      {"ec2:DisassociateIamInstanceProfile", {{kEc2Instance}}},
      {"ec2:StopInstances", {{kEc2Instance}}},
      {"ec2:StartInstances", {{kEc2Instance}}},
      {"ec2:CreateNetworkAclEntry", {{kEc2NetworkAcl}}},
      {"ec2:DeleteNetworkAclEntry", {{kEc2NetworkAcl}}},
      {"ec2:CreateSnapshot", {{kEc2Snapshot, kEc2Volume}}},
      // Tags: every taggable type (kEc2AnyResource matches snapshots' empty account too); the
      // actions narrow it to the types they tag.
      {"ec2:CreateTags", {{kEc2AnyResource}}},
      {"ec2:DeleteTags", {{kEc2AnyResource}}},
      // IAM: every user and role action is scoped to the user or role.
      {"iam:ListAccessKeys", {{kIamUser}}},
      {"iam:ListUserTags", {{kIamUser}}},
      {"iam:GetUserPolicy", {{kIamUser}}},
      {"iam:GetLoginProfile", {{kIamUser}}},
      {"iam:ListRoleTags", {{kIamRole}}},
      {"iam:GetRolePolicy", {{kIamRole}}},
      {"iam:UpdateAccessKey", {{kIamUser}, {}, true}},
      {"iam:PutUserPolicy", {{kIamUser}, {}, true}},
      {"iam:DeleteUserPolicy", {{kIamUser}, {}, true}},
      {"iam:DeleteLoginProfile", {{kIamUser}, {}, true}},
      {"iam:PutRolePolicy", {{kIamRole}, {}, true}},
      {"iam:DeleteRolePolicy", {{kIamRole}, {}, true}},
      // Re-associating an instance profile passes its role to EC2, and only to EC2.
      {"iam:PassRole",
       {{kIamRole}, {Condition{"StringEquals", "iam:PassedToService", {"ec2.amazonaws.com"}}}}},
      // WAFv2: ListIPSets supports no resource-level permissions.
      {"wafv2:GetIPSet", {{kWafIpSet}}},
      {"wafv2:UpdateIPSet", {{kWafIpSet}}},
      // Security Hub: imports are authorized against the product the findings belong to.
      {"securityhub:BatchImportFindings", {{kSecurityHubProduct}}},
  };
  return kScopes;
}

bool isRead(std::string_view api) {
  return api.starts_with("Describe") || api.starts_with("Get") || api.starts_with("List");
}

}  // namespace

Permission awsPermission(std::string_view iam_action) {
  Permission p;
  p.action = std::string(iam_action);
  const auto& table = scopes();
  if (auto it = table.find(iam_action); it != table.end()) {
    p.resources = it->second.resources;
    p.conditions = it->second.conditions;
    p.writes_principal = it->second.writes_principal;
    return p;
  }
  const auto colon = iam_action.find(':');
  const std::string_view service = iam_action.substr(0, colon);
  const std::string_view api = colon == std::string_view::npos ? "" : iam_action.substr(colon + 1);
  // An IAM change nobody has looked up could be a privilege escalation (AttachRolePolicy,
  // CreateAccessKey, PassRole to another service…): no resources, so no grant.
  if (service == "iam" && !isRead(api)) {
    p.writes_principal = true;
    return p;
  }
  p.resources = {kAnyResource};
  return p;
}

Permission awsPermission(std::string_view iam_action, std::vector<std::string> resources) {
  Permission p = awsPermission(iam_action);
  p.resources = std::move(resources);
  return p;
}

Permission onlyWithParameter(Permission p, std::string member) {
  p.when_parameter = std::move(member);
  return p;
}

}  // namespace riposte::actions
