#pragma once
// What an action is, as data: its name, what it does, its role in a response, the IAM
// permissions it needs (with the resources each applies to), the action that undoes it and what
// the engine does when a crash interrupted it. Every other part of riposte reads this: the
// engine (is a resource contained?), release (which undo to run), the runbook, `simulate`'s
// plan, `iam-policy` and the reference table in docs/actions.md. Nothing parses the prose.
//
//   const Descriptor& d = registry.find("riposte:aws.ec2.isolateInstance")->descriptor();
//   d.role == Role::kContain;            // d.isDestructive()
//   d.undo == "aws.ec2.releaseInstance";
//   d.permissions[0].action == "ec2:DescribeInstances";

#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"

namespace riposte::actions {

// What the engine does when it finds the record of an attempt that was interrupted: recorded
// "running" (about to act) but no outcome, because the process died during the call.
enum class Replay {
  // Run it again: the action reads the current state first and changes only what is not yet
  // as wanted, so a repeat cannot double an effect (every state-checking action).
  kRerun,
  // Run it again with the same ActionContext::action_id, which the action passes on as a
  // deduplication id (aws.sns.publish: MessageDeduplicationId on a FIFO topic, the
  // riposte-dedup-id message attribute on a standard one). Receivers may see it twice.
  kRerunDeduplicated,
  // Do not run it again: its effect cannot be checked and a repeat may duplicate it. The Task
  // fails with kActionInterrupted, which a playbook may Retry (accepting a repeat) or Catch.
  kFailInterrupted,
};

// "rerun", "rerun-deduplicated", "fail-interrupted".
std::string_view replayName(Replay r);

// The part an action plays in a response.
enum class Role {
  kContain,   // cuts an attacker off: changes the resource so that it can do less (destructive)
  kRestore,   // reverses a containment: the undo actions release runs
  kEvidence,  // keeps or marks what the investigation needs (snapshots, tags)
  kNotify,    // tells people (SNS)
  kSiem,      // records the incident in a security system (Security Hub)
  kRead,      // reads only
};

// "contain", "restore", "evidence", "notify", "siem", "read".
std::string_view roleName(Role r);

// One condition of an IAM policy statement: {"<op>": {"<key>": [values…]}}.
struct Condition {
  std::string op{};   // "StringEquals"
  std::string key{};  // "iam:PassedToService"
  std::vector<std::string> values{};
  bool operator==(const Condition&) const = default;
};

// One IAM action an action calls, and what AWS lets a policy scope it to.
struct Permission {
  std::string action{};  // "ec2:ModifyInstanceAttribute"
  // ARN patterns of the resources the call authorizes against ("arn:aws:ec2:*:*:instance/*"),
  // every resource type the call uses; {"*"} when AWS supports no resource-level scoping.
  // Empty when riposte does not know how AWS scopes it (iam-policy refuses such a grant).
  std::vector<std::string> resources{};
  std::vector<Condition> conditions{};  // always part of the grant
  // The resources are the SNS topics the Task publishes to: iam-policy reads them from the
  // Task's Parameters (a literal ARN or the configured notifications.sns_topic_arn).
  bool task_topics = false;
  // Changes an IAM user or role (a policy, a key, a login profile): iam-policy allows it only
  // on principals without the configured protection tag, and never on riposte's own roles.
  bool writes_principal = false;
  // Needed only when the Task's Parameters have this member (or "<member>.$"): a fallback the
  // playbook opts into (blockIp's WAF IP set). "" = always.
  std::string when_parameter{};
  bool operator==(const Permission&) const = default;
};

// The kinds of resource a destructive action changes, as the scope check reads them
// (policy/limits.h: the engine reads the resource's VPC and tags before the action acts).
enum class TargetKind {
  kEc2Instance,  // DescribeInstances: VPC and tags
  kEc2Subnet,    // DescribeSubnets: VPC and tags
  kIamUser,      // ListUserTags: tags (no VPC)
  kIamRole,      // ListRoleTags: tags (no VPC)
  kWafIpSet,     // a WAF IP set: neither VPC nor tags are read
};

// One way an action's input names the resource it changes: the input member holding its id.
struct Target {
  TargetKind kind = TargetKind::kEc2Instance;
  std::string member{};  // "instanceId"
};

struct Descriptor {
  std::string name{};         // "aws.ec2.isolateInstance" (Task Resource "riposte:<name>")
  std::string description{};  // what it does, one paragraph (no word on undo: see below)
  Role role = Role::kRead;
  std::vector<Permission> permissions{};  // in the order it calls them
  // The action release runs to undo it ("" when none). Its input is this action's recorded
  // output with "before" added (undoInput()). An undo has no undo of its own.
  std::string undo{};
  // One sentence: with an undo, what it restores and what it cannot; without, why there is
  // none. Shown beside the undo in every document.
  std::string undo_note{};
  Replay replay = Replay::kRerun;
  // What a destructive action changes: the first of these whose member the Task's input has
  // (blockIp: an instance, else a subnet). Empty: riposte does not know (an aws-sdk call), and
  // a scope that lists VPCs, tags or resource ids refuses it.
  std::vector<Target> targets{};
  // The input member holding the IP address this action blocks ("ip" for aws.ec2.blockIp and
  // aws.wafv2.blockIp; "" for the others). The engine refuses to block an address that a
  // trusted threat-intelligence list holds (ResourceProtected), whatever the playbook says,
  // and publishes the addresses these actions block (policy/threat_config.h `publish`).
  std::string blocked_address{};
  // What a Task of this action blocks, for that check, when it is not `blocked_address`: the
  // direct AWS calls that deny addresses (sdkBlocks(): a network ACL deny entry's CidrBlock,
  // a WAF IP set's Addresses). blocksOf() gives the one in force; blockedAddresses() reads it.
  struct Blocks {
    // Input members holding an address or CIDR (a string) or a list of them (an array of
    // strings); a member's name matches ASCII-case-insensitively.
    std::vector<std::string> members{};
    // The Task blocks nothing when this member equals allow_value (ASCII-case-insensitively):
    // a network ACL entry's RuleAction "allow". Absent, or anything else: it blocks.
    std::string allow_member{};
    std::string allow_value{};
    bool empty() const { return members.empty(); }
    bool operator==(const Blocks&) const = default;
  };
  Blocks blocks{};

  // Changes a customer's resource so that it can do less: blast-radius limits and approvals
  // are about these.
  bool isDestructive() const { return role == Role::kContain; }
  // The IAM actions, sorted and unique ("ec2:CreateTags", …).
  std::vector<std::string> permissionNames() const;
};

// The addresses a Task of `d` blocks: `d.blocks`, or else {members: [d.blocked_address]}
// (empty when it blocks none).
Descriptor::Blocks blocksOf(const Descriptor& d);
// The addresses and CIDRs a Task of `d` with these Parameters blocks, as written, in the order
// of the members (the engine checks each against the trusted lists: engine/action_runner.h
// checkTrusted). Empty when it blocks none: no such member (the action reports its missing
// input), null, or the allow member says allow. Error "InvalidInput" when a member holds
// anything but a string or an array of strings (riposte cannot tell what it would block).
Result<std::vector<std::string>> blockedAddresses(const Descriptor& d, const json::value& input);
// The direct AWS calls (Step Functions' aws-sdk integrations) that block addresses, by IAM
// action name ("ec2:CreateNetworkAclEntry"): the one table of them, read by sdk_call.cpp and
// docs. nullptr for any other call.
const Descriptor::Blocks* sdkBlocks(std::string_view iam_action);
const std::vector<std::pair<std::string, Descriptor::Blocks>>& blockingSdkCalls();

// The permissions a Task with these Parameters (an object; null for none) needs from `d`: all
// but the ones it does not opt into (Permission::when_parameter), in order.
std::vector<Permission> permissionsFor(const Descriptor& d, const json::object* parameters);
// The IAM actions of `permissions`, each once, in order.
std::vector<std::string> actionsOf(const std::vector<Permission>& permissions);

// ----- How AWS scopes the API calls riposte makes (IAM Service Authorization Reference)

// ARN patterns of the resource types the actions act on.
inline constexpr const char* kAnyResource = "*";
inline constexpr const char* kEc2Instance = "arn:aws:ec2:*:*:instance/*";
inline constexpr const char* kEc2SecurityGroup = "arn:aws:ec2:*:*:security-group/*";
inline constexpr const char* kEc2SecurityGroupRule = "arn:aws:ec2:*:*:security-group-rule/*";
inline constexpr const char* kEc2NetworkInterface = "arn:aws:ec2:*:*:network-interface/*";
inline constexpr const char* kEc2NetworkAcl = "arn:aws:ec2:*:*:network-acl/*";
inline constexpr const char* kEc2Vpc = "arn:aws:ec2:*:*:vpc/*";
inline constexpr const char* kEc2Volume = "arn:aws:ec2:*:*:volume/*";
inline constexpr const char* kEc2Snapshot = "arn:aws:ec2:*::snapshot/*";
inline constexpr const char* kEc2AnyResource = "arn:aws:ec2:*:*:*/*";
inline constexpr const char* kIamUser = "arn:aws:iam::*:user/*";
inline constexpr const char* kIamRole = "arn:aws:iam::*:role/*";
inline constexpr const char* kWafIpSet = "arn:aws:wafv2:*:*:*/ipset/*/*";
inline constexpr const char* kSecurityHubProduct = "arn:aws:securityhub:*:*:product/*/*";

// The permission for one IAM action ("ec2:ModifyInstanceAttribute") with the resource types
// and conditions AWS authorizes the call against. Reads (Describe*, Get*, List*) of services
// without resource-level permissions are on "*"; an IAM change riposte has no entry for gets
// no resources (see Permission::resources).
Permission awsPermission(std::string_view iam_action);
// The same, narrowed to the resource types this action touches (CreateTags on instances only).
Permission awsPermission(std::string_view iam_action, std::vector<std::string> resources);
// `p`, needed only when the Task's Parameters have `member` (Permission::when_parameter).
Permission onlyWithParameter(Permission p, std::string member);

}  // namespace riposte::actions
