// aws.ec2.stopInstance / aws.ec2.startInstance.
#include "actions/registry.h"
#include "actions/util.h"

namespace riposte::actions {
namespace {

class StopStartInstance final : public BuiltinAction {
 public:
  explicit StopStartInstance(bool stop) : stop_(stop) {}
  const Descriptor& descriptor() const override {
    static const Descriptor kStop{
        .name = "aws.ec2.stopInstance",
        .description =
            "Stops an instance (StopInstances). Optional and never the default: a stop loses "
            "the memory evidence, so quarantine (isolateInstance) is preferred. Refuses "
            "protected instances.",
        .role = Role::kContain,
        .permissions = {awsPermission("ec2:DescribeInstances"), awsPermission("ec2:StopInstances")},
        .undo = "aws.ec2.startInstance",
        .undo_note = "starts the instance again; what was in its memory is gone.",
        .targets = {{TargetKind::kEc2Instance, "instanceId"}},
    };
    static const Descriptor kStart{
        .name = "aws.ec2.startInstance",
        .description = "Starts an instance again (StartInstances).",
        .role = Role::kRestore,
        .permissions = {awsPermission("ec2:DescribeInstances"),
                        awsPermission("ec2:StartInstances")},
    };
    return stop_ ? kStop : kStart;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto id = requireString(input, "instanceId");
    if (!id) return fail(id.error());
    if (auto c = clientOf(ctx); !c) return fail(c.error());
    auto inst = describeInstance(ctx, *id);
    if (!inst) return fail(inst.error());
    if (stop_) {
      if (auto p = checkNotProtected(ctx, tagsOf(*inst), *id); !p) return fail(p.error());
    }
    const std::string state =
        inst->as_object().contains("instanceState") ? str(inst->at("instanceState"), "name") : "";
    ActionOutcome out;
    out.before = json::object{{"instanceId", *id}, {"state", state}};
    const bool done = stop_ ? (state == "stopped" || state == "stopping")
                            : (state == "running" || state == "pending");
    if (done || ctx.dry_run) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{{"instanceId", *id}, {"state", state}, {"changed", false}};
      if (!done) out.output.as_object()["dryRun"] = true;
      out.summary = done ? *id + " is already " + state + ": nothing changed"
                         : "dry run: would " + std::string(stop_ ? "stop " : "start ") + *id;
      return out;
    }
    auto r = ec2Call(ctx, stop_ ? "StopInstances" : "StartInstances", {{"InstanceId.1", *id}});
    if (!r) return fail(r.error());
    std::string now_state;
    for (const auto& i : arrayAt(*r, "instancesSet")) {
      if (i.is_object() && i.as_object().contains("currentState")) {
        now_state = str(i.at("currentState"), "name");
      }
    }
    out.changed = true;
    out.after = json::object{{"instanceId", *id}, {"state", now_state}};
    out.output = json::object{{"instanceId", *id}, {"state", now_state}, {"changed", true}};
    out.summary = std::string(stop_ ? "stopped " : "started ") + *id + " (was " + state + ")";
    return out;
  }

 private:
  bool stop_;
};

}  // namespace

std::shared_ptr<const Action> makeStopInstance() {
  return std::make_shared<StopStartInstance>(true);
}
std::shared_ptr<const Action> makeStartInstance() {
  return std::make_shared<StopStartInstance>(false);
}
}  // namespace riposte::actions
