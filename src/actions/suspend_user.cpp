// aws.iam.suspendUser / aws.iam.unsuspendUser.
#include "actions/registry.h"
#include "actions/util.h"

namespace riposte::actions {
namespace {

constexpr const char* kSuspendPolicy = "riposte-suspend-user";

Result<json::value> iam(const ActionContext& ctx, const std::string& action, aws::Pairs params) {
  if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
  aws::Call call;
  call.service = "iam";
  call.region = ctx.region.empty() ? "us-east-1" : ctx.region;
  call.action = action;
  call.params = std::move(params);
  return ctx.aws->queryJson(call);
}

class SuspendUser final : public BuiltinAction {
 public:
  explicit SuspendUser(bool suspend) : suspend_(suspend) {}
  const Descriptor& descriptor() const override {
    static const Descriptor kSuspend{
        .name = "aws.iam.suspendUser",
        .description =
            "Suspends an IAM user: deletes the console login profile (password) and puts the "
            "inline policy riposte-suspend-user denying every action. Refuses protected users.",
        .role = Role::kContain,
        .permissions = {awsPermission("iam:ListUserTags"), awsPermission("iam:GetUserPolicy"),
                        awsPermission("iam:GetLoginProfile"),
                        awsPermission("iam:DeleteLoginProfile"),
                        awsPermission("iam:PutUserPolicy")},
        .undo = "aws.iam.unsuspendUser",
        .undo_note =
            "removes the deny-all policy; the console password cannot be put back and "
            "must be set again by an administrator.",
        .targets = {{TargetKind::kIamUser, "userName"}},
    };
    static const Descriptor kUnsuspend{
        .name = "aws.iam.unsuspendUser",
        .description = "Deletes the riposte-suspend-user policy of an IAM user.",
        .role = Role::kRestore,
        .permissions = {awsPermission("iam:GetUserPolicy"), awsPermission("iam:DeleteUserPolicy")},
    };
    return suspend_ ? kSuspend : kUnsuspend;
  }

 protected:
  Result<ActionOutcome> execute(const json::value& input, ActionContext& ctx) const override {
    auto user = requireString(input, "userName");
    if (!user) return fail(user.error());
    if (!ctx.aws) return fail(kNotConfigured, "no AWS client configured for this action");
    if (suspend_) {
      auto tags = iam(ctx, "ListUserTags", {{"UserName", *user}});
      if (!tags) return fail(tags.error());
      std::map<std::string, std::string> t;
      if (const json::value* list = findPath(*tags, "ListUserTagsResult.Tags")) {
        auto add = [&](const json::value& m) { t[str(m, "Key")] = str(m, "Value"); };
        if (list->is_array()) {
          for (const auto& m : list->as_array()) add(m);
        } else if (list->is_object()) {
          add(*list);
        }
      }
      if (auto p = checkNotProtected(ctx, t, "IAM user " + *user); !p) return fail(p.error());
    }
    auto policy = iam(ctx, "GetUserPolicy", {{"UserName", *user}, {"PolicyName", kSuspendPolicy}});
    if (!policy && policy.error().code != "NoSuchEntity") return fail(policy.error());
    const bool has_policy = policy.has_value();
    bool has_login = false;
    if (suspend_) {
      auto login = iam(ctx, "GetLoginProfile", {{"UserName", *user}});
      if (!login && login.error().code != "NoSuchEntity") return fail(login.error());
      has_login = login.has_value();
    }
    ActionOutcome out;
    out.before = json::object{
        {"userName", *user}, {"suspendPolicy", has_policy}, {"loginProfile", has_login}};
    const bool done = suspend_ ? (has_policy && !has_login) : !has_policy;
    if (done || ctx.dry_run) {
      out.changed = false;
      out.after = out.before;
      out.output = json::object{{"userName", *user}, {"changed", false}};
      if (!done) out.output.as_object()["dryRun"] = true;
      out.summary = done ? "IAM user " + *user +
                               (suspend_ ? " is already suspended" : " is not suspended") +
                               ": nothing changed"
                         : "dry run: would " + std::string(suspend_ ? "suspend" : "unsuspend") +
                               " IAM user " + *user;
      return out;
    }
    if (suspend_) {
      if (has_login) {
        auto r = iam(ctx, "DeleteLoginProfile", {{"UserName", *user}});
        if (!r && r.error().code != "NoSuchEntity") return fail(r.error());
      }
      if (!has_policy) {
        auto r = iam(
            ctx, "PutUserPolicy",
            {{"UserName", *user},
             {"PolicyName", kSuspendPolicy},
             {"PolicyDocument",
              R"({"Version":"2012-10-17","Statement":[{"Sid":"RiposteSuspendUser","Effect":"Deny","Action":"*","Resource":"*"}]})"}});
        if (!r) return fail(r.error());
      }
    } else {
      auto r = iam(ctx, "DeleteUserPolicy", {{"UserName", *user}, {"PolicyName", kSuspendPolicy}});
      if (!r && r.error().code != "NoSuchEntity") return fail(r.error());
    }
    out.changed = true;
    out.after =
        json::object{{"userName", *user}, {"suspendPolicy", suspend_}, {"loginProfile", false}};
    out.output = json::object{
        {"userName", *user}, {"changed", true}, {"loginProfileDeleted", suspend_ && has_login}};
    out.summary = suspend_ ? "suspended IAM user " + *user +
                                 (has_login ? " (console password deleted, deny-all policy)"
                                            : " (deny-all policy)")
                           : "lifted the suspension of IAM user " + *user +
                                 " (its console password must be set again by an administrator)";
    return out;
  }

 private:
  bool suspend_;
};

}  // namespace

std::shared_ptr<const Action> makeSuspendUser() {
  return std::make_shared<SuspendUser>(true);
}
std::shared_ptr<const Action> makeUnsuspendUser() {
  return std::make_shared<SuspendUser>(false);
}

}  // namespace riposte::actions
