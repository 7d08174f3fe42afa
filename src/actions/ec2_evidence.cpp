// aws.ec2.snapshotVolumes and aws.ec2.tagResource.
#include "actions/registry.h"
#include "actions/util.h"

namespace riposte::actions {
namespace {

class SnapshotVolumes final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.ec2.snapshotVolumes",
        .description =
            "Takes a forensic EBS snapshot of every volume attached to an instance, tagged "
            "riposte:incident=<id>, riposte:instance=<id> and riposte:device=<device>, before "
            "anything destructive happens. A volume that already has a snapshot for this "
            "incident is not snapshotted again.",
        .role = Role::kEvidence,
        .permissions = {awsPermission("ec2:DescribeInstances"),
                        awsPermission("ec2:DescribeVolumes"),
                        awsPermission("ec2:DescribeSnapshots"), awsPermission("ec2:CreateSnapshot"),
                        // The snapshots' tags, set as they are created.
                        awsPermission("ec2:CreateTags", {kEc2Snapshot})},
        .undo_note =
            "not undone: snapshots are evidence (delete them by hand when the case is "
            "closed).",
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto instance_id = requireString(input, "instanceId");
    if (!instance_id) return fail(instance_id.error());
    if (auto c = clientOf(ctx); !c) return fail(c.error());
    auto inst = describeInstance(ctx, *instance_id);
    if (!inst) return fail(inst.error());
    auto vols =
        ec2Call(ctx, "DescribeVolumes",
                {{"Filter.1.Name", "attachment.instance-id"}, {"Filter.1.Value.1", *instance_id}});
    if (!vols) return fail(vols.error());
    auto snaps = ec2Call(ctx, "DescribeSnapshots",
                         {{"Owner.1", "self"},
                          {"Filter.1.Name", "tag:riposte:incident"},
                          {"Filter.1.Value.1", ctx.incident_id}});
    if (!snaps) return fail(snaps.error());
    std::map<std::string, std::string> existing;  // volume → snapshot (this incident)
    for (const auto& s : arrayAt(*snaps, "snapshotSet")) {
      if (tagsOf(s)["riposte:incident"] == ctx.incident_id) {
        existing[str(s, "volumeId")] = str(s, "snapshotId");
      }
    }
    json::array result, planned;
    int created = 0;
    for (const auto& v : arrayAt(*vols, "volumeSet")) {
      const std::string vol = str(v, "volumeId");
      std::string device;
      for (const auto& a : arrayAt(v, "attachmentSet")) {
        if (str(a, "instanceId") == *instance_id) device = str(a, "device");
      }
      if (auto it = existing.find(vol); it != existing.end()) {
        result.push_back(json::object{
            {"volumeId", vol}, {"device", device}, {"snapshotId", it->second}, {"created", false}});
        continue;
      }
      if (ctx.dry_run) {
        planned.push_back(json::object{{"volumeId", vol}, {"device", device}});
        continue;
      }
      auto snap =
          ec2Call(ctx, "CreateSnapshot",
                  {{"VolumeId", vol},
                   {"Description", "riposte forensic snapshot of " + vol + " (" + *instance_id +
                                       " " + device + ") for incident " + ctx.incident_id},
                   {"TagSpecification.1.ResourceType", "snapshot"},
                   {"TagSpecification.1.Tag.1.Key", "riposte:incident"},
                   {"TagSpecification.1.Tag.1.Value", ctx.incident_id},
                   {"TagSpecification.1.Tag.2.Key", "riposte:instance"},
                   {"TagSpecification.1.Tag.2.Value", *instance_id},
                   {"TagSpecification.1.Tag.3.Key", "riposte:device"},
                   {"TagSpecification.1.Tag.3.Value", device}});
      if (!snap) return fail(snap.error());
      ++created;
      result.push_back(json::object{{"volumeId", vol},
                                    {"device", device},
                                    {"snapshotId", str(*snap, "snapshotId")},
                                    {"created", true}});
    }
    ActionOutcome out;
    out.before = json::object{{"instanceId", *instance_id}, {"snapshots", json::array()}};
    out.after = json::object{{"instanceId", *instance_id}, {"snapshots", result}};
    if (ctx.dry_run && !planned.empty()) {
      out.changed = false;
      out.output = json::object{{"instanceId", *instance_id},
                                {"dryRun", true},
                                {"volumes", planned},
                                {"snapshots", result}};
      out.summary = "dry run: would snapshot " + std::to_string(planned.size()) + " volume(s) of " +
                    *instance_id;
      return out;
    }
    out.changed = created > 0;
    out.output =
        json::object{{"instanceId", *instance_id}, {"snapshots", result}, {"changed", out.changed}};
    if (result.empty()) {
      out.summary = *instance_id + " has no attached volumes: nothing to snapshot";
    } else if (created == 0) {
      out.summary = "the " + std::to_string(result.size()) + " volume(s) of " + *instance_id +
                    " already have snapshots for this incident: nothing changed";
    } else {
      std::vector<std::string> ids;
      for (const auto& r : result) ids.push_back(str(r, "snapshotId"));
      out.summary = "snapshotted " + std::to_string(created) + " volume(s) of " + *instance_id +
                    ": " + joinList(ids);
    }
    return out;
  }
};

class TagResource final : public BuiltinAction {
 public:
  const Descriptor& descriptor() const override {
    static const Descriptor kD{
        .name = "aws.ec2.tagResource",
        .description =
            "Sets tags on EC2 resources (instances, volumes, security groups, …), recording the "
            "previous value of each tag it sets. Tags already at the wanted value are left "
            "alone; protected resources are refused.",
        .role = Role::kEvidence,
        .permissions = {awsPermission("ec2:DescribeTags"), awsPermission("ec2:CreateTags")},
        .undo_note =
            "not undone: the tags stay (its record holds each tag's previous value, "
            "for an operator to put back).",
    };
    return kD;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    if (!input.is_object()) return fail(kInvalidInput, "action input must be a JSON object");
    std::vector<std::string> ids;
    if (auto id = optionalString(input, "resourceId"); !id) {
      return fail(id.error());
    } else if (!id->empty()) {
      ids.push_back(*id);
    }
    for (const auto& v : arrayAt(input, "resourceIds")) {
      if (!v.is_string()) return fail(kInvalidInput, "resourceIds must hold strings");
      ids.emplace_back(v.as_string());
    }
    if (ids.empty()) return fail(kInvalidInput, "input needs \"resourceId\" or \"resourceIds\"");
    const json::value* tags_in = input.as_object().if_contains("tags");
    if (!tags_in || !tags_in->is_object() || tags_in->as_object().empty()) {
      return fail(kInvalidInput, "input field \"tags\" (an object of strings) is required");
    }
    std::map<std::string, std::string> want;
    for (const auto& kv : tags_in->as_object()) {
      if (!kv.value().is_string()) return fail(kInvalidInput, "tag values must be strings");
      want[std::string(kv.key())] = std::string(kv.value().as_string());
    }
    if (auto c = clientOf(ctx); !c) return fail(c.error());

    aws::Pairs q{{"Filter.1.Name", "resource-id"}};
    for (size_t i = 0; i < ids.size(); ++i)
      q.emplace_back("Filter.1.Value." + std::to_string(i + 1), ids[i]);
    auto current = ec2Call(ctx, "DescribeTags", q);
    if (!current) return fail(current.error());
    std::map<std::string, std::map<std::string, std::string>> have;
    for (const auto& t : arrayAt(*current, "tagSet")) {
      have[str(t, "resourceId")][str(t, "key")] = str(t, "value");
    }
    json::object before;
    std::vector<std::string> to_tag;
    for (const auto& id : ids) {
      if (auto p = checkNotProtected(ctx, have[id], id); !p) return fail(p.error());
      json::object prev;
      bool differs = false;
      for (const auto& [k, v] : want) {
        auto it = have[id].find(k);
        prev[k] = it == have[id].end() ? json::value(nullptr) : json::value(it->second);
        differs |= (it == have[id].end() || it->second != v);
      }
      before[id] = std::move(prev);
      if (differs) to_tag.push_back(id);
    }
    ActionOutcome out;
    out.before = before;
    json::object after;
    for (const auto& id : ids) after[id] = *tags_in;
    out.after = after;
    if (to_tag.empty() || ctx.dry_run) {
      out.changed = false;
      out.output = json::object{{"resourceIds", toJsonArray(ids)}, {"changed", false}};
      if (ctx.dry_run && !to_tag.empty()) out.output.as_object()["dryRun"] = true;
      out.summary = to_tag.empty() ? "tags already set on " + joinList(ids) + ": nothing changed"
                                   : "dry run: would tag " + joinList(to_tag);
      if (ctx.dry_run) out.after = out.before;
      return out;
    }
    aws::Pairs p;
    for (size_t i = 0; i < to_tag.size(); ++i)
      p.emplace_back("ResourceId." + std::to_string(i + 1), to_tag[i]);
    int n = 0;
    for (const auto& [k, v] : want) {
      ++n;
      p.emplace_back("Tag." + std::to_string(n) + ".Key", k);
      p.emplace_back("Tag." + std::to_string(n) + ".Value", v);
    }
    if (auto r = ec2Call(ctx, "CreateTags", p); !r) return fail(r.error());
    out.changed = true;
    out.output =
        json::object{{"resourceIds", toJsonArray(to_tag)}, {"tags", *tags_in}, {"changed", true}};
    out.summary = "tagged " + joinList(to_tag) + " with " + toJson(*tags_in);
    return out;
  }
};

}  // namespace

std::shared_ptr<const Action> makeSnapshotVolumes() {
  return std::make_shared<SnapshotVolumes>();
}
std::shared_ptr<const Action> makeTagResource() {
  return std::make_shared<TagResource>();
}

}  // namespace riposte::actions
