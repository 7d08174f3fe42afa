// aws.ec2.isolateInstance: moves every network interface of an instance into a rule-less
// quarantine security group of its VPC, recording the groups it had.
#include "actions/registry.h"
#include "actions/util.h"
#include "core/log.h"
#include "core/text.h"

namespace riposte::actions {
namespace {

constexpr const char* kDefaultQuarantineName = "riposte-quarantine";

struct Eni {
  std::string id;
  std::vector<std::string> groups;
};

struct InstanceView {
  std::string id, vpc_id, subnet_id, state;
  std::vector<std::string> groups;
  std::vector<std::string> group_names;
  std::vector<Eni> enis;
  std::map<std::string, std::string> tags;
};

InstanceView viewOf(const json::value& inst) {
  InstanceView v;
  v.id = str(inst, "instanceId");
  v.vpc_id = str(inst, "vpcId");
  v.subnet_id = str(inst, "subnetId");
  if (inst.is_object() && inst.as_object().contains("instanceState")) {
    v.state = str(inst.at("instanceState"), "name");
  }
  for (const auto& g : arrayAt(inst, "groupSet")) {
    v.groups.push_back(str(g, "groupId"));
    v.group_names.push_back(str(g, "groupName"));
  }
  for (const auto& e : arrayAt(inst, "networkInterfaceSet")) {
    Eni eni{str(e, "networkInterfaceId"), {}};
    for (const auto& g : arrayAt(e, "groupSet")) eni.groups.push_back(str(g, "groupId"));
    v.enis.push_back(std::move(eni));
  }
  v.tags = tagsOf(inst);
  return v;
}

bool onlyGroup(const std::vector<std::string>& groups, const std::string& q) {
  return groups.size() == 1 && groups[0] == q;
}

bool isolatedIn(const InstanceView& v, const std::string& q) {
  if (!onlyGroup(v.groups, q)) return false;
  for (const auto& e : v.enis) {
    if (!onlyGroup(e.groups, q)) return false;
  }
  return true;
}

json::value viewJson(const InstanceView& v) {
  json::array enis;
  for (const auto& e : v.enis) {
    enis.push_back(json::object{{"networkInterfaceId", e.id}, {"groups", toJsonArray(e.groups)}});
  }
  json::array groups;
  for (size_t i = 0; i < v.groups.size(); ++i) {
    groups.push_back(json::object{{"groupId", v.groups[i]}, {"groupName", v.group_names[i]}});
  }
  json::object tags;
  for (const auto& [k, val] : v.tags) {
    if (k.rfind("riposte:", 0) == 0) tags[k] = val;
  }
  return json::object{{"instanceId", v.id},
                      {"vpcId", v.vpc_id},
                      {"subnetId", v.subnet_id},
                      {"state", v.state},
                      {"groups", std::move(groups)},
                      {"networkInterfaces", std::move(enis)},
                      {"riposteTags", std::move(tags)}};
}

struct QuarantineGroup {
  std::string id;
  bool found = false;
};

Result<QuarantineGroup> findQuarantineGroup(const ActionContext& ctx, const std::string& vpc,
                                            const std::string& name) {
  auto r = ec2Call(ctx, "DescribeSecurityGroups",
                   {{"Filter.1.Name", "vpc-id"},
                    {"Filter.1.Value.1", vpc},
                    {"Filter.2.Name", "group-name"},
                    {"Filter.2.Value.1", name}});
  if (!r) return fail(r.error());
  for (const auto& g : arrayAt(*r, "securityGroupInfo")) {
    if (str(g, "groupName") == name && str(g, "vpcId") == vpc) {
      return QuarantineGroup{str(g, "groupId"), true};
    }
  }
  return QuarantineGroup{};
}

// Creates the group (or finds the one a concurrent run created).
Result<std::string> createQuarantineGroup(const ActionContext& ctx, const std::string& vpc,
                                          const std::string& name) {
  auto r = ec2Call(ctx, "CreateSecurityGroup",
                   {{"GroupName", name},
                    {"GroupDescription", "riposte quarantine: no inbound or outbound traffic"},
                    {"VpcId", vpc},
                    {"TagSpecification.1.ResourceType", "security-group"},
                    {"TagSpecification.1.Tag.1.Key", "riposte:managed"},
                    {"TagSpecification.1.Tag.1.Value", "true"},
                    {"TagSpecification.1.Tag.2.Key", "Name"},
                    {"TagSpecification.1.Tag.2.Value", name}});
  if (r) return str(*r, "groupId");
  if (r.error().code != "InvalidGroup.Duplicate") return fail(r.error());
  auto again = findQuarantineGroup(ctx, vpc, name);
  if (!again) return fail(again.error());
  if (!again->found) return fail(r.error());
  return again->id;
}

// Revokes every ingress and egress rule of the group (a new group has allow-all egress).
// Returns how many rules were revoked.
Result<int> stripRules(const ActionContext& ctx, const std::string& group_id) {
  auto rules = ec2Call(ctx, "DescribeSecurityGroupRules",
                       {{"Filter.1.Name", "group-id"}, {"Filter.1.Value.1", group_id}});
  if (!rules) return fail(rules.error());
  aws::Pairs egress{{"GroupId", group_id}}, ingress{{"GroupId", group_id}};
  int n_egress = 0, n_ingress = 0;
  for (const auto& rule : arrayAt(*rules, "securityGroupRuleSet")) {
    if (str(rule, "groupId") != group_id) continue;
    const std::string id = str(rule, "securityGroupRuleId");
    if (str(rule, "isEgress") == "true") {
      egress.emplace_back("SecurityGroupRuleId." + std::to_string(++n_egress), id);
    } else {
      ingress.emplace_back("SecurityGroupRuleId." + std::to_string(++n_ingress), id);
    }
  }
  if (n_egress > 0) {
    auto r = ec2Call(ctx, "RevokeSecurityGroupEgress", egress);
    if (!r && r.error().code != "InvalidPermission.NotFound") return fail(r.error());
  }
  if (n_ingress > 0) {
    auto r = ec2Call(ctx, "RevokeSecurityGroupIngress", ingress);
    if (!r && r.error().code != "InvalidPermission.NotFound") return fail(r.error());
  }
  return n_egress + n_ingress;
}

// A group that allows all traffic both ways (so connections become untracked).
Result<std::string> ensureOpenGroup(const ActionContext& ctx, const std::string& vpc,
                                    const std::string& name) {
  auto found = findQuarantineGroup(ctx, vpc, name);
  if (!found) return fail(found.error());
  if (found->found) return found->id;
  auto r = ec2Call(
      ctx, "CreateSecurityGroup",
      {{"GroupName", name},
       {"GroupDescription", "riposte: allow-all step before quarantine (untracks connections)"},
       {"VpcId", vpc},
       {"TagSpecification.1.ResourceType", "security-group"},
       {"TagSpecification.1.Tag.1.Key", "riposte:managed"},
       {"TagSpecification.1.Tag.1.Value", "true"}});
  std::string id;
  if (r) {
    id = str(*r, "groupId");
  } else if (r.error().code == "InvalidGroup.Duplicate") {
    auto again = findQuarantineGroup(ctx, vpc, name);
    if (!again) return fail(again.error());
    return again->id;
  } else {
    return fail(r.error());
  }
  aws::Pairs all{{"GroupId", id},
                 {"IpPermissions.1.IpProtocol", "-1"},
                 {"IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"},
                 {"IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "::/0"}};
  if (auto in = ec2Call(ctx, "AuthorizeSecurityGroupIngress", all);
      !in && in.error().code != "InvalidPermission.Duplicate") {
    return fail(in.error());
  }
  aws::Pairs v6{{"GroupId", id},
                {"IpPermissions.1.IpProtocol", "-1"},
                {"IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "::/0"}};
  if (auto out = ec2Call(ctx, "AuthorizeSecurityGroupEgress", v6);
      !out && out.error().code != "InvalidPermission.Duplicate") {
    return fail(out.error());
  }
  return id;
}

class IsolateInstance final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.ec2.isolateInstance",
        .description =
            "Isolates an EC2 instance: records the security groups of each of its network "
            "interfaces, finds or creates the VPC's quarantine security group (no inbound and no "
            "outbound rules), moves every interface into it (through an allow-all group first, "
            "so that tracked connections become untracked and are cut), detaches the IAM "
            "instance profile, enables termination protection, tags the instance "
            "riposte:status=quarantined and riposte:incident=<id>, and verifies the result with "
            "a read. Refuses protected instances.",
        .role = Role::kContain,
        .permissions = {awsPermission("ec2:DescribeInstances"),
                        awsPermission("ec2:DescribeIamInstanceProfileAssociations"),
                        awsPermission("ec2:DescribeInstanceAttribute"),
                        awsPermission("ec2:DescribeSecurityGroups"),
                        awsPermission("ec2:CreateSecurityGroup"),
                        awsPermission("ec2:DescribeSecurityGroupRules"),
                        awsPermission("ec2:RevokeSecurityGroupEgress"),
                        awsPermission("ec2:RevokeSecurityGroupIngress"),
                        awsPermission("ec2:AuthorizeSecurityGroupIngress"),
                        awsPermission("ec2:AuthorizeSecurityGroupEgress"),
                        awsPermission("ec2:ModifyNetworkInterfaceAttribute"),
                        awsPermission("ec2:ModifyInstanceAttribute"),
                        awsPermission("ec2:DisassociateIamInstanceProfile"),
                        // The instance's quarantine tags; the quarantine groups' tags at creation.
                        awsPermission("ec2:CreateTags", {kEc2Instance, kEc2SecurityGroup})},
        .undo = "aws.ec2.releaseInstance",
        .undo_note =
            "puts back the recorded security groups of every interface, re-attaches "
            "the instance profile, restores termination protection and removes the "
            "quarantine tags; the quarantine group is kept for reuse.",
        .targets = {{TargetKind::kEc2Instance, "instanceId"}},
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto instance_id = requireString(input, "instanceId");
    if (!instance_id) return fail(instance_id.error());
    if (instance_id->rfind("i-", 0) != 0) {
      return fail(kInvalidInput, "instanceId \"" + *instance_id + "\" is not an EC2 instance id");
    }
    auto qname = optionalString(input, "quarantineGroupName", kDefaultQuarantineName);
    if (!qname) return fail(qname.error());
    auto flag = [&](const char* key, bool fallback) -> Result<bool> {
      const json::value* v = input.as_object().if_contains(key);
      if (!v || v->is_null()) return fallback;
      if (!v->is_bool()) return fail(kInvalidInput, std::string(key) + " must be true or false");
      return v->as_bool();
    };
    auto detach = flag("detachInstanceProfile", true);
    if (!detach) return fail(detach.error());
    auto protect = flag("terminationProtection", true);
    if (!protect) return fail(protect.error());
    auto untrack = flag("untrackConnections", true);
    if (!untrack) return fail(untrack.error());
    if (auto c = clientOf(ctx); !c) return fail(c.error());

    auto inst = describeInstance(ctx, *instance_id);
    if (!inst) return fail(inst.error());
    InstanceView before = viewOf(*inst);
    if (auto p = checkNotProtected(ctx, before.tags, *instance_id); !p) return fail(p.error());
    if (before.vpc_id.empty()) {
      return fail(kInvalidInput, *instance_id + " is not in a VPC (EC2-Classic is not supported)");
    }
    auto profile = profileAssociation(ctx, *instance_id);
    if (!profile) return fail(profile.error());
    auto termination = terminationProtection(ctx, *instance_id);
    if (!termination) return fail(termination.error());

    auto q = findQuarantineGroup(ctx, before.vpc_id, *qname);
    if (!q) return fail(q.error());

    ActionOutcome out;
    out.before = viewJson(before);
    auto& bo = out.before.as_object();
    bo["instanceProfile"] =
        profile->association_id.empty()
            ? json::value(nullptr)
            : json::value(
                  json::object{{"arn", profile->arn}, {"associationId", profile->association_id}});
    bo["terminationProtection"] = *termination;

    const bool tagged =
        before.tags.count("riposte:status") && before.tags.at("riposte:status") == "quarantined";
    const bool need_groups = !(q->found && isolatedIn(before, q->id));
    const bool need_profile = *detach && !profile->association_id.empty();
    const bool need_termination = *protect && !*termination;

    if (!need_groups && !need_profile && !need_termination && tagged) {
      // Already isolated; the group must still be rule-less (someone may have added rules).
      int revoked = 0;
      if (!ctx.dry_run) {
        auto stripped = stripRules(ctx, q->id);
        if (!stripped) return fail(stripped.error());
        revoked = *stripped;
      }
      out.after = out.before;
      out.changed = revoked > 0;
      out.output = json::object{{"instanceId", *instance_id},
                                {"quarantineGroupId", q->id},
                                {"quarantineGroupName", *qname},
                                {"revokedRules", revoked},
                                {"changed", revoked > 0}};
      out.summary = revoked > 0 ? *instance_id + " was already in " + q->id + "; revoked " +
                                      std::to_string(revoked) + " rule(s) that had been added to it"
                                : *instance_id + " is already isolated in " + q->id + " (" +
                                      *qname + "): nothing changed";
      return out;
    }

    if (ctx.dry_run) {
      json::array plan;
      if (need_groups) {
        if (!q->found) {
          plan.emplace_back("create security group " + *qname + " in " + before.vpc_id +
                            " and revoke its default egress rule");
        }
        for (const auto& e : before.enis) {
          plan.emplace_back("set groups of " + e.id + " from " + joinList(e.groups) + " to [" +
                            (q->found ? q->id : *qname) + "]" +
                            (*untrack ? " (through an allow-all group first)" : ""));
        }
      }
      if (need_profile) plan.emplace_back("detach instance profile " + profile->arn);
      if (need_termination) plan.emplace_back("enable termination protection");
      plan.emplace_back("tag " + *instance_id +
                        " riposte:status=quarantined, riposte:incident=" + ctx.incident_id);
      out.changed = false;
      out.after = out.before;
      out.output = json::object{{"instanceId", *instance_id}, {"dryRun", true}, {"plan", plan}};
      out.summary = "dry run: would move " + *instance_id + " from " + joinList(before.groups) +
                    " to " + (q->found ? q->id + " (" + *qname + ")" : *qname + " (to be created)");
      return out;
    }

    std::string qid = q->id;
    if (!q->found) {
      auto created = createQuarantineGroup(ctx, before.vpc_id, *qname);
      if (!created) return fail(created.error());
      qid = *created;
    }
    auto stripped = stripRules(ctx, qid);
    if (!stripped) return fail(stripped.error());

    std::string open_group;
    if (need_groups) {
      // Security group changes do not end tracked connections. Moving the interfaces through a
      // group that allows all traffic first makes them untracked; the rule-less group then
      // cuts them at once. The open window lasts two API calls per interface.
      if (*untrack) {
        auto open = ensureOpenGroup(ctx, before.vpc_id, *qname + "-untrack");
        if (!open) return fail(open.error());
        open_group = *open;
        for (const auto& e : before.enis) {
          auto r = ec2Call(ctx, "ModifyNetworkInterfaceAttribute",
                           {{"NetworkInterfaceId", e.id}, {"SecurityGroupId.1", open_group}});
          if (!r) return fail(r.error());
        }
      }
      // Every interface, then the instance attribute too (moto derives the interface view from
      // both; on AWS the call is redundant for single-interface instances and is refused for
      // multi-interface ones, which the per-interface calls already covered).
      for (const auto& e : before.enis) {
        auto r = ec2Call(ctx, "ModifyNetworkInterfaceAttribute",
                         {{"NetworkInterfaceId", e.id}, {"SecurityGroupId.1", qid}});
        if (!r) return fail(r.error());
      }
      if (auto r = ec2Call(ctx, "ModifyInstanceAttribute",
                           {{"InstanceId", *instance_id}, {"GroupId.1", qid}});
          !r && before.enis.size() <= 1) {
        return fail(r.error());
      }
    }
    if (need_profile) {
      auto r = ec2Call(ctx, "DisassociateIamInstanceProfile",
                       {{"AssociationId", profile->association_id}});
      if (!r && r.error().code != "InvalidAssociationID.NotFound") return fail(r.error());
    }
    if (need_termination) {
      auto r = ec2Call(ctx, "ModifyInstanceAttribute",
                       {{"InstanceId", *instance_id}, {"DisableApiTermination.Value", "true"}});
      if (!r) return fail(r.error());
    }

    std::string previous;
    for (const auto& g : before.groups) previous += (previous.empty() ? "" : ",") + g;
    aws::Pairs tags{{"ResourceId.1", *instance_id},
                    {"Tag.1.Key", "riposte:status"},
                    {"Tag.1.Value", "quarantined"},
                    {"Tag.2.Key", "riposte:incident"},
                    {"Tag.2.Value", ctx.incident_id},
                    {"Tag.3.Key", "riposte:quarantine-group"},
                    {"Tag.3.Value", qid}};
    int n_tag = 3;
    auto tag = [&](const std::string& k, const std::string& v) {
      ++n_tag;
      tags.emplace_back("Tag." + std::to_string(n_tag) + ".Key", k);
      tags.emplace_back("Tag." + std::to_string(n_tag) + ".Value", text::truncateUtf8(v, 255));
    };
    if (need_groups) tag("riposte:previous-groups", previous);
    if (need_profile) tag("riposte:previous-profile", profile->arn);
    if (need_termination) tag("riposte:previous-termination-protection", "false");
    if (auto r = ec2Call(ctx, "CreateTags", tags); !r) return fail(r.error());

    // Verify with a read.
    auto now = describeInstance(ctx, *instance_id);
    if (!now) return fail(now.error());
    InstanceView after = viewOf(*now);
    if (!isolatedIn(after, qid)) {
      return fail(kVerificationFailed, "after isolation " + *instance_id + " still has groups " +
                                           joinList(after.groups) + " (expected only " + qid + ")");
    }
    if (need_profile) {
      auto still = profileAssociation(ctx, *instance_id);
      if (!still) return fail(still.error());
      if (!still->association_id.empty()) {
        return fail(kVerificationFailed, "instance profile " + still->arn + " is still attached");
      }
    }
    out.changed = true;
    out.after = viewJson(after);
    out.after.as_object()["quarantineGroupId"] = qid;
    out.after.as_object()["instanceProfile"] = nullptr;
    out.after.as_object()["terminationProtection"] = *protect || *termination;
    out.output = json::object{
        {"instanceId", *instance_id},
        {"quarantineGroupId", qid},
        {"quarantineGroupName", *qname},
        {"previousGroups", toJsonArray(before.groups)},
        {"networkInterfaces", out.before.at("networkInterfaces")},
        {"quarantineGroupCreated", !q->found},
        {"untrackedThrough", open_group.empty() ? json::value(nullptr) : json::value(open_group)},
        {"instanceProfileDetached",
         need_profile ? json::value(profile->arn) : json::value(nullptr)},
        {"terminationProtection", *protect || *termination},
        {"uncutFlows",
         "Flows through a NAT gateway, Network Load Balancer, Transit Gateway or PrivateLink "
         "endpoint are always tracked and may survive the group change until they close."},
        {"changed", true}};
    out.summary = "moved " + *instance_id + " from " + joinList(before.groups) + " to " + qid +
                  " (" + *qname + ")" +
                  (need_profile ? ", detached instance profile " + profile->arn : "") +
                  (need_termination ? ", enabled termination protection" : "");
    logInfo("instance isolated",
            {{"instance", *instance_id}, {"quarantine_group", qid}, {"incident", ctx.incident_id}});
    return out;
  }
};

}  // namespace

std::shared_ptr<const Action> makeIsolateInstance() {
  return std::make_shared<IsolateInstance>();
}

}  // namespace riposte::actions
