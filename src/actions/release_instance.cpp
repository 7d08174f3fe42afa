// aws.ec2.releaseInstance: the undo of aws.ec2.isolateInstance.
#include <optional>
#include <set>

#include "actions/registry.h"
#include "actions/util.h"
#include "core/log.h"

namespace riposte::actions {
namespace {

const char* kQuarantineTags[] = {
    "riposte:status",           "riposte:incident",
    "riposte:quarantine-group", "riposte:previous-groups",
    "riposte:previous-profile", "riposte:previous-termination-protection"};

std::vector<std::string> stringsOf(const json::value& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const auto& x : v.as_array()) {
    if (x.is_string()) out.emplace_back(x.as_string());
    if (x.is_object()) out.push_back(str(x, "groupId"));
  }
  return out;
}

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

class ReleaseInstance final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.ec2.releaseInstance",
        .description =
            "Releases an instance from quarantine: puts back the security groups recorded for "
            "each network interface (from the isolation's `before` record, else from the "
            "instance's riposte:previous-groups tag), re-attaches the recorded IAM instance "
            "profile, turns termination protection back off if it was off, removes the "
            "quarantine tags and verifies the groups with a read. The quarantine group itself "
            "is kept for reuse.",
        .role = Role::kRestore,
        .permissions = {awsPermission("ec2:DescribeInstances"),
                        awsPermission("ec2:DescribeIamInstanceProfileAssociations"),
                        awsPermission("ec2:DescribeInstanceAttribute"),
                        awsPermission("ec2:ModifyNetworkInterfaceAttribute"),
                        awsPermission("ec2:ModifyInstanceAttribute"),
                        awsPermission("ec2:AssociateIamInstanceProfile"),
                        awsPermission("iam:PassRole"),
                        awsPermission("ec2:DeleteTags", {kEc2Instance})},
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto instance_id = requireString(input, "instanceId");
    if (!instance_id) return fail(instance_id.error());
    if (auto c = clientOf(ctx); !c) return fail(c.error());
    const json::value* before_in = input.as_object().if_contains("before");

    auto inst = describeInstance(ctx, *instance_id);
    if (!inst) return fail(inst.error());
    auto tags = tagsOf(*inst);
    std::vector<std::string> current = groupIdsOf(inst->at("groupSet"));

    // What to restore: per ENI from the record, else the instance groups for every ENI.
    std::map<std::string, std::vector<std::string>> eni_groups;
    std::vector<std::string> instance_groups;
    if (before_in && before_in->is_object()) {
      instance_groups =
          stringsOf(before_in->as_object().contains("groups") ? before_in->at("groups")
                                                              : json::value(nullptr));
      for (const auto& e : arrayAt(*before_in, "networkInterfaces")) {
        eni_groups[str(e, "networkInterfaceId")] = stringsOf(e.at("groups"));
      }
    }
    bool repeat_record = false;
    // A record of a repeat isolation (nothing changed) holds the quarantine group itself:
    // that is not what to restore.
    if (tags.count("riposte:quarantine-group") && instance_groups.size() == 1 &&
        instance_groups[0] == tags.at("riposte:quarantine-group")) {
      instance_groups.clear();
      eni_groups.clear();
      repeat_record = true;
    }
    if (instance_groups.empty() && tags.count("riposte:previous-groups")) {
      instance_groups = splitComma(tags.at("riposte:previous-groups"));
    }
    if (instance_groups.empty() && eni_groups.empty()) {
      if (!tags.count("riposte:status")) {
        ActionOutcome out;
        out.changed = false;
        out.before = json::object{{"groups", toJsonArray(current)}};
        out.after = out.before;
        out.output = json::object{{"instanceId", *instance_id}, {"changed", false}};
        out.summary = *instance_id + " is not quarantined by riposte: nothing changed";
        return out;
      }
      return fail(kInvalidInput, "no recorded groups to restore for " + *instance_id +
                                     ": pass the isolation's \"before\" record");
    }
    if (instance_groups.empty() && !eni_groups.empty())
      instance_groups = eni_groups.begin()->second;

    // Instance profile and termination protection as recorded.
    std::string profile_arn;
    std::optional<bool> termination_before;
    if (before_in && before_in->is_object() && !repeat_record) {
      if (const json::value* p = before_in->as_object().if_contains("instanceProfile");
          p && p->is_object()) {
        profile_arn = str(*p, "arn");
      }
      if (const json::value* t = before_in->as_object().if_contains("terminationProtection");
          t && t->is_bool()) {
        termination_before = t->as_bool();
      }
    }
    // Fallbacks recorded on the instance by isolateInstance.
    if (profile_arn.empty() && tags.count("riposte:previous-profile")) {
      profile_arn = tags.at("riposte:previous-profile");
    }
    if (!termination_before && tags.count("riposte:previous-termination-protection")) {
      termination_before = tags.at("riposte:previous-termination-protection") == "true";
    }
    bool need_profile = false, need_termination = false;
    if (!profile_arn.empty()) {
      auto assoc = profileAssociation(ctx, *instance_id);
      if (!assoc) return fail(assoc.error());
      need_profile = assoc->association_id.empty();
    }
    if (termination_before && !*termination_before) {
      auto on = terminationProtection(ctx, *instance_id);
      if (!on) return fail(on.error());
      need_termination = *on;
    }

    std::vector<std::string> enis;
    for (const auto& e : arrayAt(*inst, "networkInterfaceSet"))
      enis.push_back(str(e, "networkInterfaceId"));

    ActionOutcome out;
    out.before = json::object{{"instanceId", *instance_id}, {"groups", toJsonArray(current)}};
    const bool quarantine_tags = tags.count("riposte:status") > 0;
    const std::set<std::string> want(instance_groups.begin(), instance_groups.end());
    if (!quarantine_tags && !need_profile && !need_termination &&
        std::set<std::string>(current.begin(), current.end()) == want) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{
          {"instanceId", *instance_id}, {"groups", toJsonArray(current)}, {"changed", false}};
      out.summary = *instance_id + " already has " + joinList(current) + ": nothing changed";
      return out;
    }
    if (ctx.dry_run) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{
          {"instanceId", *instance_id}, {"dryRun", true}, {"groups", toJsonArray(instance_groups)}};
      out.summary = "dry run: would restore " + *instance_id + " to " + joinList(instance_groups);
      return out;
    }
    for (const auto& eni : enis) {
      auto it = eni_groups.find(eni);
      const auto& groups = it != eni_groups.end() ? it->second : instance_groups;
      aws::Pairs p{{"NetworkInterfaceId", eni}};
      for (size_t i = 0; i < groups.size(); ++i) {
        p.emplace_back("SecurityGroupId." + std::to_string(i + 1), groups[i]);
      }
      if (auto r = ec2Call(ctx, "ModifyNetworkInterfaceAttribute", p); !r) return fail(r.error());
    }
    aws::Pairs p{{"InstanceId", *instance_id}};
    for (size_t i = 0; i < instance_groups.size(); ++i) {
      p.emplace_back("GroupId." + std::to_string(i + 1), instance_groups[i]);
    }
    if (auto r = ec2Call(ctx, "ModifyInstanceAttribute", p); !r && enis.size() <= 1) {
      return fail(r.error());
    }
    if (need_profile) {
      auto assoc = ec2Call(ctx, "AssociateIamInstanceProfile",
                           {{"InstanceId", *instance_id}, {"IamInstanceProfile.Arn", profile_arn}});
      if (!assoc) return fail(assoc.error());
    }
    if (need_termination) {
      auto t = ec2Call(ctx, "ModifyInstanceAttribute",
                       {{"InstanceId", *instance_id}, {"DisableApiTermination.Value", "false"}});
      if (!t) return fail(t.error());
    }
    aws::Pairs del{{"ResourceId.1", *instance_id}};
    int n = 0;
    for (const char* k : kQuarantineTags)
      del.emplace_back("Tag." + std::to_string(++n) + ".Key", k);
    if (auto r = ec2Call(ctx, "DeleteTags", del); !r) return fail(r.error());

    auto now = describeInstance(ctx, *instance_id);
    if (!now) return fail(now.error());
    std::vector<std::string> after = groupIdsOf(now->at("groupSet"));
    if (std::set<std::string>(after.begin(), after.end()) != want) {
      return fail(kVerificationFailed, "after release " + *instance_id + " has groups " +
                                           joinList(after) + ", expected " +
                                           joinList(instance_groups));
    }
    out.changed = true;
    out.after = json::object{{"instanceId", *instance_id}, {"groups", toJsonArray(after)}};
    out.output = json::object{
        {"instanceId", *instance_id}, {"groups", toJsonArray(after)}, {"changed", true}};
    out.summary = "restored " + *instance_id + " from " + joinList(current) + " to " +
                  joinList(after) + (need_profile ? ", re-attached " + profile_arn : "") +
                  (need_termination ? ", disabled termination protection" : "") +
                  " and removed the quarantine tags";
    logInfo("instance released", {{"instance", *instance_id}, {"incident", ctx.incident_id}});
    return out;
  }
};

}  // namespace

std::shared_ptr<const Action> makeReleaseInstance() {
  return std::make_shared<ReleaseInstance>();
}

}  // namespace riposte::actions
